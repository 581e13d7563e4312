import type { ModelmuxError } from '../errors/base.js';
import { OutcomeWindow } from './stats.js';

/**
 * A per-deployment circuit breaker (DESIGN section 4, reliability-design section 5.4): Envoy's
 * outlier-detection triggers (consecutive failures, failure rate over a window, escalating ejection
 * with a cap and jitter) on cockatiel's state machine (closed → open → half-open with one probe),
 * plus what generic breakers lack: a provider's `retry-after` sets the open deadline directly.
 * Pure state: no timers; every method takes `now` (default: the options' clock).
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

/** While a half-open probe is out, `openDeadline` says to look again after this long. */
export const PROBE_RECHECK_MS = 50;

/** How an attempt was let through (`tryAcquire`): while closed, or as the half-open probe. */
export type Admission = 'closed' | 'probe';

/** How an error affects a deployment's breaker. */
export type BreakerImpact =
  /** Says nothing about the deployment: the caller's own mistake, abort, deadline or a local rejection. */
  | 'ignore'
  /** The deployment is unhealthy: counts towards the consecutive and failure-rate triggers. */
  | 'count'
  /** 429: open at once until the retry-after (else `rateLimitMs`). */
  | 'rate_limit'
  /** 401/403/quota: a broken credential or an empty account will not heal in seconds. */
  | 'credential';

const IGNORED = new Set<string>([
  'validation_error',
  'bad_request',
  'not_found',
  'context_window_exceeded',
  'content_policy',
  'aborted',
  'budget_exceeded',
  'budget_store_unavailable',
  'local_rate_limit',
  'no_route',
]);
const COUNTED = new Set<string>(['server_error', 'overloaded', 'connection_error', 'timeout', 'invalid_response', 'stream_error']);
const CREDENTIAL = new Set<string>(['authentication_error', 'permission_error', 'quota_exceeded']);

/**
 * Classifies an error for the breaker. User errors (400, 404, 413, 422, context window, content
 * policy), caller aborts, the caller's own deadline (`timeout` of kind `deadline`), budget and
 * local rejections and router-generated errors never count. An unknown code counts only when its
 * status is ≥ 500.
 */
export function breakerImpact(error: ModelmuxError): BreakerImpact {
  const code = error.code;
  if (IGNORED.has(code)) return 'ignore';
  if (code === 'timeout') return (error as { timeout?: string }).timeout === 'deadline' ? 'ignore' : 'count';
  if (COUNTED.has(code)) return 'count';
  if (code === 'rate_limit') return 'rate_limit';
  if (CREDENTIAL.has(code)) return 'credential';
  return error.status !== undefined && error.status >= 500 ? 'count' : 'ignore';
}

export interface BreakerOptions {
  /** Consecutive counted failures that trip the breaker. Default 5. */
  consecutiveFailures: number;
  /** Failure share over the window that trips it (with at least `failureRateMinCalls` calls). Default 0.5. */
  failureRate: number;
  /** Default 30 000 ms. */
  failureRateWindowMs: number;
  /** Default 10. */
  failureRateMinCalls: number;
  /** Open duration of the k-th consecutive ejection: `min(maxEjectionMs, baseEjectionMs × k)`. Default 30 000. */
  baseEjectionMs: number;
  /** Default 300 000. */
  maxEjectionMs: number;
  /** ± share of jitter on ejection durations. Default 0.1. */
  jitter: number;
  /** Open duration on a 429 without retry-after. Default 5 000. */
  rateLimitMs: number;
  /** A retry-after (or `openFor`/`openUntil`) never opens for longer than this. Default 300 000. */
  maxHintMs: number;
  /** Open duration on 401/403/quota. Default 600 000. */
  credentialMs: number;
  /** After this long closed without a trip, the ejection count k returns to 0. Default 600 000. */
  healthyDecayMs: number;
  /** A probe that never reported frees the half-open slot after this long. Default 600 000. */
  probeTimeoutMs: number;
  /** Jitter source, U[0, 1). */
  random: () => number;
  /** Clock used when a method is called without `now`. */
  now: () => number;
  /** Telemetry: called on every state change. */
  onTransition?: (event: BreakerTransition) => void;
}

export interface BreakerTransition {
  /** The deployment id, when the breaker belongs to a registry. */
  id: string | undefined;
  from: BreakerState;
  to: BreakerState;
  /** The open deadline (ms epoch) when `to` is `open`. */
  openUntil: number | undefined;
  reason: 'consecutive_failures' | 'failure_rate' | 'rate_limit' | 'credential' | 'probe_failed' | 'hold' | 'deadline_passed' | 'probe_succeeded';
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  consecutiveFailures: 5,
  failureRate: 0.5,
  failureRateWindowMs: 30_000,
  failureRateMinCalls: 10,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  jitter: 0.1,
  rateLimitMs: 5_000,
  maxHintMs: 300_000,
  credentialMs: 600_000,
  healthyDecayMs: 600_000,
  probeTimeoutMs: 600_000,
  random: Math.random,
  now: Date.now,
});

/** A plain JSON object describing one breaker. */
export interface BreakerSnapshot {
  state: BreakerState;
  /** ms epoch while open (`undefined` when closed; the past deadline when half-open). */
  openUntil: number | undefined;
  /** Consecutive ejections (escalates the open duration). */
  ejections: number;
  consecutiveFailures: number;
  recent: { calls: number; failures: number };
  probeInFlight: boolean;
}

/** One deployment's breaker. */
export class CircuitBreaker {
  private readonly options: BreakerOptions;
  private current: BreakerState = 'closed';
  private deadline: number | undefined;
  /** The k of the last ejection: the next trip uses k + 1. */
  private k = 0;
  /** When the breaker last closed (or was created): the start of the healthy period for decay. */
  private healthySince: number | undefined;
  private consecutive = 0;
  private readonly window: OutcomeWindow;
  private probeStartedAt: number | undefined;

  constructor(
    options: Partial<BreakerOptions> = {},
    private readonly id?: string,
  ) {
    this.options = { ...DEFAULT_BREAKER_OPTIONS, ...options };
    this.window = new OutcomeWindow(this.options.failureRateWindowMs);
  }

  /** The open deadline (ms epoch) while open or half-open, else `undefined`. */
  get openUntilMs(): number | undefined {
    return this.current === 'closed' ? undefined : this.deadline;
  }

  /**
   * When the breaker may admit an attempt again (ms epoch): the deadline while open and before it;
   * `now + PROBE_RECHECK_MS` while half-open with its probe out (the probe's answer is due soon);
   * `undefined` when an attempt would be admitted now (closed, or half-open awaiting its probe).
   */
  openDeadline(now: number = this.options.now()): number | undefined {
    if (this.current === 'open' && this.deadline !== undefined && now < this.deadline) return this.deadline;
    if (this.current === 'half-open' && this.probeStartedAt !== undefined && now - this.probeStartedAt < this.options.probeTimeoutMs) return now + PROBE_RECHECK_MS;
    return undefined;
  }

  /** Consecutive ejections so far (k). */
  get ejections(): number {
    return this.k;
  }

  /** The state at `now`, without changing it: an open breaker past its deadline reads `half-open`. */
  state(now: number = this.options.now()): BreakerState {
    if (this.current === 'open' && this.deadline !== undefined && now >= this.deadline) return 'half-open';
    return this.current;
  }

  /**
   * May an attempt start? `'closed'`: yes. `'probe'`: yes, as the single half-open probe — its
   * outcome (`onSuccess` / `onFailure`) closes or reopens the breaker. `false`: the breaker is open,
   * or half-open with the probe still out; skip to another candidate.
   */
  tryAcquire(now: number = this.options.now()): 'closed' | 'probe' | false {
    this.decay(now);
    if (this.current === 'closed') return 'closed';
    if (this.current === 'open') {
      if (this.deadline !== undefined && now < this.deadline) return false;
      this.transition('half-open', 'deadline_passed');
    }
    if (this.probeStartedAt !== undefined && now - this.probeStartedAt < this.options.probeTimeoutMs) return false;
    this.probeStartedAt = now;
    return 'probe';
  }

  /**
   * The executor's own retry of a deployment whose breaker this very request opened (a 429 with
   * no retry-after opens it for `rateLimitMs`, longer than a backoff): that retry IS the probe.
   * Closed stays closed; otherwise the breaker goes half-open with this attempt as its probe, so
   * its outcome closes or reopens it, and concurrent callers keep skipping it meanwhile.
   */
  acquireForRetry(now: number = this.options.now()): 'closed' | 'probe' {
    this.decay(now);
    if (this.current === 'closed') return 'closed';
    if (this.current === 'open') this.transition('half-open', 'deadline_passed');
    this.probeStartedAt = now;
    return 'probe';
  }

  /**
   * A success. Closed: resets the consecutive count. Half-open (the probe, or any attempt answering
   * after the deadline): closes, clears the counters; k is kept and decays after `healthyDecayMs`
   * closed, so a deployment that flaps (probe passes, trips again at once) gets escalating
   * ejections. Open: ignored — a straggler that started before the trip proves nothing about the
   * deadline.
   */
  onSuccess(now: number = this.options.now()): void {
    this.decay(now);
    if (this.current === 'open') return;
    if (this.current === 'half-open') {
      this.close(now);
      return;
    }
    this.consecutive = 0;
    this.window.record(true, now);
  }

  /**
   * A failure, classified by `breakerImpact`. Returns the impact it had. A provider's own word (429,
   * credentials) always applies; a counted failure of a straggler — an attempt admitted while
   * closed that ends after the trip — neither extends the ejection nor fails the probe: under
   * load, the requests in flight when a breaker opens would otherwise keep it open.
   */
  onFailure(error: ModelmuxError, now: number = this.options.now(), admittedAs: Admission = this.current === 'half-open' ? 'probe' : 'closed'): BreakerImpact {
    this.decay(now);
    const impact = breakerImpact(error);
    if (impact === 'ignore') {
      // A probe that ended with a user error or an abort tells nothing: free the slot for another.
      if (this.current === 'half-open' && admittedAs === 'probe') this.probeStartedAt = undefined;
      return impact;
    }
    if (impact === 'rate_limit') {
      const hinted = (error as { retryAfterMs?: number }).retryAfterMs;
      const ms = hinted !== undefined && Number.isFinite(hinted) && hinted >= 0 ? hinted : this.options.rateLimitMs;
      this.open(now + Math.min(ms, this.options.maxHintMs), 'rate_limit');
      return impact;
    }
    if (impact === 'credential') {
      this.open(now + this.options.credentialMs, 'credential');
      return impact;
    }
    // impact === 'count'
    if (this.current === 'half-open' && admittedAs === 'probe') {
      this.k += 1;
      this.open(now + this.ejectionMs(this.k), 'probe_failed');
      return impact;
    }
    if (this.current !== 'closed') return impact; // a straggler
    this.consecutive += 1;
    this.window.record(false, now);
    const { calls, failures } = this.window.counts(now);
    const reason =
      this.consecutive >= this.options.consecutiveFailures
        ? 'consecutive_failures'
        : calls >= this.options.failureRateMinCalls && failures / calls >= this.options.failureRate
          ? 'failure_rate'
          : undefined;
    if (reason !== undefined) {
      this.k += 1;
      this.open(now + this.ejectionMs(this.k), reason);
    }
    return impact;
  }

  /** Keeps the deployment open until `deadlineMs` (capped at `now + maxHintMs`); an existing later deadline wins. */
  openUntil(deadlineMs: number, now: number = this.options.now()): void {
    if (!Number.isFinite(deadlineMs)) return;
    this.open(Math.min(deadlineMs, now + this.options.maxHintMs), 'hold');
  }

  /** `openUntil(now + ms)`. */
  openFor(ms: number, now: number = this.options.now()): void {
    this.openUntil(now + Math.max(0, ms), now);
  }

  snapshot(now: number = this.options.now()): BreakerSnapshot {
    this.decay(now);
    const state = this.state(now);
    return {
      state,
      openUntil: state === 'closed' ? undefined : this.deadline,
      ejections: this.k,
      consecutiveFailures: this.consecutive,
      recent: this.window.counts(now),
      probeInFlight: this.probeStartedAt !== undefined,
    };
  }

  /** `min(max, base × k)` with ± jitter. */
  private ejectionMs(k: number): number {
    const { baseEjectionMs, maxEjectionMs, jitter, random } = this.options;
    const base = Math.min(maxEjectionMs, baseEjectionMs * k);
    return Math.round(base * (1 + (random() * 2 - 1) * jitter));
  }

  /** Opens (or stays open) until the later of the current deadline and `until` — never shortens. */
  private open(until: number, reason: BreakerTransition['reason']): void {
    const keep = this.current !== 'closed' && this.deadline !== undefined ? this.deadline : -Infinity;
    this.deadline = Math.max(keep, until);
    this.probeStartedAt = undefined;
    this.consecutive = 0;
    this.healthySince = undefined;
    if (this.current !== 'open') this.transition('open', reason);
  }

  private close(now: number): void {
    this.deadline = undefined;
    this.probeStartedAt = undefined;
    this.consecutive = 0;
    this.window.clear();
    this.healthySince = now;
    this.transition('closed', 'probe_succeeded');
  }

  /** k returns to 0 after `healthyDecayMs` closed without a trip. */
  private decay(now: number): void {
    if (this.current !== 'closed' || this.k === 0) return;
    if (this.healthySince === undefined) this.healthySince = now;
    else if (now - this.healthySince >= this.options.healthyDecayMs) this.k = 0;
  }

  private transition(to: BreakerState, reason: BreakerTransition['reason']): void {
    const from = this.current;
    this.current = to;
    this.options.onTransition?.({ id: this.id, from, to, openUntil: to === 'open' ? this.deadline : undefined, reason });
  }
}

/** One breaker per deployment id, created on first use. */
export class BreakerRegistry {
  private readonly byId = new Map<string, CircuitBreaker>();
  private readonly options: Partial<BreakerOptions>;

  constructor(options: Partial<BreakerOptions> = {}) {
    this.options = options;
  }

  get(id: string): CircuitBreaker {
    let breaker = this.byId.get(id);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(this.options, id);
      this.byId.set(id, breaker);
    }
    return breaker;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Ids of every breaker created so far. */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  snapshot(now?: number): Record<string, BreakerSnapshot> {
    const result: Record<string, BreakerSnapshot> = {};
    for (const [id, breaker] of this.byId) result[id] = breaker.snapshot(now);
    return result;
  }
}
