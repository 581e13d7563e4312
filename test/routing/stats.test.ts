import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeploymentStats, deploymentId, Ewma, MinuteCounter, parseRateLimitHeaders, StatsRegistry } from '../../src/routing/stats.js';

function headers(values: Record<string, string>): (name: string) => string | null {
  return (name) => values[name.toLowerCase()] ?? null;
}

describe('in flight', () => {
  it('returns to 0 after begin/end pairs, a double end counting once', () => {
    const stats = new DeploymentStats({ now: () => 0 });
    const a = stats.begin();
    const b = stats.begin();
    const c = stats.begin();
    expect(stats.inFlight).toBe(3);
    a();
    a();
    expect(stats.inFlight).toBe(2);
    b();
    c();
    c();
    b();
    expect(stats.inFlight).toBe(0);
  });

  it('property: any sequence of begins and (duplicate) ends leaves inFlight = un-ended begins', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant({ kind: 'begin' as const }), fc.record({ kind: fc.constant('end' as const), pick: fc.nat() })), { maxLength: 200 }),
        (ops) => {
          const stats = new DeploymentStats({ now: () => 0 });
          const ends: (() => void)[] = [];
          const ended = new Set<number>();
          for (const op of ops) {
            if (op.kind === 'begin') ends.push(stats.begin());
            else if (ends.length > 0) {
              const index = op.pick % ends.length;
              ends[index]!();
              ended.add(index);
            }
            expect(stats.inFlight).toBe(ends.length - ended.size);
            expect(stats.inFlight).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});

describe('EWMA', () => {
  it('takes the first sample as is, then α × sample + (1 − α) × value with α = 0.3', () => {
    const ewma = new Ewma();
    expect(ewma.value).toBeUndefined();
    expect(ewma.samples).toBe(0);
    ewma.update(100);
    expect(ewma.value).toBe(100);
    ewma.update(200);
    expect(ewma.value).toBeCloseTo(130, 10);
    ewma.update(0);
    expect(ewma.value).toBeCloseTo(91, 10);
    expect(ewma.samples).toBe(3);
    ewma.update(Number.NaN);
    ewma.update(-1);
    expect(ewma.samples).toBe(3);
  });

  it('non-stream: plain latency, ms per output token (latency / max(1, tokens)) and tokens/s', () => {
    const stats = new DeploymentStats({ now: () => 0 });
    stats.recordSuccess({ latencyMs: 2000, completionTokens: 100, stream: false });
    expect(stats.latency.value).toBe(2000);
    expect(stats.latencyPerToken.value).toBe(20);
    expect(stats.throughput.value).toBe(50);
    stats.recordSuccess({ latencyMs: 500, completionTokens: 0, stream: false });
    expect(stats.latencyPerToken.value).toBeCloseTo(0.3 * 500 + 0.7 * 20, 10);
    expect(stats.ttft.samples).toBe(0);
  });

  it('stream: the latency is the time to first token; throughput comes at the end of the stream', () => {
    const stats = new DeploymentStats({ now: () => 0 });
    stats.recordSuccess({ latencyMs: 300, stream: true });
    expect(stats.ttft.value).toBe(300);
    expect(stats.latency.samples).toBe(0);
    expect(stats.latencyPerToken.samples).toBe(0);
    stats.recordStreamEnd({ generationMs: 2000, completionTokens: 400, promptTokens: 100 });
    expect(stats.throughput.value).toBe(200);
    expect(stats.tokensLastMinute(0)).toBe(500);
  });

  it('counts outcomes, consecutive failures and the recent window', () => {
    let now = 0;
    const stats = new DeploymentStats({ now: () => now });
    stats.recordFailure();
    stats.recordFailure();
    expect(stats.consecutiveFailures).toBe(2);
    now = 10_000;
    stats.recordSuccess({ latencyMs: 10, stream: false, now });
    expect(stats.consecutiveFailures).toBe(0);
    expect(stats.snapshot().recent).toEqual({ calls: 3, failures: 2 });
    now = 35_000;
    expect(stats.snapshot().recent).toEqual({ calls: 1, failures: 0 });
    expect(stats.successes).toBe(1);
    expect(stats.failures).toBe(2);
  });
});

describe('per-minute counters', () => {
  it('is a 60 s sliding window at 1 s resolution', () => {
    const counter = new MinuteCounter();
    counter.add(0, 3);
    counter.add(30_500, 2);
    expect(counter.sum(59_999)).toBe(5);
    expect(counter.sum(60_000)).toBe(2);
    expect(counter.sum(90_999)).toBe(0);
  });

  it('begin counts a request; successes count prompt + completion tokens', () => {
    const stats = new DeploymentStats({ now: () => 1000 });
    stats.begin()();
    stats.begin();
    stats.recordSuccess({ latencyMs: 10, stream: false, promptTokens: 30, completionTokens: 12 });
    expect(stats.requestsLastMinute()).toBe(2);
    expect(stats.tokensLastMinute()).toBe(42);
    expect(stats.requestsLastMinute(61_000)).toBe(0);
  });
});

describe('rate-limit headers', () => {
  it('reads OpenAI / Groq style with duration resets', () => {
    const state = parseRateLimitHeaders(
      headers({
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '59',
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-limit-tokens': '150000',
        'x-ratelimit-remaining-tokens': '149984',
        'x-ratelimit-reset-tokens': '6m0s',
      }),
      1_000_000,
    );
    expect(state).toEqual({
      observedAt: 1_000_000,
      limitRequests: 60,
      remainingRequests: 59,
      resetRequestsAt: 1_001_000,
      limitTokens: 150_000,
      remainingTokens: 149_984,
      resetTokensAt: 1_360_000,
    });
    const groq = parseRateLimitHeaders(headers({ 'x-ratelimit-remaining-requests': '14370', 'x-ratelimit-reset-requests': '2m59.56s' }), 0);
    expect(groq?.resetRequestsAt).toBe(179_560);
  });

  it('reads Anthropic style with RFC 3339 resets', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const state = parseRateLimitHeaders(
      headers({
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2025-01-01T00:00:30Z',
        'anthropic-ratelimit-tokens-remaining': '8000',
        'anthropic-ratelimit-tokens-reset': '2025-01-01T00:01:00Z',
      }),
      now,
    );
    expect(state).toEqual({
      observedAt: now,
      limitRequests: 50,
      remainingRequests: 49,
      resetRequestsAt: now + 30_000,
      remainingTokens: 8000,
      resetTokensAt: now + 60_000,
    });
  });

  it('ignores a response without them and garbage values', () => {
    expect(parseRateLimitHeaders(headers({}), 0)).toBeUndefined();
    expect(parseRateLimitHeaders(headers({ 'x-ratelimit-remaining-requests': 'lots' }), 0)).toBeUndefined();
  });

  it('providerRemaining subtracts what was started since, and forgets after the reset', () => {
    let now = 0;
    const stats = new DeploymentStats({ now: () => now });
    stats.recordRateLimitHeaders(
      headers({ 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-limit-requests': '10', 'x-ratelimit-reset-requests': '10s' }),
    );
    stats.begin();
    stats.begin();
    expect(stats.providerRemaining()).toEqual({ requests: 1, limitRequests: 10 });
    stats.begin();
    stats.begin();
    expect(stats.providerRemaining().requests).toBe(0);
    now = 10_000;
    expect(stats.providerRemaining()).toEqual({});
    stats.recordRateLimitHeaders(headers({}));
    expect(stats.rateLimitState?.remainingRequests).toBe(3);
  });

  it('without a reset time trusts the headers for 60 s', () => {
    let now = 0;
    const stats = new DeploymentStats({ now: () => now });
    stats.recordRateLimitHeaders(headers({ 'x-ratelimit-remaining-tokens': '500' }));
    stats.recordTokens(100);
    expect(stats.providerRemaining()).toEqual({ tokens: 400 });
    now = 60_000;
    expect(stats.providerRemaining()).toEqual({});
  });
});

describe('StatsRegistry', () => {
  it('keeps one DeploymentStats per id and snapshots plain JSON', () => {
    const registry = new StatsRegistry({ now: () => 5000 });
    const id = deploymentId({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(id).toBe('openai/gpt-4o-mini');
    expect(registry.get(id)).toBe(registry.get(id));
    const end = registry.get(id).begin();
    registry.get(id).recordSuccess({ latencyMs: 400, completionTokens: 4, stream: false });
    const snapshot = registry.snapshot();
    expect(snapshot[id]).toMatchObject({
      inFlight: 1,
      latencyMs: 400,
      latencyPerTokenMs: 100,
      ttftMs: undefined,
      samples: { latency: 1, ttft: 0, throughput: 1 },
      successes: 1,
      failures: 0,
      consecutiveFailures: 0,
      requestsLastMinute: 1,
    });
    end();
    expect(registry.snapshot()[id]!.inFlight).toBe(0);
    expect(JSON.parse(JSON.stringify(registry.snapshot()))[id].latencyMs).toBe(400);
  });
});
