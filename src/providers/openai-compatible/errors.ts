import type { ProviderError } from '../../errors/classes.js';
import type { AdapterContext } from '../adapter.js';
import { type ErrorBodyInfo, readErrorBody, readErrorObject } from '../shared/error-body.js';
import { classifyProviderError } from '../shared/error-classify.js';
import { rateLimitWait, shouldRetryHeader } from '../shared/retry-hints.js';

type Header = (name: string) => string | null;

const NO_HEADERS: Header = () => null;

/** The request id: `x-request-id` (OpenAI, Azure, Groq, …), OpenRouter `x-generation-id`, else the body's. */
function requestId(header: Header, info: ErrorBodyInfo): string | undefined {
  return header('x-request-id') ?? header('x-generation-id') ?? info.requestId;
}

function toError(status: number | undefined, info: ErrorBodyInfo, header: Header, ctx: AdapterContext, now: number): ProviderError {
  let retryAfterMs: number | undefined;
  if (status === 429 || (status !== undefined && status >= 500)) retryAfterMs = rateLimitWait(header, info.message);
  if (retryAfterMs === undefined && info.resetAtMs !== undefined && info.resetAtMs > now) retryAfterMs = info.resetAtMs - now;
  return classifyProviderError({
    ...info,
    provider: ctx.provider,
    model: ctx.model,
    status,
    requestId: requestId(header, info),
    retryAfterMs,
    shouldRetry: shouldRetryHeader(header),
  });
}

/** A non-2xx answer: status plus body (JSON or not) plus headers → the typed error. */
export function parseHttpError(status: number, bodyText: string, header: Header, ctx: AdapterContext, now = Date.now()): ProviderError {
  return toError(status, readErrorBody(bodyText), header, ctx, now);
}

/**
 * An error object inside a 2xx answer (OpenRouter's 200 + `{"error":…}`, a stream's error chunk):
 * mapped as the status its `error.code` states would be, else by its code and type.
 */
export function parseInBandError(body: unknown, header: Header | undefined, ctx: AdapterContext, now = Date.now()): ProviderError {
  const info = readErrorObject(body);
  return toError(info.status, info, header ?? NO_HEADERS, ctx, now);
}
