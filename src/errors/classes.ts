import { type ErrorDetails, ModelmuxError } from './base.js';

/** One problem found while validating a request or config. */
export interface ValidationIssue {
  /** Dotted path to the field, e.g. `messages.1.content`. */
  path: string;
  message: string;
}

/** Bad request or config, caught before anything was sent. `field` names the first bad field. */
export class ValidationError extends ModelmuxError {
  readonly issues: ValidationIssue[];
  readonly field: string;
  constructor(issues: ValidationIssue[], details: ErrorDetails = {}) {
    const first = issues[0] ?? { path: '', message: 'invalid' };
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1, 4).map((i) => i.path || '(root)').join(', ')})` : '';
    super('validation_error', `${first.path || '(root)'}: ${first.message}${more}`, details);
    this.issues = issues;
    this.field = first.path;
  }
  protected override extraJSON(): Record<string, unknown> {
    return { field: this.field, issues: this.issues };
  }
}

/** An error answered by a provider, or met while talking to one. */
export class ProviderError extends ModelmuxError {}

export class AuthenticationError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('authentication_error', message, details);
  }
}
export class PermissionError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('permission_error', message, details);
  }
}
export class NotFoundError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('not_found', message, details);
  }
}
export class BadRequestError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('bad_request', message, details);
  }
}
export class ContextWindowExceededError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('context_window_exceeded', message, details);
  }
}
export class ContentPolicyError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('content_policy', message, details);
  }
}

/** 429: retry after `retryAfterMs` when the provider said so. */
export class RateLimitError extends ProviderError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: ErrorDetails = {}) {
    super('rate_limit', message, { ...details, retryable: details.retryable ?? true });
    this.retryAfterMs = details.retryAfterMs;
  }
  protected override extraJSON(): Record<string, unknown> {
    return this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs };
  }
}
/** Quota, credit or spend limit reached: waiting does not help. */
export class QuotaExceededError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('quota_exceeded', message, { ...details, retryable: false });
  }
}
export class ProviderOverloadedError extends ProviderError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: ErrorDetails = {}) {
    super('overloaded', message, { ...details, retryable: details.retryable ?? true });
    this.retryAfterMs = details.retryAfterMs;
  }
  protected override extraJSON(): Record<string, unknown> {
    return this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs };
  }
}
export class ServerError extends ProviderError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: ErrorDetails = {}) {
    super('server_error', message, { ...details, retryable: details.retryable ?? true });
    this.retryAfterMs = details.retryAfterMs;
  }
  protected override extraJSON(): Record<string, unknown> {
    return this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs };
  }
}
/** The connection could not be made, or broke before a complete answer. */
export class ConnectionError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('connection_error', message, { ...details, retryable: details.retryable ?? true });
  }
}
/** A deadline passed: connect, the call's `timeoutMs`, or a stream's `idleTimeoutMs`. */
export class TimeoutError extends ProviderError {
  readonly timeout: 'connect' | 'deadline' | 'idle';
  constructor(timeout: 'connect' | 'deadline' | 'idle', message: string, details: ErrorDetails = {}) {
    super('timeout', message, { ...details, retryable: details.retryable ?? timeout !== 'deadline' });
    this.timeout = timeout;
  }
  protected override extraJSON(): Record<string, unknown> {
    return { timeout: this.timeout };
  }
}
/** A 2xx answer that is not what was promised: HTML, truncated JSON, oversized, a redirect. */
export class InvalidResponseError extends ProviderError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('invalid_response', message, { ...details, retryable: details.retryable ?? true });
  }
}

/** The usage known when a stream broke (tokens reported so far, if any). */
export interface PartialUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

/** A stream that failed after content was delivered. `cause` is the typed error behind it. */
export class StreamError extends ProviderError {
  /** The text delivered to the caller before the failure. */
  readonly partialContent: string;
  readonly partialUsage: PartialUsage | undefined;
  constructor(message: string, details: ErrorDetails & { partialContent?: string; partialUsage?: PartialUsage } = {}) {
    super('stream_error', message, { ...details, retryable: false });
    this.partialContent = details.partialContent ?? '';
    this.partialUsage = details.partialUsage;
  }
  protected override extraJSON(): Record<string, unknown> {
    return { partialContentLength: this.partialContent.length };
  }
}

/** Why a candidate was not tried. */
export interface SkippedCandidate {
  provider: string;
  model: string;
  reason: string;
}

/** No candidate could be tried at all. */
export class NoRouteError extends ModelmuxError {
  readonly skipped: SkippedCandidate[];
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: ErrorDetails & { skipped?: SkippedCandidate[] } = {}) {
    super('no_route', message, details);
    this.skipped = details.skipped ?? [];
    this.retryAfterMs = details.retryAfterMs;
  }
  protected override extraJSON(): Record<string, unknown> {
    return { skipped: this.skipped, ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }) };
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends ModelmuxError {
  constructor(message = 'The request was aborted by the caller', details: ErrorDetails = {}) {
    super('aborted', message, { ...details, retryable: false });
  }
}

/** The budget period a USD limit counts over (calendar, UTC). */
export type BudgetPeriodName = 'day' | 'week' | 'month' | 'total';

/** Why a budget refused a request: the limit would be passed, or the request has no known price. */
export type BudgetExceededReason = 'limit' | 'unpriced';

/**
 * A USD budget would be passed by this request (or the request has no known price while a USD
 * limit applies). Thrown before anything is sent. `scope` is the scope of the limit that tripped
 * (`{ team: 'product' }`, `{ user: 'u_42' }` for a `{ user: '*' }` limit, `{}` for a global one).
 * Amounts are USD; `requested` is the request's worst-case estimate (`null` when unpriced).
 */
export class BudgetExceededError extends ModelmuxError {
  readonly reason: BudgetExceededReason;
  readonly limitId: string;
  readonly scope: Record<string, string>;
  readonly limit: number;
  readonly spent: number;
  readonly reserved: number;
  readonly requested: number | null;
  readonly period: BudgetPeriodName;
  /** When the period ends (epoch ms); `null` for `total`. */
  readonly periodEnd: number | null;
  constructor(
    message: string,
    details: ErrorDetails & {
      reason?: BudgetExceededReason;
      limitId: string;
      scope: Record<string, string>;
      limit: number;
      spent: number;
      reserved: number;
      requested: number | null;
      period: BudgetPeriodName;
      periodEnd?: number | null;
    },
  ) {
    super('budget_exceeded', message, { ...details, retryable: false });
    this.reason = details.reason ?? 'limit';
    this.limitId = details.limitId;
    this.scope = { ...details.scope };
    this.limit = details.limit;
    this.spent = details.spent;
    this.reserved = details.reserved;
    this.requested = details.requested;
    this.period = details.period;
    this.periodEnd = details.periodEnd ?? null;
  }
  protected override extraJSON(): Record<string, unknown> {
    return {
      reason: this.reason,
      limitId: this.limitId,
      scope: this.scope,
      limit: this.limit,
      spent: this.spent,
      reserved: this.reserved,
      requested: this.requested,
      period: this.period,
      periodEnd: this.periodEnd,
    };
  }
}

/**
 * A budget limit matching the request's scope restricts `models`, and the requested deployment
 * is not in the list. Code `budget_exceeded` (a budget policy refused the request), but a class of
 * its own: waiting or topping up does not help; another model might.
 */
export class ModelNotAllowedError extends ModelmuxError {
  readonly reason = 'model_not_allowed' as const;
  readonly limitId: string;
  readonly scope: Record<string, string>;
  readonly deploymentId: string;
  readonly allowed: string[];
  constructor(message: string, details: ErrorDetails & { limitId: string; scope: Record<string, string>; deploymentId: string; allowed: string[] }) {
    super('budget_exceeded', message, { ...details, retryable: false });
    this.limitId = details.limitId;
    this.scope = { ...details.scope };
    this.deploymentId = details.deploymentId;
    this.allowed = [...details.allowed];
  }
  protected override extraJSON(): Record<string, unknown> {
    return { reason: this.reason, limitId: this.limitId, scope: this.scope, deploymentId: this.deploymentId, allowed: this.allowed };
  }
}

/** The shared budget store (Redis) did not answer: the request is refused (fail closed) unless the store fails open. */
export class BudgetStoreUnavailableError extends ModelmuxError {
  readonly store: string;
  constructor(message: string, details: ErrorDetails & { store?: string } = {}) {
    super('budget_store_unavailable', message, { ...details, retryable: false });
    this.store = details.store ?? 'unknown';
  }
  protected override extraJSON(): Record<string, unknown> {
    return { store: this.store };
  }
}

/** Which local limit refused a request. */
export type LocalLimitKind = 'rpm' | 'tpm' | 'maxParallel';

/**
 * A local rate limit (`rpm`, `tpm` or `maxParallel` of a budget scope or a deployment) refused the
 * request before anything was sent. `retryAfterMs` is when it could pass (absent for `maxParallel`,
 * which frees when a call in flight ends, and for a request larger than the `tpm` limit itself).
 */
export class LocalRateLimitError extends ModelmuxError {
  readonly retryAfterMs: number | undefined;
  readonly limit: LocalLimitKind;
  readonly limitValue: number;
  readonly limitId: string;
  readonly scope: Record<string, string>;
  readonly deploymentId: string | undefined;
  constructor(
    message: string,
    details: ErrorDetails & { limit: LocalLimitKind; limitValue: number; limitId: string; scope: Record<string, string>; deploymentId?: string },
  ) {
    super('local_rate_limit', message, { ...details, retryable: false });
    this.retryAfterMs = details.retryAfterMs;
    this.limit = details.limit;
    this.limitValue = details.limitValue;
    this.limitId = details.limitId;
    this.scope = { ...details.scope };
    this.deploymentId = details.deploymentId;
  }
  protected override extraJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = { limit: this.limit, limitValue: this.limitValue, limitId: this.limitId, scope: this.scope };
    if (this.retryAfterMs !== undefined) json.retryAfterMs = this.retryAfterMs;
    if (this.deploymentId !== undefined) json.deploymentId = this.deploymentId;
    return json;
  }
}
