/**
 * Public types of budgets (DESIGN section 5): limits, the tracker's reserve/settle contract, events,
 * and the store interface (`memoryStore()`, `redisStore()` from `modelmux/redis`, or your own).
 */
import type { Abortable } from '../http/transport.js';
import type { BudgetExceededError, LocalLimitKind, ModelNotAllowedError } from '../errors/classes.js';
import type { BudgetPeriod } from './periods.js';

export type { BudgetPeriod } from './periods.js';

/** Request scope: `{ key, user, team, project, …any tag }` → the member's id. */
export type BudgetScope = Record<string, string>;

/**
 * One limit. `scope` selects the requests it counts: every key of `scope` must be in the request's
 * scope with the same value, or with any value when the limit says `'*'` (each member then has its
 * own counter: `{ user: '*' }` gives every user their own budget). `{}` is global.
 */
export interface BudgetLimit {
  /** Stable id: names the counters (in Redis too) and `removeLimit(id)`. Default: derived from scope and period. */
  id?: string;
  scope: BudgetScope;
  /** USD per `period`. Requires `period`. */
  usd?: number;
  /** Calendar period in UTC (`week` starts on Monday), or `total`. */
  period?: BudgetPeriod;
  /** Requests per minute (sliding 60 s window). */
  rpm?: number;
  /** Tokens per minute (sliding 60 s window): estimated at reserve, corrected to the actual at settle. */
  tpm?: number;
  /** Calls in flight at once. */
  maxParallel?: number;
  /** Allowed models for this scope: deployment ids (`openai/gpt-4o`) or model ids (`gpt-4o`); a trailing `*` is a prefix glob. */
  models?: string[];
}

/** Local limits of one deployment (`provider/model`), whatever the scope. */
export interface DeploymentLimit {
  rpm?: number;
  tpm?: number;
  maxParallel?: number;
}

export interface BudgetConfig {
  limits: BudgetLimit[];
  /** Where counters live. Default: `memoryStore()` (one process). */
  store?: BudgetStore;
  /** A request with no known price under a USD limit: `'reject'` (default) or `'allow'` (counted as $0, with a warning). */
  onUnpriced?: 'reject' | 'allow';
  /** An rpm/tpm/maxParallel limit reached: `'reject'` (default, `LocalRateLimitError`) or `'wait'` (until it passes, the deadline or the signal). */
  onLimit?: 'reject' | 'wait';
  /** Fractions of a USD limit at which `onBudgetThreshold` fires, once per period each. Default `[0.8]`. */
  thresholds?: number[];
  /** `provider/model` → local limits of that deployment. */
  deploymentLimits?: Record<string, DeploymentLimit>;
  /** The clock (epoch ms). For tests; default `Date.now`. */
  now?: () => number;
}

/** What the gateway asks before each attempt. */
export interface ReserveRequest {
  scope: BudgetScope;
  /** `provider/model`, the configured provider key and the provider's model id. */
  deploymentId: string;
  /** The provider's model id. */
  model: string;
  /** Worst-case cost in pico-USD (input estimate + max output × output price); `null` when unpriced. */
  estimatePicoUsd: bigint | null;
  /** Worst-case tokens (input estimate + max output), for `tpm`. */
  estimatedTokens: number;
  /** Aborts a wait for a local limit. */
  signal?: Abortable;
  /** Absolute deadline (epoch ms, same clock as `now`) bounding a wait for a local limit. */
  deadlineMs?: number;
}

/** The actual outcome of a call, for `settle`. */
export interface ActualUsage {
  /** Actual cost in pico-USD; `null` when unknown — then the reservation's estimate is booked (never $0). */
  picoUsd: bigint | null;
  /** Actual total tokens (prompt + completion), for `tpm`. */
  tokens: number;
}

/**
 * An admitted request's hold on its budgets. Exactly one of `settle`, `settleAtEstimate` or
 * `release` takes effect; later calls are no-ops. None of them rejects: when the store does not
 * answer, the call is retried in the background (bounded) and a warning is reported.
 */
export interface Reservation {
  readonly id: string;
  /** The reserved worst case in USD (`null` when unpriced). */
  readonly estimateUsd: number | null;
  /** The call finished: book the actual cost and tokens. */
  settle(actual: ActualUsage): Promise<void>;
  /** The call reached the provider but its outcome is unknown (timeout, cut after send): book the estimate. */
  settleAtEstimate(): Promise<void>;
  /** The call never reached the provider (or cannot have been billed): free everything. */
  release(): Promise<void>;
}

/** One USD limit's state for `get(scope)`, in USD. */
export interface BudgetStatus {
  limitId: string;
  /** The limit's scope resolved for the query (`{ user: 'u_42' }` for a `{ user: '*' }` limit). */
  scope: BudgetScope;
  period: BudgetPeriod;
  /** `2026-11`, `2026-W48`, `2026-11-24` or `total`. */
  periodKey: string;
  spent: number;
  reserved: number;
  limit: number;
  /** Epoch ms at which the period ends; `null` for `total`. */
  periodEnd: number | null;
}

export interface SpendEvent {
  reservationId: string;
  /** Booked USD. */
  usd: number;
  /** Booked nano-USD (exact). */
  nanoUsd: bigint;
  /** The reserved worst case in USD (`null` when unpriced). */
  estimateUsd: number | null;
  /** `'actual'` from usage, `'estimate'` when the outcome was unknown or the actual cost was missing. */
  basis: 'actual' | 'estimate';
  tokens: number;
  /** The request's scope. */
  scope: BudgetScope;
  /** The USD limits charged, with their resolved scopes. */
  limits: Array<{ limitId: string; scope: BudgetScope }>;
  deploymentId: string;
  model: string;
}

export interface BudgetThresholdEvent {
  limitId: string;
  scope: BudgetScope;
  period: BudgetPeriod;
  periodKey: string;
  /** The configured fraction crossed, e.g. 0.8. */
  threshold: number;
  spent: number;
  limit: number;
}

export interface BudgetExceededEvent {
  error: BudgetExceededError | ModelNotAllowedError;
  scope: BudgetScope;
  deploymentId: string;
  model: string;
}

export type BudgetWarningCode =
  | 'unpriced_allowed'
  | 'actual_cost_missing'
  | 'overshoot'
  | 'store_fail_open'
  | 'store_retry'
  | 'store_gave_up'
  | 'lease_renew_failed';

export interface BudgetWarningEvent {
  code: BudgetWarningCode;
  message: string;
  deploymentId?: string;
  model?: string;
}

export interface BudgetEvents {
  onSpend?(event: SpendEvent): void;
  onBudgetThreshold?(event: BudgetThresholdEvent): void;
  onBudgetExceeded?(event: BudgetExceededEvent): void;
  onWarning?(event: BudgetWarningEvent): void;
}

// ---------------------------------------------------------------------------------------------
// The store contract. Stores expose reserve/finish, never get/set, so no store can split the check
// from the increment (reliability-design 5.5). Keys are logical (`usd:<limit>:<member>:<period>`);
// a store may prefix them. Amounts are nano-USD.

/** One counter a reservation touches. */
export type CounterSpec =
  | {
      kind: 'usd';
      key: string;
      /** nano-USD. */
      limit: bigint;
      /** nano-USD reserved by this request. */
      amount: bigint;
      /** When the counter may be dropped (epoch ms); `null` = never (`total`). */
      expiresAt: number | null;
      /** nano-USD spend levels at which the store reports a crossing, once per counter. */
      thresholds: bigint[];
    }
  | { kind: 'rpm'; key: string; limit: number }
  | { kind: 'tpm'; key: string; limit: number; tokens: number }
  | { kind: 'parallel'; key: string; limit: number };

export interface StoreReserveOp {
  /** Unique reservation id. */
  id: string;
  now: number;
  /** Lease deadline: past it, a reservation nobody settled is booked at its estimate. */
  leaseUntil: number;
  counters: CounterSpec[];
}

/** A counter that refused; `index` into `counters`. */
export interface CounterRefusal {
  index: number;
  /** usd: nano-USD spent and reserved now. */
  spent?: bigint;
  reserved?: bigint;
  /** rpm/tpm: when enough of the window frees (absent when it never will). */
  retryAfterMs?: number;
}

export type StoreReserveOutcome =
  | { ok: true; /** Admitted without a shared check (fail-open). */ warning?: string }
  | { ok: false; refusals: CounterRefusal[] };

export interface StoreFinishOp {
  id: string;
  now: number;
  /** `settle`: book `amount`, correct tpm to `tokens`; `estimate`: book the reserved amount; `release`: free everything. */
  mode: 'settle' | 'estimate' | 'release';
  /** nano-USD (for `settle`). */
  amount: bigint;
  tokens: number;
}

export interface ThresholdCrossing {
  key: string;
  /** The nano-USD level crossed (one of the counter's `thresholds`). */
  threshold: bigint;
  /** nano-USD spent after this settle. */
  spent: bigint;
}

export interface StoreFinishOutcome {
  /** `false` when the reservation was unknown (already finished or expired): nothing changed. */
  applied: boolean;
  crossed: ThresholdCrossing[];
  warning?: string;
}

export interface CounterState {
  spent: bigint;
  reserved: bigint;
}

/**
 * A budget store. `reserve` must check every counter and then increment all of them, or none, in
 * one atomic step (for an in-process store: one synchronous function). `finish` must be idempotent
 * by reservation id. Expired leases must be booked at their estimate (fail closed).
 * Unreachable → throw `BudgetStoreUnavailableError` (or admit with `warning` when configured to fail open).
 */
export interface BudgetStore {
  readonly kind: string;
  /** How long a reservation lives without a renewal. */
  readonly leaseMs: number;
  reserve(op: StoreReserveOp): StoreReserveOutcome | Promise<StoreReserveOutcome>;
  finish(op: StoreFinishOp): StoreFinishOutcome | Promise<StoreFinishOutcome>;
  /** Pushes the lease deadline of open reservations (unknown ids are ignored). */
  renew(ids: string[], leaseUntil: number, now: number): void | Promise<void>;
  /** Current usd counters (zeros for unknown keys). */
  read(keys: string[], now: number): CounterState[] | Promise<CounterState[]>;
}

/** Which local limit a rate counter enforces (for `LocalRateLimitError.limit`). */
export type RateCounterKind = LocalLimitKind;
