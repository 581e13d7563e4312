/**
 * The load of the concurrency fault test (test/faults/concurrency.test.ts), shared by the test and
 * its second process (concurrency-worker.ts): a seeded plan per request, a gateway with two
 * deployments of one model (`chat` → `a/m`, `b/m`) and USD limits for a team and a user, and a
 * runner that fires the requests concurrently with client aborts at random times (before the call,
 * during a retry wait, mid-stream) and abandoned streams, and records everything the hooks and
 * the caller saw.
 *
 * Prices: $0 input, $30 per 1M output tokens, so a request's reservation is exactly
 * `max_tokens × 30 000` nano-USD and an answer's cost `completion_tokens × 30 000` nano-USD; the
 * server never reports more completion tokens than `max_tokens`, so no settle overshoots.
 */
import {
  type AttemptEndEvent,
  type BudgetLimit,
  type BudgetStore,
  createGateway,
  type DeploymentHealth,
  type Gateway,
  ModelmuxError,
  openaiCompatible,
  type SpendEvent,
} from '../../src/index.js';

export const TEAM_LIMIT_USD = 8;
export const USER_LIMIT_USD = 2;
/** $30 per 1M output tokens, in nano-USD per token. */
export const NANO_PER_TOKEN = 30_000n;
/** A request that neither resolves nor rejects (a stream: nor ends) within this counts as hung. */
export const HANG_MS = 30_000;

/** Every error code a request of this load may legitimately end with. */
export const EXPECTED_CODES: ReadonlySet<string> = new Set([
  'budget_exceeded',
  'aborted',
  'server_error',
  'rate_limit',
  'connection_error',
  'stream_error',
  'no_route',
]);

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG for one (seed, a, b, …) tuple: decisions keyed by request and attempt reproduce whatever the interleaving. */
export function keyed(seed: number, ...parts: number[]): () => number {
  let h = seed >>> 0;
  for (const p of parts) h = Math.imul(h ^ (p + 0x9e3779b9 + (h << 6) + (h >>> 2)), 0x85ebca6b) >>> 0;
  return mulberry32(h);
}

export function weighted<T>(random: () => number, table: ReadonlyArray<readonly [T, number]>): T {
  const total = table.reduce((n, [, w]) => n + w, 0);
  let r = random() * total;
  for (const [value, w] of table) {
    if ((r -= w) < 0) return value;
  }
  return table[table.length - 1]![0];
}

export type AbortPlan = 'none' | 'timer' | 'midstream' | 'retrywait' | 'break';

export interface RequestPlan {
  index: number;
  user: string;
  stream: boolean;
  maxTokens: number;
  abort: AbortPlan;
  /** `timer`: abort this long after the call starts (0: an already aborted signal). */
  abortAfterMs: number;
  /** `midstream` / `break`: after this many chunks. */
  afterChunks: number;
  startDelayMs: number;
}

export function makePlans(seed: number, from: number, count: number): RequestPlan[] {
  return Array.from({ length: count }, (_, i) => {
    const index = from + i;
    const random = keyed(seed, 1, index);
    const stream = random() < 0.45;
    const abort = weighted<AbortPlan>(random, [
      ['none', 62],
      ['timer', 12],
      ['midstream', stream ? 10 : 0],
      ['retrywait', 10],
      ['break', stream ? 6 : 0],
    ]);
    return {
      index,
      user: `u${Math.floor(random() * 4)}`,
      stream,
      maxTokens: 100 + Math.floor(random() * 901),
      abort,
      abortAfterMs: random() < 0.15 ? 0 : Math.floor(random() * 600),
      afterChunks: 1 + Math.floor(random() * 3),
      startDelayMs: random() < 0.3 ? 0 : Math.floor(random() * 1200),
    };
  });
}

export type Outcome =
  | { index: number; kind: 'ok'; tokens: number | undefined; ms: number }
  | { index: number; kind: 'abandoned'; ms: number }
  | { index: number; kind: 'error'; code: string; typed: boolean; message: string; ms: number }
  | { index: number; kind: 'hung'; ms: number };

export interface AttemptRow {
  index: number;
  deployment: string;
  ok: boolean;
  code: string | undefined;
  status: number | undefined;
}

export const LIMITS: BudgetLimit[] = [
  { id: 'team-core', scope: { team: 'core' }, usd: TEAM_LIMIT_USD, period: 'month' },
  { id: 'user-u0', scope: { user: 'u0' }, usd: USER_LIMIT_USD, period: 'month' },
];

/** One process's gateway and what it saw. */
export class Load {
  readonly mux: Gateway;
  readonly spends: SpendEvent[] = [];
  readonly attempts: AttemptRow[] = [];
  readonly warnings: string[] = [];
  readonly hookErrors: unknown[] = [];
  /** Aborts fired from onRetry, i.e. while the request waits to retry. */
  retryAborts = 0;
  private readonly indexOf = new Map<string, number>();
  private readonly controllers = new Map<number, AbortController>();
  private readonly plans = new Map<number, RequestPlan>();

  constructor(origin: string, store: BudgetStore, readonly proc: string) {
    this.mux = createGateway({
      providers: {
        a: openaiCompatible({ name: 'a', baseURL: `${origin}/a/v1`, apiKey: 'load-key-a' }),
        b: openaiCompatible({ name: 'b', baseURL: `${origin}/b/v1`, apiKey: 'load-key-b' }),
      },
      models: { chat: ['a/m', 'b/m'] },
      pricing: { 'a/m': { input: 0, output: 30 }, 'b/m': { input: 0, output: 30 } },
      routing: {
        // Short ejections so breakers open, half-open and close again during the run.
        breaker: { baseEjectionMs: 300, maxEjectionMs: 1_000, rateLimitMs: 200, maxHintMs: 1_000 },
        maxCooldownWaitMs: 500,
      },
      retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 150 },
      timeoutMs: 10_000,
      idleTimeoutMs: 5_000,
      headers: { 'x-proc': proc },
      budget: { store, limits: LIMITS },
      hooks: {
        onRequest: (e) => {
          const req = e.scope?.req;
          if (req !== undefined) this.indexOf.set(e.requestId, Number(req));
        },
        onRetry: (e) => {
          const index = e.requestId === undefined ? undefined : this.indexOf.get(e.requestId);
          if (index === undefined || this.plans.get(index)?.abort !== 'retrywait') return;
          const controller = this.controllers.get(index);
          if (controller === undefined || controller.signal.aborted) return;
          this.retryAborts++;
          setTimeout(() => controller.abort(), Math.max(1, Math.floor(e.delayMs / 2)));
        },
        onAttemptEnd: (e: AttemptEndEvent) => {
          this.attempts.push({
            index: this.indexOf.get(e.requestId) ?? -1,
            deployment: `${e.provider}/${e.model}`,
            ok: e.ok,
            code: (e.error as ModelmuxError | undefined)?.code,
            status: e.status,
          });
        },
        onSpend: (e) => this.spends.push(e),
        onWarning: (e) => this.warnings.push(`${e.code ?? ''}: ${e.message}`),
        onHookError: (e) => this.hookErrors.push(e.error),
      },
    });
  }

  /** One answered request outside the budgets (the price directory loads, a connection opens), so the run starts warm. */
  async warmUp(): Promise<void> {
    await this.mux.chat.completions.create({ model: 'b/m', messages: [{ role: 'user', content: 'warm-up' }], max_tokens: 10 }, { scope: { team: 'other' } });
  }

  /** Runs every plan concurrently (each after its start delay); resolves when all settled or hung. */
  async run(plans: RequestPlan[]): Promise<Outcome[]> {
    for (const p of plans) this.plans.set(p.index, p);
    return Promise.all(plans.map((p) => this.guarded(p)));
  }

  private async guarded(plan: RequestPlan): Promise<Outcome> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hang = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ index: plan.index, kind: 'hung', ms: HANG_MS }), HANG_MS + plan.startDelayMs);
    });
    try {
      return await Promise.race([this.one(plan), hang]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async one(plan: RequestPlan): Promise<Outcome> {
    if (plan.startDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, plan.startDelayMs));
    const started = Date.now();
    const controller = new AbortController();
    this.controllers.set(plan.index, controller);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (plan.abort === 'timer' || (plan.abort === 'midstream' && !plan.stream)) {
      if (plan.abortAfterMs === 0) controller.abort();
      else timer = setTimeout(() => controller.abort(), plan.abortAfterMs);
    }
    const options = { signal: controller.signal, scope: { team: 'core', user: plan.user, req: String(plan.index) } };
    const messages = [{ role: 'user' as const, content: `request ${plan.index}` }];
    try {
      if (!plan.stream) {
        const completion = await this.mux.chat.completions.create({ model: 'chat', messages, max_tokens: plan.maxTokens }, options);
        return { index: plan.index, kind: 'ok', tokens: completion.usage.completion_tokens, ms: Date.now() - started };
      }
      const stream = await this.mux.chat.completions.create(
        { model: 'chat', messages, max_tokens: plan.maxTokens, stream: true, stream_options: { include_usage: true } },
        options,
      );
      let chunks = 0;
      let tokens: number | undefined;
      for await (const chunk of stream) {
        chunks++;
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
        if (chunks === plan.afterChunks && plan.abort === 'midstream') controller.abort();
        if (chunks === plan.afterChunks && plan.abort === 'break') return { index: plan.index, kind: 'abandoned', ms: Date.now() - started };
      }
      return { index: plan.index, kind: 'ok', tokens, ms: Date.now() - started };
    } catch (error) {
      const typed = ModelmuxError.isInstance(error);
      return {
        index: plan.index,
        kind: 'error',
        code: typed ? error.code : String((error as { name?: unknown })?.name),
        typed,
        message: error instanceof Error ? error.message : String(error),
        ms: Date.now() - started,
      };
    } finally {
      clearTimeout(timer);
      this.controllers.delete(plan.index);
    }
  }
}

/** Per-request accounting checks: returns a list of violations (empty when all hold). */
export function checkRequests(plans: RequestPlan[], outcomes: Outcome[], spends: SpendEvent[]): string[] {
  const problems: string[] = [];
  const byReq = new Map<number, SpendEvent[]>();
  for (const s of spends) {
    const index = Number(s.scope.req);
    const list = byReq.get(index) ?? [];
    list.push(s);
    byReq.set(index, list);
  }
  const planOf = new Map(plans.map((p) => [p.index, p]));
  for (const o of outcomes) {
    const plan = planOf.get(o.index)!;
    const events = byReq.get(o.index) ?? [];
    const actual = events.filter((e) => e.basis === 'actual');
    const estimate = BigInt(plan.maxTokens) * NANO_PER_TOKEN;
    for (const e of events) {
      const limits = e.limits.map((l) => l.limitId).sort();
      const want = plan.user === 'u0' ? ['team-core', 'user-u0'] : ['team-core'];
      if (limits.join() !== want.join()) problems.push(`request ${o.index}: booked on ${limits.join()} instead of ${want.join()}`);
      if (e.basis === 'estimate' && e.nanoUsd !== estimate) problems.push(`request ${o.index}: estimate booking ${e.nanoUsd} ≠ reservation ${estimate}`);
      if (e.nanoUsd > estimate) problems.push(`request ${o.index}: booked ${e.nanoUsd} above its reservation ${estimate}`);
    }
    if (o.kind === 'ok') {
      if (o.tokens === undefined) problems.push(`request ${o.index}: a completed answer without usage`);
      if (actual.length !== 1) problems.push(`request ${o.index}: answered, but ${actual.length} actual bookings`);
      else if (o.tokens !== undefined && actual[0]!.nanoUsd !== BigInt(o.tokens) * NANO_PER_TOKEN) {
        problems.push(`request ${o.index}: answered ${o.tokens} tokens, booked ${actual[0]!.nanoUsd} nano-USD`);
      }
    } else if (actual.length !== 0) {
      problems.push(`request ${o.index}: ${o.kind} but booked ${actual.length} actual cost(s)`);
    }
  }
  return problems;
}

/** Sums and counts of one process, JSON-safe (bigints as strings). */
export interface LoadSummary {
  proc: string;
  outcomes: Record<string, number>;
  codes: Record<string, number>;
  untyped: string[];
  unexpectedCodes: string[];
  hung: number[];
  requestProblems: string[];
  /** nano-USD booked (onSpend), all requests (team) and user u0's. */
  teamNano: string;
  userNano: string;
  actualNano: string;
  /** Σ completion_tokens × price over the answered requests. */
  answeredNano: string;
  estimateBookings: number;
  retryAborts: number;
  stats: Record<string, DeploymentHealth>;
  /** Per deployment, from onAttemptEnd. */
  attempts: Record<string, { ok: number; failed: number; budget: number; aborted: number; connection: number; byStatus: Record<string, number> }>;
  hookErrors: string[];
  /** Budget warnings that must not happen here: overshoot, missing actual cost, store retries, lease renewal failures. */
  budgetWarnings: string[];
  unhandled: string[];
  maxMs: number;
}

const BAD_WARNINGS = ['overshoot', 'actual_cost_missing', 'store_retry', 'store_gave_up', 'store_fail_open', 'lease_renew_failed'];

export function summarize(load: Load, plans: RequestPlan[], outcomes: Outcome[], unhandled: unknown[]): LoadSummary {
  const count = (values: string[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const v of values) out[v] = (out[v] ?? 0) + 1;
    return out;
  };
  const errors = outcomes.filter((o): o is Extract<Outcome, { kind: 'error' }> => o.kind === 'error');
  const sum = (events: SpendEvent[]): bigint => events.reduce((n, e) => n + e.nanoUsd, 0n);
  // Bookings charged to the limits (the warm-up and recovery requests match none).
  const charged = (limitId: string): SpendEvent[] => load.spends.filter((e) => e.limits.some((l) => l.limitId === limitId));
  const attempts: LoadSummary['attempts'] = {};
  for (const a of load.attempts) {
    const row = (attempts[a.deployment] ??= { ok: 0, failed: 0, budget: 0, aborted: 0, connection: 0, byStatus: {} });
    if (a.ok) row.ok++;
    else if (a.code === 'budget_exceeded' || a.code === 'budget_store_unavailable' || a.code === 'local_rate_limit') row.budget++;
    else {
      row.failed++;
      if (a.code === 'aborted') row.aborted++;
      if (a.code === 'connection_error') row.connection++;
      if (a.status !== undefined) row.byStatus[a.status] = (row.byStatus[a.status] ?? 0) + 1;
    }
  }
  return {
    proc: load.proc,
    outcomes: count(outcomes.map((o) => o.kind)),
    codes: count(errors.map((e) => e.code)),
    untyped: errors.filter((e) => !e.typed).map((e) => `${e.index}: ${e.code} ${e.message}`),
    unexpectedCodes: errors.filter((e) => !EXPECTED_CODES.has(e.code)).map((e) => `${e.index}: ${e.code} ${e.message}`),
    hung: outcomes.filter((o) => o.kind === 'hung').map((o) => o.index),
    requestProblems: checkRequests(plans, outcomes, load.spends),
    teamNano: sum(charged('team-core')).toString(),
    userNano: sum(charged('user-u0')).toString(),
    actualNano: sum(charged('team-core').filter((e) => e.basis === 'actual')).toString(),
    answeredNano: outcomes.reduce((n, o) => (o.kind === 'ok' ? n + BigInt(o.tokens ?? 0) * NANO_PER_TOKEN : n), 0n).toString(),
    estimateBookings: charged('team-core').filter((e) => e.basis === 'estimate').length,
    retryAborts: load.retryAborts,
    stats: load.mux.stats(),
    attempts,
    hookErrors: load.hookErrors.map(String),
    budgetWarnings: load.warnings.filter((w) => BAD_WARNINGS.some((code) => w.startsWith(`${code}:`))).slice(0, 20),
    unhandled: unhandled.map(String),
    maxMs: Math.max(0, ...outcomes.map((o) => o.ms)),
  };
}

/**
 * Breaker and statistics consistency of one process (breakers are per process: each gateway has
 * its own, even when the budget store is shared). Returns violations.
 */
export function checkStats(summary: LoadSummary, now: number): string[] {
  const problems: string[] = [];
  for (const [id, s] of Object.entries(summary.stats)) {
    if (s.inFlight !== 0) problems.push(`${id}: ${s.inFlight} in flight after the run`);
    if (!['closed', 'open', 'half-open'].includes(s.breaker)) problems.push(`${id}: breaker state ${String(s.breaker)}`);
    if (s.breaker === 'open' && !(s.openUntil !== undefined && s.openUntil > now - 50)) problems.push(`${id}: open without a future deadline (${s.openUntil})`);
    if (s.breaker !== 'open' && s.openUntil !== undefined) problems.push(`${id}: ${s.breaker} with a deadline`);
    if (s.consecutiveFailures > s.failures) problems.push(`${id}: ${s.consecutiveFailures} consecutive failures of ${s.failures}`);
    const a = summary.attempts[id] ?? { ok: 0, failed: 0 };
    // Every attempt ends in exactly one of success / failure; budget refusals count in neither.
    if (s.successes !== a.ok) problems.push(`${id}: ${s.successes} successes in stats, ${a.ok} successful attempts reported`);
    if (s.failures !== a.failed) problems.push(`${id}: ${s.failures} failures in stats, ${a.failed} failed attempts reported`);
  }
  return problems;
}

/**
 * After the run, with the server answering 200 to everything: once every breaker's deadline has
 * passed, one request straight to each deployment must be admitted (a half-open breaker lets its
 * probe through) and close its breaker. A breaker stuck half-open (a probe slot never freed) or
 * open would refuse here. The scope matches no limit, so the spent budgets do not interfere.
 */
export async function recover(mux: Gateway): Promise<string[]> {
  const problems: string[] = [];
  const deadlines = Object.values(mux.stats()).map((s) => s.openUntil ?? 0);
  const wait = Math.max(0, ...deadlines) - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 20));
  for (const model of ['a/m', 'b/m', 'chat']) {
    try {
      await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'recovery' }], max_tokens: 10 }, { scope: { team: 'other' } });
    } catch (error) {
      const before = JSON.stringify(mux.stats());
      problems.push(`${model}: ${(error as { code?: string }).code ?? ''} ${error instanceof Error ? error.message : String(error)} (stats ${before})`);
    }
  }
  for (const [id, s] of Object.entries(mux.stats())) {
    if (s.breaker !== 'closed') problems.push(`${id}: breaker ${s.breaker} after a successful request`);
    if (s.inFlight !== 0) problems.push(`${id}: ${s.inFlight} in flight after recovery`);
  }
  return problems;
}
