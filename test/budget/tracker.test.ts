import { describe, expect, it, vi } from 'vitest';
import { BudgetTracker, memoryStore, type BudgetEvents, type BudgetWarningEvent } from '../../src/budget/index.js';
import {
  AbortError,
  BudgetExceededError,
  LocalRateLimitError,
  ModelmuxError,
  ModelNotAllowedError,
  ValidationError,
} from '../../src/errors/index.js';
import { manualClock, pico, request } from './util.js';

async function settled<T>(promises: Array<Promise<T>>): Promise<{ ok: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
  };
}

describe('BudgetTracker — USD budgets (memory store)', () => {
  it('admits exactly 33 of 1,000 concurrent $0.03 reserves against $1.00, and settles at most $1.00', async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: { team: 'product' }, usd: 1, period: 'month' }] });
    const { ok, errors } = await settled(Array.from({ length: 1000 }, () => tracker.reserve(request(0.03, { scope: { team: 'product' } }))));
    expect(ok).toHaveLength(33);
    expect(errors).toHaveLength(967);
    for (const e of errors) expect(e).toBeInstanceOf(BudgetExceededError);
    await Promise.all(ok.map((r) => r.settleAtEstimate()));
    const [status] = await tracker.get({ team: 'product' });
    expect(status).toMatchObject({ limitId: 'team=product/month', scope: { team: 'product' }, period: 'month', reserved: 0, limit: 1 });
    expect(status!.spent).toBeCloseTo(0.99, 9);
    expect(status!.spent).toBeLessThanOrEqual(1);
  });

  it('refuses before anything is sent with the scope, limit, spent, reserved and request (gateway-semantics B11)', async () => {
    const onBudgetExceeded = vi.fn();
    const tracker = new BudgetTracker({ limits: [{ scope: { team: 'product' }, usd: 1, period: 'month' }] }, { onBudgetExceeded });
    const first = await tracker.reserve(request(0.98, { scope: { team: 'product', user: 'u1' } }));
    await first.settle({ picoUsd: pico(0.98), tokens: 10 });
    const error = await tracker.reserve(request(0.05, { scope: { team: 'product', user: 'u1' } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    const e = error as BudgetExceededError;
    expect(e.code).toBe('budget_exceeded');
    expect(e.retryable).toBe(false);
    expect(e.reason).toBe('limit');
    expect(e.scope).toEqual({ team: 'product' });
    expect(e.limit).toBe(1);
    expect(e.spent).toBeCloseTo(0.98, 9);
    expect(e.reserved).toBe(0);
    expect(e.requested).toBeCloseTo(0.05, 9);
    expect(e.period).toBe('month');
    expect(e.limitId).toBe('team=product/month');
    expect(e.message).toContain('team=product');
    expect(e.message).toContain('$1.00');
    expect(e.toJSON()).toMatchObject({ code: 'budget_exceeded', scope: { team: 'product' }, limit: 1, period: 'month' });
    expect(onBudgetExceeded).toHaveBeenCalledTimes(1);
    expect(onBudgetExceeded.mock.calls[0]![0]).toMatchObject({ error: e, deploymentId: 'openai/gpt-4o-mini' });
  });

  it('charges every matching level and refuses when any one would pass its limit (key ⊂ team ⊂ global)', async () => {
    const tracker = new BudgetTracker({
      limits: [
        { scope: {}, usd: 10, period: 'total' },
        { scope: { team: 'a' }, usd: 1, period: 'total' },
        { scope: { key: 'k1' }, usd: 0.5, period: 'total' },
      ],
    });
    const r = await tracker.reserve(request(0.4, { scope: { team: 'a', key: 'k1' } }));
    await r.settle({ picoUsd: pico(0.3), tokens: 1 });
    const spent = Object.fromEntries((await tracker.get({ team: 'a', key: 'k1' })).map((s) => [s.limitId, s.spent]));
    expect(spent).toEqual({ 'global/total': 0.3, 'team=a/total': 0.3, 'key=k1/total': 0.3 });
    // The key limit (0.5) refuses 0.3 more, and nothing is held on the other levels.
    await expect(tracker.reserve(request(0.3, { scope: { team: 'a', key: 'k1' } }))).rejects.toMatchObject({ limitId: 'key=k1/total' });
    const after = await tracker.get({ team: 'a', key: 'k1' });
    expect(after.map((s) => s.reserved)).toEqual([0, 0, 0]);
    // Another key of the same team still fits the team limit.
    await expect(tracker.reserve(request(0.3, { scope: { team: 'a', key: 'k2' } }))).resolves.toBeDefined();
  });

  it("gives each member of a '*' scope its own counter", async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: { user: '*' }, usd: 0.1, period: 'day' }] });
    const a = await tracker.reserve(request(0.1, { scope: { user: 'alice' } }));
    await expect(tracker.reserve(request(0.1, { scope: { user: 'alice' } }))).rejects.toMatchObject({ scope: { user: 'alice' } });
    await expect(tracker.reserve(request(0.1, { scope: { user: 'bob' } }))).resolves.toBeDefined();
    // A request without a user does not match a per-user limit.
    await expect(tracker.reserve(request(5, { scope: {} }))).resolves.toBeDefined();
    await a.release();
    await expect(tracker.reserve(request(0.1, { scope: { user: 'alice' } }))).resolves.toBeDefined();
    const statuses = await tracker.get({ user: 'bob' });
    expect(statuses).toEqual([expect.objectContaining({ limitId: 'user=*/day', scope: { user: 'bob' }, reserved: 0.1 })]);
  });

  it('counts any tag as a scope key', async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: { feature: 'summarize' }, usd: 0.05, period: 'total' }] });
    await tracker.reserve(request(0.05, { scope: { feature: 'summarize' } }));
    await expect(tracker.reserve(request(0.01, { scope: { feature: 'summarize', user: 'x' } }))).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(tracker.reserve(request(0.01, { scope: { feature: 'chat' } }))).resolves.toBeDefined();
  });

  it('refuses an unpriced request under a USD limit, unless onUnpriced is allow (then $0 with a warning)', async () => {
    const limits = [{ scope: {}, usd: 1, period: 'month' as const }];
    const strict = new BudgetTracker({ limits });
    const error = await strict.reserve(request(null)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as BudgetExceededError).reason).toBe('unpriced');
    expect((error as BudgetExceededError).requested).toBeNull();
    expect((error as Error).message).toMatch(/No price is known for openai\/gpt-4o-mini/);

    const warnings: BudgetWarningEvent[] = [];
    const lenient = new BudgetTracker({ limits, onUnpriced: 'allow' }, { onWarning: (w) => warnings.push(w) });
    const r = await lenient.reserve(request(null));
    expect(r.estimateUsd).toBeNull();
    expect(warnings.map((w) => w.code)).toEqual(['unpriced_allowed']);
    await r.settle({ picoUsd: null, tokens: 5 });
    expect((await lenient.get({}))[0]).toMatchObject({ spent: 0, reserved: 0 });

    // With no USD limit, an unpriced request is not a budget matter.
    const rateOnly = new BudgetTracker({ limits: [{ scope: {}, rpm: 100 }] });
    await expect(rateOnly.reserve(request(null))).resolves.toBeDefined();
  });

  it('settles exactly once: later settle/release/settleAtEstimate calls are no-ops', async () => {
    const onSpend = vi.fn();
    const tracker = new BudgetTracker({ limits: [{ scope: {}, usd: 1, period: 'total' }] }, { onSpend });
    const r = await tracker.reserve(request(0.5));
    await r.settle({ picoUsd: pico(0.2), tokens: 10 });
    await r.settle({ picoUsd: pico(0.2), tokens: 10 });
    await r.settleAtEstimate();
    await r.release();
    const [s] = await tracker.get({});
    expect(s).toMatchObject({ spent: 0.2, reserved: 0 });
    expect(onSpend).toHaveBeenCalledTimes(1);
    expect(onSpend.mock.calls[0]![0]).toMatchObject({ usd: 0.2, estimateUsd: 0.5, basis: 'actual', tokens: 10, limits: [{ limitId: 'global/total', scope: {} }] });

    const released = await tracker.reserve(request(0.5));
    await released.release();
    await released.settle({ picoUsd: pico(0.5), tokens: 1 });
    expect((await tracker.get({}))[0]).toMatchObject({ spent: 0.2, reserved: 0 });
  });

  it('books the estimate when the actual cost is missing (never $0), and reports an overshoot', async () => {
    const warnings: string[] = [];
    const tracker = new BudgetTracker({ limits: [{ scope: {}, usd: 10, period: 'total' }] }, { onWarning: (w) => warnings.push(w.code) });
    const a = await tracker.reserve(request(0.5));
    await a.settle({ picoUsd: null, tokens: 0 });
    const b = await tracker.reserve(request(0.1));
    await b.settle({ picoUsd: pico(0.3), tokens: 0 });
    const c = await tracker.reserve(request(0.25));
    await c.settleAtEstimate();
    expect((await tracker.get({}))[0]).toMatchObject({ spent: 1.05, reserved: 0 });
    expect(warnings).toEqual(['actual_cost_missing', 'overshoot']);
  });

  it('fires a threshold once per period, when settled spend crosses it', async () => {
    const clock = manualClock('2026-11-10T12:00:00Z');
    const onBudgetThreshold = vi.fn();
    const tracker = new BudgetTracker(
      { limits: [{ scope: { team: 'a' }, usd: 1, period: 'month' }], thresholds: [0.5, 0.8], now: clock.now },
      { onBudgetThreshold },
    );
    const spend = async (usd: number): Promise<void> => (await tracker.reserve(request(usd, { scope: { team: 'a' } }))).settle({ picoUsd: pico(usd), tokens: 1 });
    await spend(0.4);
    expect(onBudgetThreshold).not.toHaveBeenCalled();
    await spend(0.1);
    expect(onBudgetThreshold).toHaveBeenCalledTimes(1);
    expect(onBudgetThreshold.mock.calls[0]![0]).toMatchObject({ limitId: 'team=a/month', scope: { team: 'a' }, threshold: 0.5, spent: 0.5, limit: 1, periodKey: '2026-11' });
    await spend(0.35);
    expect(onBudgetThreshold).toHaveBeenCalledTimes(2);
    expect(onBudgetThreshold.mock.calls[1]![0]).toMatchObject({ threshold: 0.8 });
    await spend(0.05);
    expect(onBudgetThreshold).toHaveBeenCalledTimes(2);
    // A new month: the same thresholds fire again, once.
    clock.set('2026-12-02T00:00:00Z');
    await spend(0.9);
    expect(onBudgetThreshold.mock.calls.slice(2).map((c) => (c[0] as { threshold: number; periodKey: string }).threshold)).toEqual([0.5, 0.8]);
    expect((onBudgetThreshold.mock.calls[3]![0] as { periodKey: string }).periodKey).toBe('2026-12');
  });

  it('counts calendar months in UTC: 23:59:59 on Nov 30 and 00:00:01 on Dec 1 land in different months', async () => {
    const clock = manualClock('2026-11-30T23:59:59Z');
    const tracker = new BudgetTracker({ limits: [{ scope: {}, usd: 1, period: 'month' }], now: clock.now });
    const nov = await tracker.reserve(request(0.7));
    await nov.settleAtEstimate();
    await expect(tracker.reserve(request(0.7))).rejects.toBeInstanceOf(BudgetExceededError);
    const [november] = await tracker.get({});
    expect(november).toMatchObject({ periodKey: '2026-11', spent: 0.7, periodEnd: Date.parse('2026-12-01T00:00:00Z') });
    clock.set('2026-12-01T00:00:01Z');
    const dec = await tracker.reserve(request(0.7));
    await dec.settleAtEstimate();
    expect((await tracker.get({}))[0]).toMatchObject({ periodKey: '2026-12', spent: 0.7, periodEnd: Date.parse('2027-01-01T00:00:00Z') });
  });

  it('starts weeks on Monday (UTC) and days at midnight UTC', async () => {
    const clock = manualClock('2026-11-29T23:59:59Z'); // a Sunday
    const tracker = new BudgetTracker({
      limits: [
        { id: 'weekly', scope: {}, usd: 1, period: 'week' },
        { id: 'daily', scope: {}, usd: 1, period: 'day' },
      ],
      now: clock.now,
    });
    await (await tracker.reserve(request(0.6))).settleAtEstimate();
    await expect(tracker.reserve(request(0.6))).rejects.toMatchObject({ limitId: 'weekly' });
    expect((await tracker.get({})).map((s) => s.periodKey)).toEqual(['2026-W48', '2026-11-29']);
    clock.set('2026-11-30T00:00:00Z'); // Monday
    await expect(tracker.reserve(request(0.6))).resolves.toBeDefined();
    expect((await tracker.get({})).map((s) => s.periodKey)).toEqual(['2026-W49', '2026-11-30']);
  });

  it('books an expired lease at its estimate (fail closed)', async () => {
    const clock = manualClock('2026-11-10T00:00:00Z');
    const store = memoryStore({ leaseMs: 60_000 });
    const crashed = new BudgetTracker({ limits: [{ scope: {}, usd: 1, period: 'month' }], store, now: clock.now });
    const held = await crashed.reserve(request(0.4));
    crashed.close(); // the process died: nobody renews the lease
    const survivor = new BudgetTracker({ limits: [{ scope: {}, usd: 1, period: 'month' }], store, now: clock.now });
    expect((await survivor.get({}))[0]).toMatchObject({ spent: 0, reserved: 0.4 });
    clock.advance(60_001);
    await (await survivor.reserve(request(0.1))).release(); // any reserve sweeps expired leases
    expect((await survivor.get({}))[0]).toMatchObject({ spent: 0.4, reserved: 0 });
    // A late settle of the swept reservation changes nothing.
    await held.settle({ picoUsd: pico(0.1), tokens: 1 });
    expect((await survivor.get({}))[0]).toMatchObject({ spent: 0.4, reserved: 0 });
  });

  it('renews the leases of open reservations while the process lives', async () => {
    const store = memoryStore({ leaseMs: 600 });
    const tracker = new BudgetTracker({ limits: [{ scope: {}, usd: 1, period: 'month' }], store });
    const r = await tracker.reserve(request(0.4));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await (await tracker.reserve(request(0.1))).release(); // would sweep an expired lease
    expect((await tracker.get({}))[0]).toMatchObject({ spent: 0, reserved: 0.4 });
    await r.settle({ picoUsd: pico(0.2), tokens: 1 });
    expect((await tracker.get({}))[0]).toMatchObject({ spent: 0.2, reserved: 0 });
    tracker.close();
  });
});

describe('BudgetTracker — allowed models', () => {
  const tracker = new BudgetTracker({
    limits: [
      { id: 'interns', scope: { team: 'interns' }, models: ['openai/gpt-4o-mini', 'groq/*', 'claude-haiku*'] },
      { scope: { team: 'interns' }, usd: 5, period: 'month' },
    ],
  });

  it('admits listed deployments, model ids and prefix globs', async () => {
    const scope = { team: 'interns' };
    await expect(tracker.reserve(request(0.01, { scope }))).resolves.toBeDefined();
    await expect(tracker.reserve(request(0.01, { scope, deploymentId: 'groq/llama-3.3-70b', model: 'llama-3.3-70b' }))).resolves.toBeDefined();
    await expect(tracker.reserve(request(0.01, { scope, deploymentId: 'anthropic/claude-haiku-4-5', model: 'claude-haiku-4-5' }))).resolves.toBeDefined();
  });

  it('refuses any other model with a ModelNotAllowedError, nothing held', async () => {
    const error = await tracker.reserve(request(0.01, { scope: { team: 'interns' }, deploymentId: 'openai/gpt-4o', model: 'gpt-4o' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotAllowedError);
    expect(error).not.toBeInstanceOf(BudgetExceededError);
    const e = error as ModelNotAllowedError;
    expect(e.code).toBe('budget_exceeded');
    expect(e.reason).toBe('model_not_allowed');
    expect(e).toMatchObject({ limitId: 'interns', scope: { team: 'interns' }, deploymentId: 'openai/gpt-4o' });
    expect(e.message).toContain('openai/gpt-4o');
    // Other teams are not restricted.
    await expect(tracker.reserve(request(0.01, { scope: { team: 'core' }, deploymentId: 'openai/gpt-4o', model: 'gpt-4o' }))).resolves.toBeDefined();
  });
});

describe('BudgetTracker — rpm, tpm, maxParallel', () => {
  it('rpm: the third request in a minute is refused with a retry-after ≤ 60 s, and passes a minute later', async () => {
    const clock = manualClock('2026-11-10T00:00:00Z');
    const tracker = new BudgetTracker({ limits: [{ scope: { key: 'k' }, rpm: 2 }], now: clock.now });
    const scope = { key: 'k' };
    await tracker.reserve(request(0, { scope }));
    clock.advance(10_000);
    await tracker.reserve(request(0, { scope }));
    const error = await tracker.reserve(request(0, { scope })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalRateLimitError);
    expect(error).toMatchObject({ code: 'local_rate_limit', limit: 'rpm', limitValue: 2, scope: { key: 'k' }, retryAfterMs: 50_000 });
    clock.advance(50_000);
    await expect(tracker.reserve(request(0, { scope }))).resolves.toBeDefined();
  });

  it('rpm: a released request (never sent) does not count', async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: {}, rpm: 1 }] });
    await (await tracker.reserve(request(0))).release();
    await expect(tracker.reserve(request(0))).resolves.toBeDefined();
  });

  it('tpm: reserves the estimate, corrects it to the actual at settle, and refuses a request larger than the limit', async () => {
    const clock = manualClock('2026-11-10T00:00:00Z');
    const tracker = new BudgetTracker({ limits: [{ scope: {}, tpm: 1000 }], now: clock.now, onLimit: 'wait' });
    const a = await tracker.reserve(request(0, { estimatedTokens: 800 }));
    await expect(tracker.reserve(request(0, { estimatedTokens: 300, deadlineMs: clock.now() }))).rejects.toMatchObject({ limit: 'tpm', retryAfterMs: 60_000 });
    await a.settle({ picoUsd: 0n, tokens: 200 });
    await expect(tracker.reserve(request(0, { estimatedTokens: 300 }))).resolves.toBeDefined();
    const error = await tracker.reserve(request(0, { estimatedTokens: 5000 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalRateLimitError);
    expect((error as LocalRateLimitError).retryAfterMs).toBeUndefined();
    expect((error as Error).message).toMatch(/more than the limit/);
  });

  it('maxParallel: never two in flight; the second fails fast with onLimit reject', async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: { user: '*' }, maxParallel: 1 }] });
    const first = await tracker.reserve(request(0, { scope: { user: 'u' } }));
    await expect(tracker.reserve(request(0, { scope: { user: 'u' } }))).rejects.toMatchObject({ limit: 'maxParallel', scope: { user: 'u' } });
    await expect(tracker.reserve(request(0, { scope: { user: 'v' } }))).resolves.toBeDefined();
    await first.settle({ picoUsd: 0n, tokens: 1 });
    await expect(tracker.reserve(request(0, { scope: { user: 'u' } }))).resolves.toBeDefined();
  });

  it('maxParallel with onLimit wait: the second waits for the first to finish', async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: {}, maxParallel: 1 }], onLimit: 'wait' });
    const first = await tracker.reserve(request(0));
    let admitted = false;
    const second = tracker.reserve(request(0, { deadlineMs: Date.now() + 10_000 })).then((r) => {
      admitted = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(admitted).toBe(false);
    await first.release();
    await expect(second).resolves.toBeDefined();
  });

  it('a wait is abortable and bounded by the deadline', async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: {}, maxParallel: 1 }], onLimit: 'wait' });
    await tracker.reserve(request(0));
    const controller = new AbortController();
    const waiting = tracker.reserve(request(0, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 30);
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    const started = Date.now();
    await expect(tracker.reserve(request(0, { deadlineMs: Date.now() + 100 }))).rejects.toMatchObject({ limit: 'maxParallel' });
    expect(Date.now() - started).toBeLessThan(5_000);
    // rpm with a retry-after beyond the deadline fails at once.
    const rpm = new BudgetTracker({ limits: [{ scope: {}, rpm: 1 }], onLimit: 'wait' });
    await rpm.reserve(request(0));
    await expect(rpm.reserve(request(0, { deadlineMs: Date.now() + 1_000 }))).rejects.toMatchObject({ limit: 'rpm' });
  });

  it('rpm with onLimit wait: waits out the window when it fits the deadline', async () => {
    let now = Date.parse('2026-11-10T00:00:00Z');
    const tracker = new BudgetTracker({ limits: [{ scope: {}, rpm: 1 }], onLimit: 'wait', now: () => now });
    await tracker.reserve(request(0));
    now += 59_950; // 50 ms of the window left
    const started = Date.now();
    const second = tracker.reserve(request(0, { deadlineMs: now + 5_000 }));
    setTimeout(() => (now += 100), 20);
    await expect(second).resolves.toBeDefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a USD refusal is not waited for', async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: {}, usd: 0.01, period: 'day', maxParallel: 1 }], onLimit: 'wait' });
    await tracker.reserve(request(0.01));
    await expect(tracker.reserve(request(0.01, { deadlineMs: Date.now() + 10_000 }))).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('applies per-deployment limits whatever the scope', async () => {
    const tracker = new BudgetTracker({ limits: [], deploymentLimits: { 'openai/gpt-4o': { maxParallel: 1, rpm: 10 } } });
    const gpt4o = { deploymentId: 'openai/gpt-4o', model: 'gpt-4o' };
    await tracker.reserve(request(0, { ...gpt4o, scope: { user: 'a' } }));
    const error = await tracker.reserve(request(0, { ...gpt4o, scope: { user: 'b' } })).catch((e: unknown) => e);
    expect(error).toMatchObject({ limit: 'maxParallel', deploymentId: 'openai/gpt-4o', limitId: 'deployment:openai/gpt-4o' });
    await expect(tracker.reserve(request(0, { scope: { user: 'b' } }))).resolves.toBeDefined();
  });
});

describe('BudgetTracker — config and run-time limits', () => {
  it('rejects bad config with a ValidationError naming budget.limits.N.field', () => {
    const bad = (config: unknown): ValidationError => {
      try {
        new BudgetTracker(config as never);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    };
    expect(bad({ limits: [{ scope: {}, usd: 1, period: 'month' }, { scope: {}, usd: -1, period: 'day' }] }).field).toBe('budget.limits.1.usd');
    expect(bad({ limits: [{ scope: {}, usd: 1 }] }).field).toBe('budget.limits.0.period');
    expect(bad({ limits: [{ scope: {}, usd: 1, period: 'year' }] }).field).toBe('budget.limits.0.period');
    expect(bad({ limits: [{ scope: { team: 'a' }, rpm: 1.5 }] }).field).toBe('budget.limits.0.rpm');
    expect(bad({ limits: [{ scope: { team: 'a' } }] }).field).toBe('budget.limits.0');
    expect(bad({ limits: [{ scope: { team: 'a' }, rpm: 1, typo: true }] }).field).toBe('budget.limits.0.typo');
    expect(bad({ limits: [{ scope: { team: 7 }, rpm: 1 }] }).field).toBe('budget.limits.0.scope.team');
    expect(bad({ limits: [{ scope: {}, rpm: 1 }, { scope: {}, tpm: 5 }] }).field).toBe('budget.limits.1.id');
    expect(bad({ limits: [], onLimit: 'sleep' }).field).toBe('budget.onLimit');
    expect(bad({ limits: [], thresholds: [1.5] }).field).toBe('budget.thresholds.0');
    expect(bad({ limits: [], store: {} }).field).toBe('budget.store');
    expect(bad({ limits: [], deploymentLimits: { 'openai/gpt-4o': { rpm: 0 } } }).field).toBe('budget.deploymentLimits.openai/gpt-4o.rpm');
  });

  it('adds, replaces and removes limits at run time; a limit keeping its id keeps its spend', async () => {
    const tracker = new BudgetTracker({ limits: [] });
    await expect(tracker.reserve(request(5))).resolves.toBeDefined();
    tracker.addLimit({ id: 'cap', scope: {}, usd: 1, period: 'total' });
    await (await tracker.reserve(request(0.6))).settleAtEstimate();
    await expect(tracker.reserve(request(0.6))).rejects.toBeInstanceOf(BudgetExceededError);
    expect(() => tracker.addLimit({ id: 'cap', scope: {}, rpm: 1 })).toThrow(/budget\.limits\.1\.id/);
    tracker.setLimits([{ id: 'cap', scope: {}, usd: 2, period: 'total' }]);
    expect((await tracker.get({}))[0]).toMatchObject({ limit: 2, spent: 0.6 });
    await expect(tracker.reserve(request(0.6))).resolves.toBeDefined();
    expect(tracker.removeLimit('cap')).toBe(true);
    expect(tracker.removeLimit('cap')).toBe(false);
    expect(await tracker.get({})).toEqual([]);
    expect(tracker.listLimits()).toEqual([]);
  });

  it('never lets a throwing hook break a request', async () => {
    const throwing: BudgetEvents = {
      onSpend: () => {
        throw new Error('hook');
      },
      onBudgetExceeded: () => {
        throw new Error('hook');
      },
    };
    const tracker = new BudgetTracker({ limits: [{ scope: {}, usd: 0.1, period: 'total' }] }, throwing);
    const r = await tracker.reserve(request(0.1));
    await expect(r.settle({ picoUsd: pico(0.1), tokens: 1 })).resolves.toBeUndefined();
    const error = await tracker.reserve(request(0.1)).catch((e: unknown) => e);
    expect(ModelmuxError.isInstance(error)).toBe(true);
  });
});
