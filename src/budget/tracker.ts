/**
 * The budget tracker: the one choke point every call goes through (reliability-design lesson 3).
 *
 *   const reservation = await tracker.reserve({ scope, deploymentId, model, estimatePicoUsd, estimatedTokens, signal, deadlineMs });
 *   try { …call the provider… ; await reservation.settle({ picoUsd, tokens }) }
 *   catch { await reservation.release() or reservation.settleAtEstimate() }
 *
 * `reserve` checks every matching limit (USD budgets, rpm, tpm, maxParallel, allowed models, and
 * the deployment's own limits) and holds the worst case on all of them in one atomic store step,
 * or throws with nothing held. Exactly one of settle / settleAtEstimate / release takes effect.
 * A store that does not answer a settle or release is retried in the background (bounded); open
 * reservations have their lease renewed so only a crashed process's reservations expire.
 */
import type { Abortable } from '../http/transport.js';
import {
  AbortError,
  BudgetExceededError,
  BudgetStoreUnavailableError,
  LocalRateLimitError,
  ModelmuxError,
  ModelNotAllowedError,
  ValidationError,
} from '../errors/index.js';
import { LimitBook } from './limit-book.js';
import { canonicalScope, matchLimits, modelAllowed, type CompiledLimit, type MatchedLimit } from './limits.js';
import { memoryStore } from './memory-store.js';
import { actualToNanoUsd, estimateToNanoUsd, formatUsd, fractionOf, nanoUsdToUsd } from './money.js';
import { periodEnd, periodKey, type BudgetPeriod } from './periods.js';
import type {
  ActualUsage,
  BudgetConfig,
  BudgetEvents,
  BudgetLimit,
  BudgetScope,
  BudgetStatus,
  BudgetStore,
  BudgetWarningCode,
  CounterRefusal,
  CounterSpec,
  ReserveRequest,
  Reservation,
  StoreFinishOp,
  StoreFinishOutcome,
  StoreReserveOp,
  StoreReserveOutcome,
} from './types.js';

/** USD counters outlive their period by a day, so settles of calls that straddle the boundary land. */
const PERIOD_GRACE_MS = 86_400_000;
/** A reservation open longer than this stops being renewed: it then expires and is booked at its estimate. */
const MAX_HOLD_MS = 3_600_000;
/** How long a settle or release the store did not answer is retried in the background. */
const RETRY_FOR_MS = 15 * 60_000;
const RETRY_MAX_DELAY_MS = 2_000;
/** Poll interval while waiting for a maxParallel slot held by another process. */
const PARALLEL_POLL_MS = 250;

interface UsdMeta {
  type: 'usd';
  limit: CompiledLimit & { usdNano: bigint; period: BudgetPeriod; usd: number };
  scope: BudgetScope;
  key: string;
  periodKey: string;
  periodEnd: number | null;
  /** nano-USD level (as a string) → configured fraction. */
  levels: Map<string, number>;
}

interface RateMeta {
  type: 'rate';
  kind: 'rpm' | 'tpm' | 'maxParallel';
  limit: CompiledLimit;
  scope: BudgetScope;
  value: number;
}

interface Plan {
  counters: CounterSpec[];
  meta: Array<UsdMeta | RateMeta>;
  usd: UsdMeta[];
  estimateNano: bigint | null;
  tokens: number;
}

type Mode = StoreFinishOp['mode'];

interface RetryItem {
  id: string;
  plan: Plan;
  mode: Mode;
  amount: bigint;
  tokens: number;
  /** Report thresholds and a give-up (false for the release of a reserve that failed). */
  report: boolean;
  request?: ReserveRequest;
  started: number;
}

const enc = encodeURIComponent;

function scopeText(scope: BudgetScope): string {
  const text = canonicalScope(scope);
  return text === 'global' ? 'the global budget' : text;
}

function perPeriod(period: BudgetPeriod): string {
  return period === 'total' ? 'in total' : `per ${period}`;
}

function providerOf(deploymentId: string): string | undefined {
  const slash = deploymentId.indexOf('/');
  return slash > 0 ? deploymentId.slice(0, slash) : undefined;
}

function unref(timer: unknown): void {
  (timer as { unref?: () => void }).unref?.();
}

function toStoreError(error: unknown, kind: string): ModelmuxError {
  if (ModelmuxError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BudgetStoreUnavailableError(`Budget store (${kind}) failed: ${message}`, { store: kind, cause: error });
}

export class BudgetTracker {
  readonly store: BudgetStore;
  /** The limits, shared with the gateway's `mux.budget` (which may change them while requests run). */
  readonly book: LimitBook;
  private readonly deploymentLimits: Map<string, CompiledLimit>;
  private readonly onUnpriced: 'reject' | 'allow';
  private readonly onLimit: 'reject' | 'wait';
  private readonly thresholds: number[];
  private readonly now: () => number;
  private readonly events: BudgetEvents;
  /** Open reservations (id → when opened), renewed until settled. */
  private readonly open = new Map<string, number>();
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private renewing = false;
  /** Settles/releases the store did not take yet, oldest first, and the one loop retrying them. */
  private readonly retryQueue = new Map<string, RetryItem>();
  private retryLoop: Promise<void> | undefined;
  /** Reserves waiting for a maxParallel slot: woken when a local reservation finishes. */
  private readonly waiters = new Set<() => void>();
  private readonly levelCache = new Map<bigint, { thresholds: bigint[]; levels: Map<string, number> }>();

  constructor(config: BudgetConfig | LimitBook, events: BudgetEvents = {}) {
    this.book = config instanceof LimitBook ? config : new LimitBook(config);
    const parsed = this.book.config;
    this.deploymentLimits = parsed.deploymentLimits;
    this.store = parsed.store ?? memoryStore();
    this.onUnpriced = parsed.onUnpriced;
    this.onLimit = parsed.onLimit;
    this.thresholds = parsed.thresholds;
    this.now = parsed.now;
    this.events = events;
  }

  private get limits(): CompiledLimit[] {
    return this.book.limits;
  }

  // ------------------------------------------------------------------------------------------
  // Limits at run time

  /** The configured limits (ids filled in). */
  listLimits(): BudgetLimit[] {
    return this.book.list();
  }

  /** Replaces every limit. Counters are kept by limit id: a limit keeping its id keeps its spend. */
  setLimits(limits: BudgetLimit[]): void {
    this.book.set(limits);
  }

  /** Adds one limit (its id must be new). */
  addLimit(limit: BudgetLimit): void {
    this.book.add(limit);
  }

  /** Removes the limit with this id; `false` when there is none. Its counters stay in the store until they expire. */
  removeLimit(id: string): boolean {
    return this.book.remove(id);
  }

  // ------------------------------------------------------------------------------------------
  // Queries

  /** Every USD limit matching `scope`, for the current period, in USD. */
  async get(scope: BudgetScope): Promise<BudgetStatus[]> {
    const now = this.now();
    const matched = matchLimits(this.limits, scope ?? {}).filter((m) => m.limit.usdNano !== undefined && m.limit.period !== undefined);
    if (matched.length === 0) return [];
    const rows = matched.map((m) => {
      const period = m.limit.period as BudgetPeriod;
      const key = periodKey(period, now);
      return { m, period, key, counter: this.usdKey(m, key) };
    });
    let states;
    try {
      states = await this.store.read(
        rows.map((r) => r.counter),
        now,
      );
    } catch (error) {
      throw toStoreError(error, this.store.kind);
    }
    return rows.map((r, i) => ({
      limitId: r.m.limit.id,
      scope: r.m.scope,
      period: r.period,
      periodKey: r.key,
      spent: nanoUsdToUsd(states[i]?.spent ?? 0n),
      reserved: nanoUsdToUsd(states[i]?.reserved ?? 0n),
      limit: r.m.limit.usd as number,
      periodEnd: periodEnd(r.period, now),
    }));
  }

  // ------------------------------------------------------------------------------------------
  // Reserve

  /**
   * Holds the worst case of one attempt on every matching limit, or throws with nothing held:
   * `ModelNotAllowedError`, `BudgetExceededError` (also for an unpriced request under a USD limit
   * unless `onUnpriced: 'allow'`), `LocalRateLimitError` (`onLimit: 'reject'`, or after waiting
   * up to `deadlineMs`), `AbortError` (the signal fired while waiting), `BudgetStoreUnavailableError`.
   */
  async reserve(request: ReserveRequest): Promise<Reservation> {
    if (typeof request !== 'object' || request === null) throw new ValidationError([{ path: 'budget.reserve', message: 'expected a request' }]);
    if (request.signal?.aborted) throw new AbortError();
    const scope = request.scope ?? {};
    const plan = this.plan(request, scope, this.now());
    if (plan.counters.length === 0) return this.reservation(globalThis.crypto.randomUUID(), plan, request, false);

    const id = globalThis.crypto.randomUUID();
    for (;;) {
      const now = this.now();
      const op: StoreReserveOp = { id, now, leaseUntil: now + this.store.leaseMs, counters: plan.counters };
      let outcome: StoreReserveOutcome;
      try {
        outcome = await this.store.reserve(op);
      } catch (error) {
        // The reserve may still run later (a queued command): release it, in the background, so it cannot leak.
        this.retryFinish(id, plan, 'release', 0n, 0, false);
        throw toStoreError(error, this.store.kind);
      }
      if (outcome.ok) {
        if (outcome.warning !== undefined) this.warn('store_fail_open', outcome.warning, request);
        return this.reservation(id, plan, request, true);
      }
      await this.refused(outcome.refusals, plan, request);
    }
  }

  /** Builds the counters of a request; throws for a disallowed model or an unpriced request. */
  private plan(request: ReserveRequest, scope: BudgetScope, now: number): Plan {
    const matched = matchLimits(this.limits, scope);
    for (const m of matched) {
      const allowed = m.limit.models;
      if (allowed !== undefined && !modelAllowed(allowed, request.deploymentId, request.model)) {
        const error = new ModelNotAllowedError(
          `Model ${request.deploymentId} is not allowed for ${scopeText(m.scope)} (limit "${m.limit.id}" allows ${allowed.join(', ')}); nothing was sent`,
          { limitId: m.limit.id, scope: m.scope, deploymentId: request.deploymentId, allowed, provider: providerOf(request.deploymentId), model: request.model },
        );
        this.emit('onBudgetExceeded', { error, scope, deploymentId: request.deploymentId, model: request.model });
        throw error;
      }
    }
    const deployment = this.deploymentLimits.get(request.deploymentId);
    const all: MatchedLimit[] = deployment === undefined ? matched : [...matched, { limit: deployment, member: '-', scope: {} }];

    const estimate = request.estimatePicoUsd;
    const estimateNano = typeof estimate === 'bigint' ? estimateToNanoUsd(estimate) : null;
    const tokens = Number.isFinite(request.estimatedTokens) && request.estimatedTokens > 0 ? Math.ceil(request.estimatedTokens) : 0;
    const plan: Plan = { counters: [], meta: [], usd: [], estimateNano, tokens };
    let unpricedWarned = false;

    for (const m of all) {
      const limit = m.limit;
      if (limit.usdNano !== undefined && limit.period !== undefined && limit.usd !== undefined) {
        const pk = periodKey(limit.period, now);
        const end = periodEnd(limit.period, now);
        const { thresholds, levels } = this.levelsOf(limit.usdNano);
        const meta: UsdMeta = {
          type: 'usd',
          limit: limit as UsdMeta['limit'],
          scope: m.scope,
          key: this.usdKey(m, pk),
          periodKey: pk,
          periodEnd: end,
          levels,
        };
        if (estimateNano === null) {
          if (this.onUnpriced === 'reject') {
            const error = new BudgetExceededError(
              `No price is known for ${request.deploymentId}, and the USD limit "${limit.id}" (${formatUsd(limit.usd)} ${perPeriod(limit.period)} for ${scopeText(m.scope)}) applies, so the request was refused; nothing was sent. Add a price in \`pricing\`, or set budget.onUnpriced: 'allow' to count it as $0`,
              {
                reason: 'unpriced',
                limitId: limit.id,
                scope: m.scope,
                limit: limit.usd,
                spent: 0,
                reserved: 0,
                requested: null,
                period: limit.period,
                periodEnd: end,
                provider: providerOf(request.deploymentId),
                model: request.model,
              },
            );
            this.emit('onBudgetExceeded', { error, scope, deploymentId: request.deploymentId, model: request.model });
            throw error;
          }
          if (!unpricedWarned) {
            unpricedWarned = true;
            this.warn('unpriced_allowed', `No price is known for ${request.deploymentId}; counted as $0 against USD limits (budget.onUnpriced: 'allow')`, request);
          }
        }
        plan.counters.push({
          kind: 'usd',
          key: meta.key,
          limit: limit.usdNano,
          amount: estimateNano ?? 0n,
          expiresAt: end === null ? null : end + PERIOD_GRACE_MS,
          thresholds,
        });
        plan.meta.push(meta);
        plan.usd.push(meta);
      }
      const base = `${enc(limit.id)}:${enc(m.member)}`;
      if (limit.rpm !== undefined) {
        plan.counters.push({ kind: 'rpm', key: `rpm:${base}`, limit: limit.rpm });
        plan.meta.push({ type: 'rate', kind: 'rpm', limit, scope: m.scope, value: limit.rpm });
      }
      if (limit.tpm !== undefined) {
        plan.counters.push({ kind: 'tpm', key: `tpm:${base}`, limit: limit.tpm, tokens });
        plan.meta.push({ type: 'rate', kind: 'tpm', limit, scope: m.scope, value: limit.tpm });
      }
      if (limit.maxParallel !== undefined) {
        plan.counters.push({ kind: 'parallel', key: `par:${base}`, limit: limit.maxParallel });
        plan.meta.push({ type: 'rate', kind: 'maxParallel', limit, scope: m.scope, value: limit.maxParallel });
      }
    }
    return plan;
  }

  /** The threshold levels (nano-USD) of a USD limit, and each one's fraction; the same for every request under it. */
  private levelsOf(usdNano: bigint): { thresholds: bigint[]; levels: Map<string, number> } {
    let cached = this.levelCache.get(usdNano);
    if (cached === undefined) {
      cached = { thresholds: [], levels: new Map() };
      if (usdNano > 0n) {
        for (const fraction of this.thresholds) {
          const level = fractionOf(usdNano, fraction);
          cached.thresholds.push(level);
          cached.levels.set(level.toString(), fraction);
        }
      }
      this.levelCache.set(usdNano, cached);
    }
    return cached;
  }

  private usdKey(m: MatchedLimit, pk: string): string {
    return `usd:${enc(m.limit.id)}:${enc(m.member)}:${pk}`;
  }

  /** A refused reserve: throws, or waits (onLimit 'wait') and returns to try again. */
  private async refused(refusals: CounterRefusal[], plan: Plan, request: ReserveRequest): Promise<void> {
    const scope = request.scope ?? {};
    for (const r of refusals) {
      const meta = plan.meta[r.index];
      if (meta?.type !== 'usd') continue;
      const spent = nanoUsdToUsd(r.spent ?? 0n);
      const reserved = nanoUsdToUsd(r.reserved ?? 0n);
      const requested = plan.estimateNano === null ? 0 : nanoUsdToUsd(plan.estimateNano);
      const l = meta.limit;
      const error = new BudgetExceededError(
        `Budget exceeded for ${scopeText(meta.scope)}: this request needs up to ${formatUsd(requested)}, and ${formatUsd(spent)} is spent and ${formatUsd(reserved)} reserved of ${formatUsd(l.usd)} ${perPeriod(l.period)} (limit "${l.id}", ${meta.periodKey}); nothing was sent`,
        {
          limitId: l.id,
          scope: meta.scope,
          limit: l.usd,
          spent,
          reserved,
          requested,
          period: l.period,
          periodEnd: meta.periodEnd,
          provider: providerOf(request.deploymentId),
          model: request.model,
        },
      );
      this.emit('onBudgetExceeded', { error, scope, deploymentId: request.deploymentId, model: request.model });
      throw error;
    }

    const rate = refusals.flatMap((r) => {
      const meta = plan.meta[r.index];
      return meta?.type === 'rate' ? [{ meta, retryAfterMs: r.retryAfterMs }] : [];
    });
    const first = rate[0];
    if (first === undefined) throw new BudgetStoreUnavailableError(`Budget store (${this.store.kind}) refused without saying which limit`, { store: this.store.kind });
    const hopeless = rate.find((r) => r.meta.kind === 'tpm' && plan.tokens > r.meta.value);
    if (hopeless !== undefined) throw this.rateError(hopeless.meta, undefined, request, plan.tokens);

    const longest = rate.reduce((a, b) => ((b.retryAfterMs ?? 0) > (a.retryAfterMs ?? 0) ? b : a), first);
    const parallelOnly = rate.every((r) => r.meta.kind === 'maxParallel');
    if (this.onLimit === 'reject') throw this.rateError(longest.meta, longest.retryAfterMs, request, plan.tokens);

    const now = this.now();
    const remaining = request.deadlineMs === undefined ? Number.POSITIVE_INFINITY : request.deadlineMs - now;
    const wanted = parallelOnly ? PARALLEL_POLL_MS : Math.max(...rate.map((r) => r.retryAfterMs ?? PARALLEL_POLL_MS));
    if (remaining <= 0 || (!parallelOnly && wanted > remaining)) throw this.rateError(longest.meta, longest.retryAfterMs, request, plan.tokens);
    await this.sleep(Math.min(wanted, remaining), request.signal, rate.some((r) => r.meta.kind === 'maxParallel'));
  }

  private rateError(meta: RateMeta, retryAfterMs: number | undefined, request: ReserveRequest, tokens: number): LocalRateLimitError {
    const who = meta.limit.deploymentId !== undefined ? `deployment ${meta.limit.deploymentId}` : scopeText(meta.scope);
    const what =
      meta.kind === 'rpm'
        ? `${meta.value} requests per minute`
        : meta.kind === 'tpm'
          ? `${meta.value} tokens per minute`
          : `${meta.value} call${meta.value === 1 ? '' : 's'} in flight`;
    const tail =
      meta.kind === 'tpm' && tokens > meta.value
        ? `; this request alone needs up to ${tokens} tokens, more than the limit`
        : retryAfterMs !== undefined
          ? `; retry in ${retryAfterMs} ms`
          : '';
    const details: ConstructorParameters<typeof LocalRateLimitError>[1] = {
      limit: meta.kind,
      limitValue: meta.value,
      limitId: meta.limit.id,
      scope: meta.scope,
      provider: providerOf(request.deploymentId),
      model: request.model,
    };
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    if (meta.limit.deploymentId !== undefined) details.deploymentId = meta.limit.deploymentId;
    return new LocalRateLimitError(`Local ${meta.kind} limit reached for ${who}: ${what} (limit "${meta.limit.id}")${tail}; nothing was sent`, details);
  }

  private sleep(ms: number, signal: Abortable | undefined, wakeOnFinish: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(wake);
      };
      const wake = (): void => {
        cleanup();
        resolve();
      };
      const onAbort = (): void => {
        cleanup();
        reject(new AbortError());
      };
      const timer = setTimeout(wake, ms);
      if (wakeOnFinish) this.waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Settle / release

  private reservation(id: string, plan: Plan, request: ReserveRequest, stored: boolean): Reservation {
    let finished: Promise<void> | undefined;
    if (stored) this.hold(id);
    const finish = (mode: Mode, actual?: ActualUsage): Promise<void> => (finished ??= this.finish(id, plan, request, stored, mode, actual));
    return {
      id,
      estimateUsd: plan.estimateNano === null ? null : nanoUsdToUsd(plan.estimateNano),
      settle: (actual: ActualUsage) => finish('settle', actual),
      settleAtEstimate: () => finish('estimate'),
      release: () => finish('release'),
    };
  }

  private async finish(id: string, plan: Plan, request: ReserveRequest, stored: boolean, mode: Mode, actual?: ActualUsage): Promise<void> {
    this.open.delete(id);
    let amount = 0n;
    let basis: 'actual' | 'estimate' = 'estimate';
    let tokens = plan.tokens;
    if (mode === 'settle') {
      const pico = actual?.picoUsd;
      tokens = actual !== undefined && Number.isFinite(actual.tokens) && actual.tokens > 0 ? Math.ceil(actual.tokens) : 0;
      if (typeof pico === 'bigint') {
        amount = actualToNanoUsd(pico);
        basis = 'actual';
        if (plan.estimateNano !== null && amount > plan.estimateNano) {
          this.warn('overshoot', `Actual cost ${formatUsd(nanoUsdToUsd(amount))} of ${request.deploymentId} is above its reserved estimate ${formatUsd(nanoUsdToUsd(plan.estimateNano))}`, request);
        }
      } else {
        amount = plan.estimateNano ?? 0n;
        if (plan.estimateNano !== null) this.warn('actual_cost_missing', `No actual cost for ${request.deploymentId}; booked the reserved estimate ${formatUsd(nanoUsdToUsd(amount))}`, request);
      }
    } else if (mode === 'estimate') {
      amount = plan.estimateNano ?? 0n;
    }
    if (mode !== 'release') {
      this.emit('onSpend', {
        reservationId: id,
        usd: nanoUsdToUsd(amount),
        nanoUsd: amount,
        estimateUsd: plan.estimateNano === null ? null : nanoUsdToUsd(plan.estimateNano),
        basis,
        tokens,
        scope: request.scope ?? {},
        limits: plan.usd.map((u) => ({ limitId: u.limit.id, scope: u.scope })),
        deploymentId: request.deploymentId,
        model: request.model,
      });
    }
    if (!stored) return;
    if (this.retryQueue.size > 0) {
      // The store is known to be away: queue behind the others instead of adding a command.
      this.warn('store_retry', `Budget store is not answering; the ${mode} of reservation ${id} is queued and retried in the background`, request);
      this.retryFinish(id, plan, mode, amount, tokens, true, request);
      this.wakeWaiters();
      return;
    }
    try {
      const outcome = await this.store.finish({ id, now: this.now(), mode, amount, tokens });
      this.finished(plan, outcome, request);
    } catch (error) {
      this.warn('store_retry', `Budget store did not take the ${mode} of reservation ${id} (${error instanceof Error ? error.message : String(error)}); retrying in the background`, request);
      this.retryFinish(id, plan, mode, amount, tokens, true, request);
    } finally {
      this.wakeWaiters();
    }
  }

  private finished(plan: Plan, outcome: StoreFinishOutcome, request: ReserveRequest | undefined): void {
    if (outcome.warning !== undefined) this.warn('store_fail_open', outcome.warning, request);
    for (const crossing of outcome.crossed) {
      const meta = plan.usd.find((u) => u.key === crossing.key);
      const fraction = meta?.levels.get(crossing.threshold.toString());
      if (meta === undefined || fraction === undefined) continue;
      this.emit('onBudgetThreshold', {
        limitId: meta.limit.id,
        scope: meta.scope,
        period: meta.limit.period,
        periodKey: meta.periodKey,
        threshold: fraction,
        spent: nanoUsdToUsd(crossing.spent),
        limit: meta.limit.usd,
      });
    }
  }

  /**
   * Queues a finish the store did not take. One loop retries the queue, oldest first: while the
   * store is down it probes with one item per back-off step (so an outage never piles up commands),
   * and once that answers it drains the rest in batches. Items give up after RETRY_FOR_MS; never rejects.
   */
  private retryFinish(id: string, plan: Plan, mode: Mode, amount: bigint, tokens: number, report: boolean, request?: ReserveRequest): void {
    const item: RetryItem = { id, plan, mode, amount, tokens, report, started: Date.now() };
    if (request !== undefined) item.request = request;
    this.retryQueue.set(id, item);
    this.startRetries();
  }

  private startRetries(): void {
    if (this.retryLoop !== undefined) return;
    this.retryLoop = this.runRetries()
      .catch(() => {})
      .finally(() => {
        this.retryLoop = undefined;
        // An item queued while the loop was ending.
        if (this.retryQueue.size > 0) this.startRetries();
      });
  }

  private async runRetries(): Promise<void> {
    let delay = 50;
    while (this.retryQueue.size > 0) {
      await new Promise<void>((resolve) => unref(setTimeout(resolve, delay * (0.5 + Math.random() / 2))));
      const items = [...this.retryQueue.values()];
      // Probe with the oldest; only when the store answers, the rest in batches.
      let failed = !(await this.retryOne(items[0] as RetryItem));
      for (let i = 1; !failed && i < items.length; i += 50) {
        const results = await Promise.all(items.slice(i, i + 50).map((item) => this.retryOne(item)));
        failed = results.includes(false);
      }
      delay = failed ? Math.min(RETRY_MAX_DELAY_MS, delay * 2) : 50;
    }
  }

  /** One attempt of a queued finish: `true` when the store took it (or the item gave up). */
  private async retryOne(item: RetryItem): Promise<boolean> {
    try {
      const outcome = await this.store.finish({ id: item.id, now: this.now(), mode: item.mode, amount: item.amount, tokens: item.tokens });
      this.retryQueue.delete(item.id);
      if (item.report) this.finished(item.plan, outcome, item.request);
      this.wakeWaiters();
      return true;
    } catch (error) {
      if (Date.now() - item.started < RETRY_FOR_MS) return false;
      this.retryQueue.delete(item.id);
      if (item.report) {
        this.warn(
          'store_gave_up',
          `Gave up the ${item.mode} of reservation ${item.id} after ${Math.round(RETRY_FOR_MS / 60_000)} min (${error instanceof Error ? error.message : String(error)}); its lease will book the estimate`,
          item.request,
        );
      }
      return true;
    }
  }

  private wakeWaiters(): void {
    if (this.waiters.size === 0) return;
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves `true` when every queued settle/release has reached the store (or given up); `false` after `timeoutMs`. */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.retryQueue.size > 0 || this.retryLoop !== undefined) {
      const left = until - Date.now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.retryLoop ?? Promise.resolve(), new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(left, 50))))]);
      clearTimeout(timer);
    }
    return true;
  }

  /** Settles/releases waiting for the store to answer. */
  get pendingCount(): number {
    return this.retryQueue.size;
  }

  /** Stops renewing leases (open reservations then expire and are booked at their estimate). */
  close(): void {
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    this.open.clear();
  }

  // ------------------------------------------------------------------------------------------
  // Leases

  private hold(id: string): void {
    this.open.set(id, this.now());
    if (this.renewTimer !== undefined) return;
    const every = Math.max(100, Math.floor(this.store.leaseMs / 3));
    this.renewTimer = setInterval(() => void this.renew(), every);
    unref(this.renewTimer);
  }

  private async renew(): Promise<void> {
    if (this.renewing) return;
    if (this.open.size === 0) {
      this.close();
      return;
    }
    this.renewing = true;
    try {
      const now = this.now();
      const ids: string[] = [];
      for (const [id, openedAt] of this.open) {
        if (now - openedAt < MAX_HOLD_MS) ids.push(id);
        else this.open.delete(id);
      }
      if (ids.length > 0) await this.store.renew(ids, now + this.store.leaseMs, now);
    } catch (error) {
      this.warn('lease_renew_failed', `Could not renew budget leases (${error instanceof Error ? error.message : String(error)})`);
    } finally {
      this.renewing = false;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Events

  private warn(code: BudgetWarningCode, message: string, request?: ReserveRequest): void {
    const event: Parameters<NonNullable<BudgetEvents['onWarning']>>[0] = { code, message };
    if (request !== undefined) {
      event.deploymentId = request.deploymentId;
      event.model = request.model;
    }
    this.emit('onWarning', event);
  }

  private emit<K extends keyof BudgetEvents>(name: K, event: Parameters<NonNullable<BudgetEvents[K]>>[0]): void {
    const hook = this.events[name] as ((e: typeof event) => unknown) | undefined;
    if (hook === undefined) return;
    try {
      const result = hook(event);
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // A hook never breaks a request.
    }
  }
}
