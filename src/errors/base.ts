import { redact, redactUnknown } from '../http/redact.js';

/** Stable error codes (DESIGN section 6). */
export type ErrorCode =
  | 'validation_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found'
  | 'bad_request'
  | 'context_window_exceeded'
  | 'content_policy'
  | 'rate_limit'
  | 'quota_exceeded'
  | 'overloaded'
  | 'server_error'
  | 'connection_error'
  | 'timeout'
  | 'invalid_response'
  | 'stream_error'
  | 'no_route'
  | 'budget_exceeded'
  | 'budget_store_unavailable'
  | 'local_rate_limit'
  | 'aborted';

/** One attempt made while serving a request, oldest first on `error.attempts`. */
export interface AttemptRecord {
  provider: string;
  model: string;
  code: ErrorCode | 'ok';
  status?: number;
  durationMs: number;
}

export interface ErrorDetails {
  provider?: string;
  model?: string;
  status?: number;
  requestId?: string;
  retryable?: boolean;
  retryAfterMs?: number;
  /** The provider's own error type or code, e.g. `insufficient_quota`, `overloaded_error`. */
  providerCode?: string;
  cause?: unknown;
}

const BRAND = Symbol.for('modelmux.error');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** A cause copied without anything that could hold a secret: name, redacted message and stack, errno code. */
function sanitizeCause(cause: unknown): unknown {
  if (cause === undefined || cause === null) return undefined;
  if (ModelmuxError.isInstance(cause)) return cause;
  if (cause instanceof Error) {
    const copy = new Error(redact(cause.message));
    copy.name = cause.name;
    copy.stack = cause.stack === undefined ? undefined : redact(cause.stack);
    const errno = (cause as { code?: unknown }).code;
    if (typeof errno === 'string') Object.defineProperty(copy, 'code', { value: errno, enumerable: true });
    return copy;
  }
  return redactUnknown(cause);
}

/** The base of every error modelmux throws. Never holds a secret, config object or request header. */
export class ModelmuxError extends Error {
  readonly code: ErrorCode;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  readonly providerCode: string | undefined;
  /** Every attempt made for the request, oldest first (set by the executor). */
  attempts: AttemptRecord[] | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(redact(message));
    this.name = new.target.name;
    this.code = code;
    this.provider = details.provider;
    this.model = details.model;
    this.status = details.status;
    // Both come from the provider (a header, the error body): it may echo a key there too.
    this.requestId = details.requestId === undefined ? undefined : redact(details.requestId);
    this.retryable = details.retryable ?? false;
    this.providerCode = details.providerCode === undefined ? undefined : redact(details.providerCode);
    this.attempts = undefined;
    const cause = sanitizeCause(details.cause);
    if (cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
    }
    if (this.stack) this.stack = redact(this.stack);
  }

  static isInstance(value: unknown): value is ModelmuxError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  get [BRAND](): true {
    return true;
  }

  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
    if (this.provider !== undefined) json.provider = this.provider;
    if (this.model !== undefined) json.model = this.model;
    if (this.status !== undefined) json.status = this.status;
    if (this.requestId !== undefined) json.requestId = this.requestId;
    if (this.providerCode !== undefined) json.providerCode = this.providerCode;
    if (this.attempts !== undefined) json.attempts = this.attempts;
    for (const [key, value] of Object.entries(this.extraJSON())) json[key] = value;
    const cause = (this as { cause?: unknown }).cause;
    if (cause !== undefined) {
      json.cause = ModelmuxError.isInstance(cause)
        ? cause.toJSON()
        : cause instanceof Error
          ? { name: cause.name, message: cause.message }
          : cause;
    }
    return json;
  }

  /** Subclass fields for `toJSON`. */
  protected extraJSON(): Record<string, unknown> {
    return {};
  }

  [INSPECT](): string {
    return `${redact(this.stack ?? `${this.name}: ${this.message}`)}\n${redact(JSON.stringify(this.toJSON(), null, 2))}`;
  }
}

/** The wait a provider asked for, on the errors that carry one (`RateLimitError`, `ServerError`, …). */
export function retryAfterMsOf(error: ModelmuxError): number | undefined {
  const value = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
