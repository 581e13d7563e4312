import { describe, expect, it } from 'vitest';
import { periodEnd, periodKey, periodStart } from '../../src/budget/periods.js';
import { nanoUsdToUsd, usdToNanoUsd } from '../../src/budget/money.js';
import fc from 'fast-check';

const at = (iso: string): number => Date.parse(iso);

describe('budget periods (UTC calendar)', () => {
  it('names days, ISO weeks, months and total', () => {
    const t = at('2026-11-24T15:30:00Z');
    expect(periodKey('day', t)).toBe('2026-11-24');
    expect(periodKey('week', t)).toBe('2026-W48');
    expect(periodKey('month', t)).toBe('2026-11');
    expect(periodKey('total', t)).toBe('total');
  });

  it('numbers ISO weeks across year ends (Monday start, week 1 holds the first Thursday)', () => {
    expect(periodKey('week', at('2021-01-03T12:00:00Z'))).toBe('2020-W53'); // Sunday
    expect(periodKey('week', at('2021-01-04T00:00:00Z'))).toBe('2021-W01'); // Monday
    expect(periodKey('week', at('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(periodKey('week', at('2026-12-31T23:59:59Z'))).toBe('2026-W53');
    expect(periodKey('week', at('2027-01-03T23:59:59Z'))).toBe('2026-W53');
    expect(periodKey('week', at('2027-01-04T00:00:00Z'))).toBe('2027-W01');
    expect(periodKey('week', at('2026-11-29T23:59:59Z'))).toBe('2026-W48'); // Sunday
    expect(periodKey('week', at('2026-11-30T00:00:00Z'))).toBe('2026-W49'); // Monday
  });

  it('ends periods at the next period start', () => {
    const t = at('2026-11-30T23:59:59Z');
    expect(periodEnd('day', t)).toBe(at('2026-12-01T00:00:00Z'));
    expect(periodEnd('week', t)).toBe(at('2026-12-07T00:00:00Z'));
    expect(periodEnd('month', t)).toBe(at('2026-12-01T00:00:00Z'));
    expect(periodEnd('month', at('2026-12-15T00:00:00Z'))).toBe(at('2027-01-01T00:00:00Z'));
    expect(periodEnd('total', t)).toBeNull();
    expect(periodStart('week', t)).toBe(at('2026-11-30T00:00:00Z'));
  });

  it('every instant lies in [start, end) of its period, and the key changes exactly at the end', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') }), fc.constantFrom('day' as const, 'week' as const, 'month' as const), (t, period) => {
        const start = periodStart(period, t);
        const end = periodEnd(period, t) as number;
        expect(start).toBeLessThanOrEqual(t);
        expect(end).toBeGreaterThan(t);
        expect(periodKey(period, start)).toBe(periodKey(period, t));
        expect(periodKey(period, end - 1)).toBe(periodKey(period, t));
        expect(periodKey(period, end)).not.toBe(periodKey(period, t));
      }),
    );
  });
});

describe('budget money', () => {
  it('converts USD to integer nano-USD exactly', () => {
    expect(usdToNanoUsd(0.03)).toBe(30_000_000n);
    expect(usdToNanoUsd(1)).toBe(1_000_000_000n);
    expect(usdToNanoUsd(500)).toBe(500_000_000_000n);
    expect(usdToNanoUsd(0.000000001)).toBe(1n);
    expect(33n * usdToNanoUsd(0.03) <= usdToNanoUsd(1)).toBe(true);
    expect(34n * usdToNanoUsd(0.03) <= usdToNanoUsd(1)).toBe(false);
    expect(nanoUsdToUsd(990_000_000n)).toBe(0.99);
  });
});
