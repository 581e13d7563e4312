import { type AttemptRecord, ModelmuxError } from '../errors/base.js';
import { InvalidResponseError, NoRouteError } from '../errors/classes.js';
import type { CallScope } from './call-scope.js';
import type { Deployment } from './candidates.js';
import { type RetryEvent, type RetryPolicy, withRetries } from './retry.js';

/** Errors another deployment may not have: the next candidate is tried. */
const FALLBACK_CODES: ReadonlySet<string> = new Set([
  'authentication_error',
  'permission_error',
  'not_found',
  'quota_exceeded',
  'context_window_exceeded',
  'content_policy',
  'rate_limit',
]);

function canFallBack(error: ModelmuxError): boolean {
  if (error.code === 'aborted' || error.code === 'validation_error') return false;
  if (error.code === 'timeout' && (error as { timeout?: string }).timeout === 'deadline') return false;
  return error.retryable || FALLBACK_CODES.has(error.code);
}

/** Anything that is not already typed (a mapping bug on a malformed answer) becomes InvalidResponseError. */
function toTyped(error: unknown, deployment: Deployment): ModelmuxError {
  if (ModelmuxError.isInstance(error)) return error;
  return new InvalidResponseError(`Could not map the answer of ${deployment.provider}: ${error instanceof Error ? error.message : String(error)}`, {
    provider: deployment.provider,
    model: deployment.model,
    cause: error,
  });
}

export interface ExecuteOptions {
  policy: RetryPolicy;
  scope: CallScope;
  onRetry?: (event: RetryEvent & { provider: string; model: string }) => void;
}

/**
 * Tries the candidates in order: each with the retry loop, then the next one when the error is
 * one another deployment may not share. Throws the last attempt's typed error with `attempts`.
 */
export async function execute<T>(candidates: readonly Deployment[], run: (deployment: Deployment) => Promise<T>, options: ExecuteOptions): Promise<T> {
  const { scope } = options;
  const attempts: AttemptRecord[] = [];
  let lastError: ModelmuxError | undefined;
  for (const deployment of candidates) {
    scope.current = deployment;
    try {
      return await withRetries(
        async () => {
          const started = Date.now();
          try {
            return await run(deployment);
          } catch (error) {
            const typed = toTyped(error, deployment);
            attempts.push({
              provider: deployment.provider,
              model: deployment.model,
              code: typed.code,
              ...(typed.status === undefined ? {} : { status: typed.status }),
              durationMs: Date.now() - started,
            });
            throw typed;
          }
        },
        {
          policy: options.policy,
          signal: scope.signal,
          remainingMs: () => scope.remainingMs(),
          onRetry: options.onRetry && ((event) => options.onRetry!({ ...event, provider: deployment.provider, model: deployment.model })),
        },
      );
    } catch (error) {
      lastError = toTyped(error, deployment);
      if (scope.signal.aborted || !canFallBack(lastError)) break;
    }
  }
  if (lastError === undefined) throw new NoRouteError('No candidate to try');
  lastError.attempts = attempts;
  throw lastError;
}
