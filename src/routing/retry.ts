import pRetry from 'p-retry';
import { ModelmuxError } from '../errors/base.js';

export interface RetryPolicy {
  /** Retries per deployment after the first attempt. */
  maxRetries: number;
  /** A `retry-after` longer than this is not waited for: the error is thrown at once with `retryAfterMs`. */
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

export interface RetryEvent {
  error: ModelmuxError;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
}

/** Exponential backoff with jitter that only shortens: `min(max, initial × 2^(n-1)) × U[0.5, 1]`. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

function retryAfterOf(error: ModelmuxError): number | undefined {
  return (error as { retryAfterMs?: number }).retryAfterMs;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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

/**
 * The one retry loop for one deployment (DESIGN section 4). Retries a retryable typed error after
 * `retry-after` (when within `maxRetryAfterMs` and the deadline) or backoff; every wait is abortable.
 * Anything not retryable, or a wait that does not fit, rethrows the error as it is.
 */
export async function withRetries<T>(
  run: (attempt: number) => Promise<T>,
  options: {
    policy: RetryPolicy;
    signal: AbortSignal;
    remainingMs: () => number;
    onRetry?: (event: RetryEvent) => void;
  },
): Promise<T> {
  const { policy, signal } = options;
  const shouldRetry = async (error: unknown, attempt: number): Promise<boolean> => {
    if (!ModelmuxError.isInstance(error) || !error.retryable || signal.aborted) return false;
    const hinted = retryAfterOf(error);
    if (hinted !== undefined && hinted > policy.maxRetryAfterMs) return false;
    const delayMs = hinted ?? backoffDelay(attempt, policy);
    if (delayMs >= options.remainingMs()) return false;
    options.onRetry?.({ error, attempt, delayMs });
    await sleep(delayMs, signal);
    return true;
  };
  // The first attempt runs outside p-retry: most calls succeed at once, and the loop's set-up
  // is measurable on that hot path. p-retry owns every retry after it.
  try {
    return await run(1);
  } catch (error) {
    if (policy.maxRetries === 0 || !(await shouldRetry(error, 1))) throw error;
  }
  return pRetry((attempt) => run(attempt + 1), {
    retries: policy.maxRetries - 1,
    minTimeout: 0,
    maxTimeout: 0,
    randomize: false,
    signal,
    shouldRetry: ({ error, attemptNumber }) => shouldRetry(error, attemptNumber + 1),
  });
}
