import type { ErrorDetails } from '../../errors/base.js';
import { ContextWindowExceededError, type ProviderError, QuotaExceededError } from '../../errors/classes.js';
import { parseRetryAfter } from '../../http/retry-after.js';
import type { AdapterContext } from '../adapter.js';
import { type ErrorBodyInfo, readErrorBody, readErrorObject } from '../shared/error-body.js';
import { classifyProviderError } from '../shared/error-classify.js';
import { isRecord, parseJson, readString } from '../shared/json.js';
import { shouldRetryHeader } from '../shared/retry-hints.js';

type Header = (name: string) => string | null;

const NO_HEADERS: Header = () => null;

/** Anthropic's context-length wording: "prompt is too long: …", "input length and `max_tokens` exceed context limit: …". */
const CONTEXT_MESSAGE = /prompt is too long|exceeds? (?:the )?context|context (?:limit|window)/i;
/** Spend caps and billing: waiting does not help. */
const QUOTA_CODES = new Set(['enforced_spend_limit_reached', 'billing_error']);
/** Out of credit, answered as a 400 `invalid_request_error`: "Your credit balance is too low to access the Anthropic API…". */
const CREDIT_MESSAGE = /credit balance is too low/i;

/** Rate-limit windows whose `anthropic-ratelimit-<window>-reset` (RFC 3339) is a wait hint once exhausted. */
const WINDOWS = ['requests', 'tokens', 'input-tokens', 'output-tokens'];

/**
 * How long to wait after a 429/529: `retry-after-ms` / `retry-after`, else the reset time of an
 * exhausted `anthropic-ratelimit-*` window (remaining `0`). Resets of windows that are not
 * exhausted are not a wait and are ignored.
 */
export function anthropicRetryAfter(header: Header, now = Date.now()): number | undefined {
  const stated = parseRetryAfter(header, now);
  if (stated !== undefined) return stated;
  let wait: number | undefined;
  for (const window of WINDOWS) {
    if (header(`anthropic-ratelimit-${window}-remaining`)?.trim() !== '0') continue;
    const reset = Date.parse(header(`anthropic-ratelimit-${window}-reset`) ?? '');
    if (Number.isFinite(reset)) wait = Math.max(wait ?? 0, reset - now, 0);
  }
  return wait;
}

/** `error.details.error_code` (spend-limit 429s), which `readErrorObject` does not read. */
function detailCode(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body.error) || !isRecord(body.error.details)) return undefined;
  return readString(body.error.details.error_code);
}

function toError(status: number | undefined, info: ErrorBodyInfo, header: Header, ctx: AdapterContext, now: number): ProviderError {
  const requestId = header('request-id') ?? info.requestId;
  const details: ErrorDetails = { provider: ctx.provider, model: ctx.model, status, requestId, providerCode: info.code ?? info.type };
  const message = `${ctx.provider} ${status ?? 'error'}: ${info.message === '' ? '(no error message)' : info.message}`;
  if (has(QUOTA_CODES, info.code, info.type) || CREDIT_MESSAGE.test(info.message)) return new QuotaExceededError(message, details);
  if ((status === 400 || (status === undefined && info.type === 'invalid_request_error')) && CONTEXT_MESSAGE.test(info.message)) {
    return new ContextWindowExceededError(message, details);
  }
  const waits = status === undefined || status === 429 || status >= 500;
  return classifyProviderError({
    ...info,
    provider: ctx.provider,
    model: ctx.model,
    status,
    requestId,
    retryAfterMs: waits ? anthropicRetryAfter(header, now) : undefined,
    shouldRetry: shouldRetryHeader(header),
  });
}

function has(set: ReadonlySet<string>, ...values: Array<string | undefined>): boolean {
  return values.some((value) => value !== undefined && set.has(value));
}

function withDetailCode(info: ErrorBodyInfo, body: unknown): ErrorBodyInfo {
  const code = detailCode(body);
  return code === undefined || info.code !== undefined ? info : { ...info, code };
}

/**
 * A non-2xx answer → typed error. Body `{"type":"error","error":{"type","message"},"request_id"}`:
 * 400 `invalid_request_error` (context window when the message says the prompt is too long),
 * 401, 403, 404, 413 `request_too_large` (bad request), 429 `rate_limit_error` (rate limit with
 * `retry-after`; a spend-limit or billing 429 is `quota_exceeded`), 500 `api_error` and 504
 * `timeout_error` (server error), 529 `overloaded_error` (overloaded). `x-should-retry` wins;
 * the request id is the `request-id` header, else the body's `request_id`.
 */
export function parseHttpError(status: number, bodyText: string, header: Header, ctx: AdapterContext, now = Date.now()): ProviderError {
  const parsed = parseJson(bodyText);
  const info = withDetailCode(readErrorBody(bodyText), parsed.ok ? parsed.value : undefined);
  return toError(status, info, header, ctx, now);
}

/**
 * An error object inside a 2xx answer or stream (`event: error`): no status, so it is mapped by
 * its type (`overloaded_error` → overloaded, `rate_limit_error` → rate limit, `api_error` →
 * server error, …).
 */
export function parseInBandError(body: unknown, header: Header | undefined, ctx: AdapterContext, now = Date.now()): ProviderError {
  return toError(undefined, withDetailCode(readErrorObject(body), body), header ?? NO_HEADERS, ctx, now);
}
