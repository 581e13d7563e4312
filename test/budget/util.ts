import type { ReserveRequest } from '../../src/budget/index.js';

/** USD → pico-USD (exact for amounts with ≤ 6 decimals). */
export function pico(usd: number): bigint {
  return BigInt(Math.round(usd * 1_000_000)) * 1_000_000n;
}

/** A reserve request for `openai/gpt-4o-mini` costing up to `usd`. */
export function request(usd: number | null, overrides: Partial<ReserveRequest> = {}): ReserveRequest {
  return {
    scope: {},
    deploymentId: 'openai/gpt-4o-mini',
    model: 'gpt-4o-mini',
    estimatePicoUsd: usd === null ? null : pico(usd),
    estimatedTokens: 100,
    ...overrides,
  };
}

/** A clock the test moves by hand. */
export function manualClock(start: string | number): { now: () => number; set(t: string | number): void; advance(ms: number): void } {
  let t = typeof start === 'string' ? Date.parse(start) : start;
  return {
    now: () => t,
    set(next) {
      t = typeof next === 'string' ? Date.parse(next) : next;
    },
    advance(ms) {
      t += ms;
    },
  };
}
