import type { Abortable } from '../http/transport.js';

/** The retry policy of the executor (src/routing/executor.ts, the one retry loop) and its abortable waits. */
export interface RetryPolicy {
  /** Retries per deployment after the first attempt. */
  maxRetries: number;
  /** A `retry-after` longer than this is not waited for: the deployment is held until then and the request moves on (or fails with `retryAfterMs`). */
  maxRetryAfterMs: number;
  /** Backoff: min(maxDelayMs, initialDelayMs × 2^n) × U[0.5, 1]. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 2,
  maxRetryAfterMs: 60_000,
  initialDelayMs: 500,
  maxDelayMs: 8_000,
};

/** Exponential backoff with jitter that only shortens: `min(max, initial × 2^(n-1)) × U[0.5, 1]`. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: Abortable): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
