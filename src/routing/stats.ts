import { parseDuration } from '../http/retry-after.js';

/**
 * Per-deployment runtime statistics (DESIGN section 4): in-flight count, latency EWMAs, outcomes,
 * per-minute usage and the provider's last rate-limit headers. Pure bookkeeping: no timers, every
 * time comes from an injectable clock or an explicit `now` argument.
 *
 * EWMA: `value ← α × sample + (1 − α) × value`, the first sample taken as is; α = 0.3 by default
 * (a sample's weight halves after about two newer samples: quick to follow a provider that slows
 * down, yet one outlier moves the estimate by only 30 %).
 */

/** Default EWMA smoothing factor. */
export const EWMA_ALPHA = 0.3;

/** A deployment's id: `provider/model` (the configured provider key and its own model id). */
export function deploymentId(deployment: { provider: string; model: string }): string {
  return `${deployment.provider}/${deployment.model}`;
}

/** An exponentially weighted moving average with its sample count (0 samples = unmeasured). */
export class Ewma {
  private current: number | undefined;
  private count = 0;
  lastAt: number | undefined;

  constructor(private readonly alpha: number = EWMA_ALPHA) {}

  /** Adds a sample; non-finite or negative samples are ignored. */
  update(sample: number, now?: number): void {
    if (!Number.isFinite(sample) || sample < 0) return;
    this.current = this.current === undefined ? sample : this.alpha * sample + (1 - this.alpha) * this.current;
    this.count += 1;
    if (now !== undefined) this.lastAt = now;
  }

  /** The average, or `undefined` when nothing was measured. */
  get value(): number | undefined {
    return this.current;
  }

  get samples(): number {
    return this.count;
  }
}

/**
 * Counts in a sliding 60 s window at 1 s resolution: 60 one-second buckets, so `sum(now)` covers
 * between 59 and 60 s before `now` and memory stays constant whatever the traffic.
 */
export class MinuteCounter {
  private readonly counts = new Array<number>(60).fill(0);
  private readonly stamps = new Array<number>(60).fill(-1);

  add(now: number, amount = 1): void {
    if (!Number.isFinite(amount) || amount <= 0) return;
    const second = Math.floor(now / 1000);
    const slot = ((second % 60) + 60) % 60;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += amount;
  }

  sum(now: number): number {
    const second = Math.floor(now / 1000);
    let total = 0;
    for (let slot = 0; slot < 60; slot += 1) {
      const stamp = this.stamps[slot]!;
      if (stamp > second - 60 && stamp <= second) total += this.counts[slot]!;
    }
    return total;
  }
}

/**
 * Outcomes over a sliding window (default 30 s) in one-second buckets: O(1) to record, O(window
 * seconds) to read, and bounded memory whatever the request rate.
 */
export class OutcomeWindow {
  private readonly seconds: number;
  private readonly stamps: number[];
  private readonly calls: number[];
  private readonly failures: number[];

  constructor(readonly windowMs: number = 30_000) {
    this.seconds = Math.max(1, Math.ceil(windowMs / 1000));
    this.stamps = new Array<number>(this.seconds).fill(-1);
    this.calls = new Array<number>(this.seconds).fill(0);
    this.failures = new Array<number>(this.seconds).fill(0);
  }

  record(ok: boolean, now: number): void {
    const second = Math.floor(now / 1000);
    const slot = ((second % this.seconds) + this.seconds) % this.seconds;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      this.calls[slot] = 0;
      this.failures[slot] = 0;
    }
    this.calls[slot]! += 1;
    if (!ok) this.failures[slot]! += 1;
  }

  /** Calls and failures in the window ending at `now`. */
  counts(now: number): { calls: number; failures: number } {
    const second = Math.floor(now / 1000);
    let calls = 0;
    let failures = 0;
    for (let slot = 0; slot < this.seconds; slot += 1) {
      const stamp = this.stamps[slot]!;
      if (stamp > second - this.seconds && stamp <= second) {
        calls += this.calls[slot]!;
        failures += this.failures[slot]!;
      }
    }
    return { calls, failures };
  }

  clear(): void {
    this.stamps.fill(-1);
  }
}

/** What the provider's last rate-limit headers said. Times are ms since the epoch. */
export interface RateLimitState {
  /** When the headers were read. */
  observedAt: number;
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsAt?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensAt?: number;
}

function headerNumber(header: (name: string) => string | null, ...names: string[]): number | undefined {
  for (const name of names) {
    const text = header(name);
    if (text === null || text.trim() === '') continue;
    const value = Number(text.trim());
    if (Number.isFinite(value) && value >= 0) return value;
  }
  return undefined;
}

/** A reset header: a Go duration (`1s`, `6m0s`, `7.66s`), plain seconds (`12`) or an RFC 3339 / HTTP date. */
function headerReset(header: (name: string) => string | null, now: number, ...names: string[]): number | undefined {
  for (const name of names) {
    const text = header(name)?.trim();
    if (text === undefined || text === '') continue;
    const duration = parseDuration(text);
    if (duration !== undefined) return now + duration;
    const seconds = Number(text);
    if (Number.isFinite(seconds)) {
      if (seconds >= 0) return now + Math.round(seconds * 1000);
      continue;
    }
    const date = Date.parse(text);
    if (!Number.isNaN(date)) return date;
  }
  return undefined;
}

/**
 * Reads OpenAI/Groq style (`x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as
 * durations) and Anthropic style (`anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`,
 * resets as RFC 3339; `…-input-tokens-…` when the combined token headers are absent).
 * `undefined` when the response carried none of them.
 */
const RATE_LIMIT_MARKERS = [
  'x-ratelimit-remaining-requests',
  'x-ratelimit-remaining-tokens',
  'anthropic-ratelimit-requests-remaining',
  'anthropic-ratelimit-tokens-remaining',
  'anthropic-ratelimit-input-tokens-remaining',
] as const;

export function parseRateLimitHeaders(header: (name: string) => string | null, now: number): RateLimitState | undefined {
  // Most answers carry none of these: leave before building anything.
  if (!RATE_LIMIT_MARKERS.some((name) => header(name) !== null)) return undefined;
  const state: RateLimitState = { observedAt: now };
  const set = <K extends keyof RateLimitState>(key: K, value: RateLimitState[K] | undefined): void => {
    if (value !== undefined) state[key] = value;
  };
  set('limitRequests', headerNumber(header, 'x-ratelimit-limit-requests', 'anthropic-ratelimit-requests-limit'));
  set('remainingRequests', headerNumber(header, 'x-ratelimit-remaining-requests', 'anthropic-ratelimit-requests-remaining'));
  set('resetRequestsAt', headerReset(header, now, 'x-ratelimit-reset-requests', 'anthropic-ratelimit-requests-reset'));
  set(
    'limitTokens',
    headerNumber(header, 'x-ratelimit-limit-tokens', 'anthropic-ratelimit-tokens-limit', 'anthropic-ratelimit-input-tokens-limit'),
  );
  set(
    'remainingTokens',
    headerNumber(header, 'x-ratelimit-remaining-tokens', 'anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-input-tokens-remaining'),
  );
  set(
    'resetTokensAt',
    headerReset(header, now, 'x-ratelimit-reset-tokens', 'anthropic-ratelimit-tokens-reset', 'anthropic-ratelimit-input-tokens-reset'),
  );
  return Object.keys(state).length > 1 ? state : undefined;
}

/** A successful attempt, as the executor measured it. */
export interface SuccessSample {
  /**
   * Non-stream: request start → complete answer. Stream: request start → first meaningful chunk,
   * i.e. the time to first token.
   */
  latencyMs: number;
  stream: boolean;
  /** Output tokens (`usage.completion_tokens`), when known. */
  completionTokens?: number;
  /** Input tokens (`usage.prompt_tokens`), when known: counted with the output for tpm. */
  promptTokens?: number;
  /** When it ended (ms epoch); else the `now` argument, else the clock. */
  now?: number;
}

/** A finished stream: feeds the throughput EWMA and the token counters. */
export interface StreamSample {
  /** First meaningful chunk → end of stream. */
  generationMs: number;
  completionTokens: number;
  promptTokens?: number;
}

/** A plain JSON-able object describing one deployment (`undefined` = never measured). */
export interface DeploymentSnapshot {
  inFlight: number;
  /** EWMA of the whole non-stream latency, ms. */
  latencyMs: number | undefined;
  /** EWMA of non-stream ms per output token: `latencyMs / max(1, completionTokens)`. */
  latencyPerTokenMs: number | undefined;
  /** EWMA of the stream time to first token, ms. */
  ttftMs: number | undefined;
  /** EWMA of output tokens per second. */
  tokensPerSecond: number | undefined;
  samples: { latency: number; ttft: number; throughput: number };
  successes: number;
  failures: number;
  consecutiveFailures: number;
  /** Outcomes in the recent window (30 s by default). */
  recent: { calls: number; failures: number };
  /** Requests started and tokens used in the last 60 s. */
  requestsLastMinute: number;
  tokensLastMinute: number;
  rateLimit: RateLimitState | undefined;
}

export interface StatsOptions {
  /** EWMA smoothing factor, default 0.3. */
  alpha?: number;
  /** Window for recent outcomes, default 30 000 ms. */
  outcomeWindowMs?: number;
  /** A rate-limit header with no reset time is trusted for this long, default 60 000 ms. */
  rateLimitTtlMs?: number;
  /** The clock, default `Date.now`. */
  now?: () => number;
}

/** Runtime statistics of one deployment. Methods taking `now` default to the injected clock. */
export class DeploymentStats {
  /** Attempts started and not yet ended. */
  inFlight = 0;
  successes = 0;
  failures = 0;
  consecutiveFailures = 0;
  /** Non-stream latency, ms. */
  readonly latency: Ewma;
  /** Non-stream ms per output token. */
  readonly latencyPerToken: Ewma;
  /** Stream time to first token, ms. */
  readonly ttft: Ewma;
  /** Output tokens per second. */
  readonly throughput: Ewma;
  readonly outcomes: OutcomeWindow;
  readonly requestsPerMinute = new MinuteCounter();
  readonly tokensPerMinute = new MinuteCounter();
  private rateLimit: RateLimitState | undefined;
  /** Requests started and tokens used since the rate-limit headers were read. */
  private requestsSinceHeaders = 0;
  private tokensSinceHeaders = 0;
  private readonly clock: () => number;
  private readonly rateLimitTtlMs: number;

  constructor(options: StatsOptions = {}) {
    const alpha = options.alpha ?? EWMA_ALPHA;
    this.latency = new Ewma(alpha);
    this.latencyPerToken = new Ewma(alpha);
    this.ttft = new Ewma(alpha);
    this.throughput = new Ewma(alpha);
    this.outcomes = new OutcomeWindow(options.outcomeWindowMs ?? 30_000);
    this.clock = options.now ?? Date.now;
    this.rateLimitTtlMs = options.rateLimitTtlMs ?? 60_000;
  }

  /**
   * An attempt starts: counts it in flight and in this minute's requests. The returned `end`
   * decrements the in-flight count exactly once, however often it is called (success, failure,
   * abort and a `finally` may all call it).
   */
  begin(now: number = this.clock()): () => void {
    this.inFlight += 1;
    this.requestsPerMinute.add(now);
    this.requestsSinceHeaders += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight = Math.max(0, this.inFlight - 1);
    };
  }

  /**
   * A success. Non-stream: latency EWMA ← `latencyMs`; per-token EWMA ←
   * `latencyMs / max(1, completionTokens ?? 0)` (ms per output token, so long answers do not look
   * slow); throughput ← `completionTokens / (latencyMs / 1000)` when both are > 0 (end to end,
   * prefill included). Stream: TTFT EWMA ← `latencyMs` (throughput comes from `recordStreamEnd`).
   */
  recordSuccess(sample: SuccessSample, now: number = sample.now ?? this.clock()): void {
    this.successes += 1;
    this.consecutiveFailures = 0;
    this.outcomes.record(true, now);
    if (sample.stream) {
      this.ttft.update(sample.latencyMs, now);
    } else {
      this.latency.update(sample.latencyMs, now);
      const tokens = sample.completionTokens ?? 0;
      this.latencyPerToken.update(sample.latencyMs / Math.max(1, tokens), now);
      if (tokens > 0 && sample.latencyMs > 0) this.throughput.update(tokens / (sample.latencyMs / 1000), now);
    }
    this.recordTokens((sample.promptTokens ?? 0) + (sample.completionTokens ?? 0), now);
  }

  /** A completed stream: throughput ← `completionTokens / (generationMs / 1000)` when both are > 0. */
  recordStreamEnd(sample: StreamSample, now: number = this.clock()): void {
    if (sample.completionTokens > 0 && sample.generationMs > 0) {
      this.throughput.update(sample.completionTokens / (sample.generationMs / 1000), now);
    }
    this.recordTokens((sample.promptTokens ?? 0) + sample.completionTokens, now);
  }

  /** A failed attempt (the caller decides which errors count; see `breakerImpact` in cooldown.ts). */
  recordFailure(now: number = this.clock()): void {
    this.failures += 1;
    this.consecutiveFailures += 1;
    this.outcomes.record(false, now);
  }

  /** Tokens used this minute (tpm). */
  recordTokens(tokens: number, now: number = this.clock()): void {
    if (!Number.isFinite(tokens) || tokens <= 0) return;
    this.tokensPerMinute.add(now, tokens);
    this.tokensSinceHeaders += tokens;
  }

  /** Reads a response's rate-limit headers; a response without any leaves the last state as is. */
  recordRateLimitHeaders(header: (name: string) => string | null, now: number = this.clock()): void {
    const state = parseRateLimitHeaders(header, now);
    if (state === undefined) return;
    this.rateLimit = state;
    this.requestsSinceHeaders = 0;
    this.tokensSinceHeaders = 0;
  }

  /** The last rate-limit headers as read, or `undefined`. */
  get rateLimitState(): RateLimitState | undefined {
    return this.rateLimit;
  }

  /**
   * What the provider's headers leave for now: the remaining count minus what was started or used
   * since the headers were read. `undefined` (unknown) for a count never reported, once its reset
   * time has passed, or — without a reset time — `rateLimitTtlMs` after the headers were read.
   */
  providerRemaining(now: number = this.clock()): { requests?: number; tokens?: number; limitRequests?: number; limitTokens?: number } {
    const state = this.rateLimit;
    if (state === undefined) return {};
    const fresh = (resetAt: number | undefined): boolean =>
      resetAt !== undefined ? now < resetAt : now - state.observedAt < this.rateLimitTtlMs;
    const result: { requests?: number; tokens?: number; limitRequests?: number; limitTokens?: number } = {};
    if (state.remainingRequests !== undefined && fresh(state.resetRequestsAt)) {
      result.requests = Math.max(0, state.remainingRequests - this.requestsSinceHeaders);
      if (state.limitRequests !== undefined) result.limitRequests = state.limitRequests;
    }
    if (state.remainingTokens !== undefined && fresh(state.resetTokensAt)) {
      result.tokens = Math.max(0, state.remainingTokens - this.tokensSinceHeaders);
      if (state.limitTokens !== undefined) result.limitTokens = state.limitTokens;
    }
    return result;
  }

  requestsLastMinute(now: number = this.clock()): number {
    return this.requestsPerMinute.sum(now);
  }

  tokensLastMinute(now: number = this.clock()): number {
    return this.tokensPerMinute.sum(now);
  }

  snapshot(now: number = this.clock()): DeploymentSnapshot {
    return {
      inFlight: this.inFlight,
      latencyMs: this.latency.value,
      latencyPerTokenMs: this.latencyPerToken.value,
      ttftMs: this.ttft.value,
      tokensPerSecond: this.throughput.value,
      samples: { latency: this.latency.samples, ttft: this.ttft.samples, throughput: this.throughput.samples },
      successes: this.successes,
      failures: this.failures,
      consecutiveFailures: this.consecutiveFailures,
      recent: this.outcomes.counts(now),
      requestsLastMinute: this.requestsLastMinute(now),
      tokensLastMinute: this.tokensLastMinute(now),
      rateLimit: this.rateLimit === undefined ? undefined : { ...this.rateLimit },
    };
  }
}

/** Statistics of every deployment seen, created on first use. */
export class StatsRegistry {
  private readonly byId = new Map<string, DeploymentStats>();

  constructor(private readonly options: StatsOptions = {}) {}

  get(id: string): DeploymentStats {
    let stats = this.byId.get(id);
    if (stats === undefined) {
      stats = new DeploymentStats(this.options);
      this.byId.set(id, stats);
    }
    return stats;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  snapshot(now?: number): Record<string, DeploymentSnapshot> {
    const result: Record<string, DeploymentSnapshot> = {};
    for (const [id, stats] of this.byId) result[id] = stats.snapshot(now);
    return result;
  }
}
