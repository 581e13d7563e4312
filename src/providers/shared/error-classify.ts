import {
  AuthenticationError,
  BadRequestError,
  ContentPolicyError,
  ContextWindowExceededError,
  NotFoundError,
  PermissionError,
  type ProviderError,
  ProviderOverloadedError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
} from '../../errors/classes.js';
import type { ErrorDetails } from '../../errors/base.js';
import type { ErrorBodyInfo } from './error-body.js';

/** Everything known about a provider's error answer. */
export interface ProviderErrorInput extends ErrorBodyInfo {
  provider: string;
  model: string;
  /** The HTTP status, or for an error inside a 200 body / stream the status the body states. */
  status?: number | undefined;
  /** A wait the provider asked for (headers or message), in ms. */
  retryAfterMs?: number | undefined;
  /** `x-should-retry`, which overrides the default retryability. */
  shouldRetry?: boolean | undefined;
}

const QUOTA_CODES = new Set([
  'insufficient_quota',
  'billing_hard_limit_reached',
  'billing_not_active',
  'insufficient_balance',
  'insufficient_credits',
  'quota_exceeded',
  'credits_exhausted',
]);
const CONTENT_FILTER_CODES = new Set(['content_filter', 'content_policy_violation', 'responsibleaipolicyviolation', 'moderation_blocked']);
const CONTEXT_CODES = new Set(['context_length_exceeded', 'string_above_max_length', 'model_context_window_exceeded']);

const CONTEXT_MESSAGE = /maximum context length|context[ _]length|context window|too many tokens|prompt is too long|input is too long|inputs. tokens \+ .max_new_tokens. must be/i;
const QUOTA_MESSAGE = /insufficient[ _](?:balance|credits?|quota)|exceeded your current quota|spend(?:ing)? limit|(?:available|remaining|out of) credits/i;
const OVERLOADED = /overloaded|server busy|at capacity/i;

function has(set: ReadonlySet<string>, ...values: Array<string | undefined>): boolean {
  return values.some((value) => value !== undefined && set.has(value.toLowerCase()));
}

/** The status an error without one most likely stands for (mid-stream errors carry only a code). */
function impliedStatus(input: ProviderErrorInput): number {
  const hint = `${input.code ?? ''} ${input.type ?? ''}`.toLowerCase();
  if (hint.includes('rate_limit')) return 429;
  if (hint.includes('overloaded')) return 529;
  if (hint.includes('invalid_request')) return 400;
  if (hint.includes('authentication')) return 401;
  if (hint.includes('permission')) return 403;
  if (hint.includes('not_found')) return 404;
  return 500;
}

/**
 * Maps a provider error to its typed class, by status and by the body's code, type and message.
 * Shared by every adapter. Decisions:
 * - quota codes (any status) and quota-worded 402/429 → `QuotaExceededError`; any other 402 too;
 * - content-filter codes (Azure `content_filter`) and OpenRouter's flagged 403 → `ContentPolicyError`;
 * - context-length codes and wording on a 4xx → `ContextWindowExceededError`;
 * - 408 and 409 → retryable `ServerError` (408 is the provider giving up on the request, not one
 *   of our own connect/deadline/idle timeouts, which `TimeoutError` stands for);
 * - 413, 422 and other 4xx → `BadRequestError`; 529, or a 5xx saying overloaded / server busy
 *   (Ollama's 503) → `ProviderOverloadedError`; other 5xx → `ServerError`.
 * The message is `<provider> <status>: <provider's message>`; constructors redact secrets.
 */
export function classifyProviderError(input: ProviderErrorInput): ProviderError {
  const status = input.status ?? impliedStatus(input);
  const text = input.message === '' ? '(no error message)' : input.message;
  const message = `${input.provider} ${input.status ?? 'error'}: ${text}`;
  const details: ErrorDetails = {
    provider: input.provider,
    model: input.model,
    status: input.status,
    requestId: input.requestId,
    providerCode: input.code !== undefined && !/^\d+$/.test(input.code) ? input.code : (input.type ?? input.code),
    retryAfterMs: input.retryAfterMs,
  };
  if (input.shouldRetry !== undefined) details.retryable = input.shouldRetry;
  const clientError = status >= 400 && status < 500;

  if (has(QUOTA_CODES, input.code, input.type) || status === 402 || (status === 429 && QUOTA_MESSAGE.test(text))) {
    return new QuotaExceededError(message, details);
  }
  if (has(CONTENT_FILTER_CODES, input.code, input.type, input.innerCode) || (status === 403 && input.flagged === true)) {
    return new ContentPolicyError(message, details);
  }
  if (clientError && status !== 429 && (has(CONTEXT_CODES, input.code, input.type) || CONTEXT_MESSAGE.test(text))) {
    return new ContextWindowExceededError(message, details);
  }
  switch (status) {
    case 401:
      return new AuthenticationError(message, details);
    case 403:
      return new PermissionError(message, details);
    case 404:
      return new NotFoundError(message, details);
    case 408:
    case 409:
      return new ServerError(message, { ...details, retryable: details.retryable ?? true });
    case 429:
      return new RateLimitError(message, details);
    case 529:
      return new ProviderOverloadedError(message, details);
  }
  if (clientError) return new BadRequestError(message, details);
  if (OVERLOADED.test(text) || /overloaded/i.test(`${input.code ?? ''} ${input.type ?? ''}`)) {
    return new ProviderOverloadedError(message, details);
  }
  return new ServerError(message, details);
}
