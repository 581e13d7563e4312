import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, sleep } from '../../src/routing/retry.js';

describe('backoff', () => {
  it('stays within [0.5, 1] × min(8 s, 0.5 s × 2^(n-1))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const ceiling = Math.min(8000, 500 * 2 ** (attempt - 1));
        const delay = backoffDelay(attempt, DEFAULT_RETRY, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.5));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });

  it('sleep rejects with the signal reason when aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const pending = sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});
