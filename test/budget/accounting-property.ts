/**
 * The budget accounting property, shared by the memory and Redis store tests: under any
 * interleaving of reserve / settle / release / settleAtEstimate (actual ≤ estimate), every
 * counter keeps spent + reserved ≤ limit, each reservation is booked once, and when everything is
 * finished nothing stays reserved and the spend is exactly what was booked.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { BudgetTracker, type BudgetLimit, type BudgetStore, type Reservation } from '../../src/budget/index.js';
import { BudgetExceededError } from '../../src/errors/index.js';

type Op =
  | { t: 'reserve'; team: string; user: string; micro: number }
  | { t: 'finish'; pick: number; how: 'settle' | 'release' | 'estimate'; percent: number }
  | { t: 'check' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('reserve' as const), team: fc.constantFrom('a', 'b'), user: fc.constantFrom('u1', 'u2', 'u3'), micro: fc.integer({ min: 0, max: 300_000 }) }),
  fc.record({ t: fc.constant('finish' as const), pick: fc.nat(), how: fc.constantFrom('settle' as const, 'release' as const, 'estimate' as const), percent: fc.integer({ min: 0, max: 100 }) }),
  fc.constant({ t: 'check' as const }),
);

const LIMITS: BudgetLimit[] = [
  { id: 'global', scope: {}, usd: 1, period: 'total' as const },
  { id: 'team', scope: { team: '*' }, usd: 0.6, period: 'total' as const },
  { id: 'user', scope: { user: '*' }, usd: 0.35, period: 'total' as const },
];
const LIMIT_NANO: Record<string, number> = { global: 1e9, team: 0.6e9, user: 0.35e9 };
const SCOPES = ['a', 'b'].flatMap((team) => ['u1', 'u2', 'u3'].map((user) => ({ team, user })));

const nano = (usd: number): number => Math.round(usd * 1e9);

async function checkInvariant(tracker: BudgetTracker): Promise<void> {
  for (const scope of SCOPES) {
    for (const s of await tracker.get(scope)) {
      const spent = nano(s.spent);
      const reserved = nano(s.reserved);
      expect(reserved).toBeGreaterThanOrEqual(0);
      expect(spent + reserved).toBeLessThanOrEqual(LIMIT_NANO[s.limitId] as number);
    }
  }
}

export async function checkAccountingProperty(makeStore: () => BudgetStore | Promise<BudgetStore>, options: { numRuns: number; maxBatches: number }): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { maxLength: options.maxBatches }), async (batches) => {
      const tracker = new BudgetTracker({ limits: LIMITS, store: await makeStore() });
      const held: Array<{ r: Reservation; estimate: bigint; booked: bigint | undefined; user: string; team: string }> = [];
      const run = async (o: Op): Promise<void> => {
        if (o.t === 'check') return checkInvariant(tracker);
        if (o.t === 'reserve') {
          const estimate = BigInt(o.micro) * 1000n; // nano-USD
          try {
            const r = await tracker.reserve({
              scope: { team: o.team, user: o.user },
              deploymentId: 'openai/gpt-4o-mini',
              model: 'gpt-4o-mini',
              estimatePicoUsd: estimate * 1000n,
              estimatedTokens: 10,
            });
            held.push({ r, estimate, booked: undefined, user: o.user, team: o.team });
          } catch (e) {
            if (!(e instanceof BudgetExceededError)) throw e;
          }
          return;
        }
        if (held.length === 0) return;
        const h = held[o.pick % held.length]!;
        const actual = (h.estimate * BigInt(o.percent)) / 100n;
        const first = h.booked === undefined;
        if (o.how === 'settle') {
          if (first) h.booked = actual;
          await h.r.settle({ picoUsd: actual * 1000n, tokens: 1 });
        } else if (o.how === 'estimate') {
          if (first) h.booked = h.estimate;
          await h.r.settleAtEstimate();
        } else {
          if (first) h.booked = 0n;
          await h.r.release();
        }
      };
      for (const batch of batches) {
        await Promise.all(batch.map(run));
        await checkInvariant(tracker);
      }
      for (const h of held) {
        if (h.booked === undefined) h.booked = 0n;
        await h.r.release();
      }
      await checkInvariant(tracker);
      const total = held.reduce((sum, h) => sum + (h.booked as bigint), 0n);
      const byScope = new Map<string, bigint>();
      for (const h of held) {
        byScope.set(`team:${h.team}`, (byScope.get(`team:${h.team}`) ?? 0n) + (h.booked as bigint));
        byScope.set(`user:${h.user}`, (byScope.get(`user:${h.user}`) ?? 0n) + (h.booked as bigint));
      }
      for (const scope of SCOPES) {
        for (const s of await tracker.get(scope)) {
          expect(nano(s.reserved)).toBe(0);
          const expected = s.limitId === 'global' ? total : s.limitId === 'team' ? (byScope.get(`team:${scope.team}`) ?? 0n) : (byScope.get(`user:${scope.user}`) ?? 0n);
          expect(BigInt(nano(s.spent))).toBe(expected);
        }
      }
      tracker.close();
    }),
    { numRuns: options.numRuns },
  );
}
