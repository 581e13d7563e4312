import {
  AuthenticationError,
  ContextWindowExceededError,
  PermissionError,
  type ProviderError,
  ProviderOverloadedError,
  QuotaExceededError,
  RateLimitError,
} from '../../errors/classes.js';
import type { ErrorDetails } from '../../errors/base.js';
import { parseDuration, parseRetryAfter } from '../../http/retry-after.js';
import type { AdapterContext } from '../adapter.js';
import { type ErrorBodyInfo, readErrorObject } from '../shared/error-body.js';
import { classifyProviderError } from '../shared/error-classify.js';
import { excerpt, isRecord, type JsonRecord, parseJson, readNumber, readString } from '../shared/json.js';
import { retryAfterFromMessage } from '../shared/retry-hints.js';

type Header = (name: string) => string | null;

const NO_HEADERS: Header = () => null;
const RPC = 'type.googleapis.com/google.rpc.';

// `.{0,200}`, not `.*`: an unbounded gap rescans the rest of the message from every "input token count".
const CONTEXT_MESSAGE = /input token count.{0,200}exceeds|exceeds the maximum number of tokens/i;
const BILLING_MESSAGE = /billing/i;
const KEY_MESSAGE = /api key not valid|api_key_invalid|api key expired/i;

/** The `google.rpc.*` entries of `error.details`. */
interface RpcDetails {
  /** `ErrorInfo.reason`, e.g. `API_KEY_INVALID`. */
  reason?: string | undefined;
  /** `RetryInfo.retryDelay` in ms. */
  retryDelayMs?: number | undefined;
  /** `QuotaFailure.violations[].quotaId`. */
  quotaIds: string[];
  /** A violated quota whose value is 0 (the model is not in the plan at all). */
  zeroQuota: boolean;
}

/** A protobuf Duration in JSON: `"34s"`, `"1.5s"`, or `{ seconds, nanos }`. */
function durationMs(value: unknown): number | undefined {
  if (typeof value === 'string') return parseDuration(value);
  if (!isRecord(value)) return undefined;
  const seconds = readNumber(typeof value.seconds === 'string' ? Number(value.seconds) : value.seconds) ?? 0;
  const nanos = readNumber(value.nanos) ?? 0;
  const ms = Math.round(seconds * 1000 + nanos / 1e6);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function readDetails(error: unknown): RpcDetails {
  const out: RpcDetails = { quotaIds: [], zeroQuota: false };
  const list = isRecord(error) && Array.isArray(error.details) ? error.details : [];
  for (const entry of list) {
    if (!isRecord(entry)) continue;
    const type = readString(entry['@type']);
    if (type === `${RPC}ErrorInfo`) out.reason ??= readString(entry.reason);
    else if (type === `${RPC}RetryInfo`) out.retryDelayMs ??= durationMs(entry.retryDelay);
    else if (type === `${RPC}QuotaFailure` && Array.isArray(entry.violations)) {
      for (const violation of entry.violations) {
        if (!isRecord(violation)) continue;
        const id = readString(violation.quotaId);
        if (id !== undefined) out.quotaIds.push(id);
        if (violation.quotaValue === '0' || violation.quotaValue === 0) out.zeroQuota = true;
      }
    }
  }
  return out;
}

/** A quota that waiting a minute does not restore: a per-day quota, or a quota of 0 (not in the plan). */
function exhaustedForTheDay(details: RpcDetails, message: string): boolean {
  return details.zeroQuota || details.quotaIds.some((id) => /PerDay/i.test(id)) || /\blimit: 0\b/.test(message);
}

/**
 * Gemini's `{"error":{code,message,status,details}}` → the typed error. Decisions beyond the status:
 * - `API_KEY_INVALID` (a 400) → `AuthenticationError`;
 * - 400 "input token count … exceeds the maximum" → `ContextWindowExceededError`;
 * - `FAILED_PRECONDITION` (400): billing → `QuotaExceededError`; anything else (the free tier is
 *   not available in the caller's region) → `PermissionError`; neither is retried, both fall back;
 * - 429 `RESOURCE_EXHAUSTED` → `RateLimitError` with `retryAfterMs` from `RetryInfo.retryDelay`
 *   (else `retry-after`, else "retry in 13.8s" in the message); but a per-day quota
 *   (`QuotaFailure` `quotaId` containing `PerDay`) or a zero quota → `QuotaExceededError`;
 * - 503 `UNAVAILABLE` ("The model is overloaded") → `ProviderOverloadedError`;
 * - everything else by the shared status/body classification (500/504 → `ServerError`).
 */
function toError(status: number | undefined, error: unknown, info: ErrorBodyInfo, header: Header, ctx: AdapterContext): ProviderError {
  const details = readDetails(error);
  const rpcStatus = info.type;
  const effective = status ?? info.status;
  const text = info.message === '' ? '(no error message)' : info.message;
  const message = `${ctx.provider} ${effective ?? 'error'}: ${text}`;
  const base: ErrorDetails = {
    provider: ctx.provider,
    model: ctx.model,
    status: effective,
    requestId: info.requestId,
    providerCode: details.reason ?? rpcStatus ?? info.code,
  };
  const wait = details.retryDelayMs ?? parseRetryAfter(header) ?? retryAfterFromMessage(info.message);

  if (details.reason === 'API_KEY_INVALID' || rpcStatus === 'UNAUTHENTICATED' || (effective === 400 && KEY_MESSAGE.test(text))) {
    return new AuthenticationError(message, base);
  }
  if (rpcStatus === 'FAILED_PRECONDITION') {
    return BILLING_MESSAGE.test(text) ? new QuotaExceededError(message, base) : new PermissionError(message, base);
  }
  if (rpcStatus === 'PERMISSION_DENIED') return new PermissionError(message, base);
  if ((effective === 400 || rpcStatus === 'INVALID_ARGUMENT') && CONTEXT_MESSAGE.test(text)) return new ContextWindowExceededError(message, base);
  if (effective === 429 || rpcStatus === 'RESOURCE_EXHAUSTED') {
    if (exhaustedForTheDay(details, text)) return new QuotaExceededError(message, { ...base, retryAfterMs: wait });
    return new RateLimitError(message, { ...base, retryAfterMs: wait });
  }
  if (effective === 503 || rpcStatus === 'UNAVAILABLE') return new ProviderOverloadedError(message, { ...base, retryAfterMs: wait });
  return classifyProviderError({
    ...info,
    provider: ctx.provider,
    model: ctx.model,
    status: effective,
    code: base.providerCode,
    retryAfterMs: effective !== undefined && effective >= 500 ? wait : undefined,
  });
}

/** A non-2xx answer (its body JSON or not) → the typed error. */
export function parseHttpError(status: number, bodyText: string, header: Header, ctx: AdapterContext): ProviderError {
  if (bodyText.trim() === '') return toError(status, undefined, { message: '' }, header, ctx);
  const parsed = parseJson(bodyText);
  if (!parsed.ok) return toError(status, undefined, { message: excerpt(bodyText) }, header, ctx);
  const body = Array.isArray(parsed.value) ? (parsed.value[0] as unknown) : parsed.value;
  return toError(status, isRecord(body) ? body.error : undefined, readErrorObject(body), header, ctx);
}

/** An error object inside a 2xx answer or a stream event: mapped as the status its `error.code` states. */
export function parseInBandError(body: JsonRecord, ctx: AdapterContext, header: Header = NO_HEADERS): ProviderError {
  const info = readErrorObject(body);
  return toError(info.status, body.error, info, header, ctx);
}
