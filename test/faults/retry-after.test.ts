/**
 * 429 (and 503/529) and the waits they ask for, on the fault server: `retry-after` in seconds, as
 * an HTTP date, `retry-after-ms` (0 included), huge hints, malformed and absent ones, in the
 * OpenAI and the Anthropic wire formats. Every case also runs the harness's after-case checks.
 */
import { describe, expect, it } from 'vitest';
import {
  anthropic,
  type Gateway,
  type ModelmuxError,
  NoRouteError,
  ProviderOverloadedError,
  RateLimitError,
  ServerError,
} from '../../src/index.js';
import { anthropicError, anthropicMessage, CANARY, nano, openaiError, useFaultHarness } from '../helpers/fault-server.js';
import { completion, sendJson } from '../helpers/loopback.js';

const h = useFaultHarness();

type Config = Parameters<typeof h.gateway>[0];

const messages = [{ role: 'user' as const, content: 'Hi' }];
const params = { model: 'local/m', messages };
const rateLimited = openaiError('Rate limit reached for requests', 'requests', 'rate_limit_exceeded');

/** The first answer is `status` with `headers`, every later one a completion. */
function limitedOnce(headers: Record<string, string>, status = 429, body: unknown = rateLimited): void {
  h.server.handle((_req, res, _body, index) => {
    if (index === 0) sendJson(res, status, body, headers);
    else sendJson(res, 200, completion('after the wait'));
  });
}

/** Always `status` with `headers`. */
function limitedAlways(headers: Record<string, string>, status = 429, body: unknown = rateLimited): void {
  h.server.handle((req, res) => {
    if (req.url?.startsWith('/backup/')) sendJson(res, 200, completion('from backup'));
    else sendJson(res, status, body, headers);
  });
}

/** `primary` then `backup` (both OpenAI-compatible on the fault server) behind the alias `smart`. */
function fallbackGateway(config: Config = {}): Gateway {
  return h.gateway({
    providers: { primary: h.openai('primary'), backup: h.openai('backup') },
    models: { smart: 'primary/m' },
    routing: { fallbacks: { smart: ['backup/m'] } },
    ...config,
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await run();
  return { value, ms: Date.now() - started };
}

describe('429 with a wait the retry honours', () => {
  it('retry-after: 1 (seconds) → one wait of 1 s, then the answer from the same deployment', async () => {
    limitedOnce({ 'retry-after': '1' });
    const { value: result, ms } = await timed(() => h.gateway().chat.completions.create(params));
    expect(result.choices[0]?.message.content).toBe('after the wait');
    expect(result.provider).toBe('local');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]).toMatchObject({ provider: 'local', attempt: 1, delayMs: 1000 });
    expect(h.retries()[0]!.error).toBeInstanceOf(RateLimitError);
    expect((h.retries()[0]!.error as RateLimitError).retryAfterMs).toBe(1000);
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(5000);
    await h.settle();
    // the 429 was released, the answer booked at its actual cost
    expect(h.booked()).toEqual([['actual', nano(2)]]);
  });

  it('retry-after-ms: 250 → one wait of 250 ms', async () => {
    limitedOnce({ 'retry-after-ms': '250' });
    const { value: result, ms } = await timed(() => h.gateway({ retry: { initialDelayMs: 5000, maxDelayMs: 5000 } }).chat.completions.create(params));
    expect(result.choices[0]?.message.content).toBe('after the wait');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries().map((r) => r.delayMs)).toEqual([250]);
    expect(ms).toBeGreaterThanOrEqual(240);
    expect(ms).toBeLessThan(4000);
  });

  it('retry-after-ms: 0 → retried at once: 0 is a wait of zero, not "no hint" (and it wins over retry-after)', async () => {
    limitedOnce({ 'retry-after-ms': '0', 'retry-after': '30' });
    // a backoff would take ≥ 2.5 s and the retry-after 30 s: neither may be used
    const { value: result, ms } = await timed(() => h.gateway({ retry: { initialDelayMs: 5000, maxDelayMs: 5000 } }).chat.completions.create(params));
    expect(result.choices[0]?.message.content).toBe('after the wait');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries().map((r) => r.delayMs)).toEqual([0]);
    expect((h.retries()[0]!.error as RateLimitError).retryAfterMs).toBe(0);
    expect(ms).toBeLessThan(2000);
  });

  it('retry-after-ms: 0 on every answer → maxRetries immediate retries, then RateLimitError with retryAfterMs 0', async () => {
    limitedAlways({ 'retry-after-ms': '0' });
    const { value: error, ms } = await timed(() => h.failure(h.gateway({ retry: { maxRetries: 2, initialDelayMs: 5000, maxDelayMs: 5000 } }).chat.completions.create(params)));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ code: 'rate_limit', status: 429, retryAfterMs: 0, provider: 'local', retryable: true });
    expect((error as ModelmuxError).attempts).toHaveLength(3);
    expect(h.server.requests).toHaveLength(3);
    expect(h.retries().map((r) => r.delayMs)).toEqual([0, 0]);
    expect(ms).toBeLessThan(2000);
    await h.settle();
    expect(h.booked()).toEqual([]);
  });

  it('503 with retry-after-ms: 300 → the server error waits for the hint too', async () => {
    limitedOnce({ 'retry-after-ms': '300' }, 503, openaiError('Service unavailable', 'server_error'));
    const { value: result, ms } = await timed(() => h.gateway({ retry: { initialDelayMs: 5000, maxDelayMs: 5000 } }).chat.completions.create(params));
    expect(result.choices[0]?.message.content).toBe('after the wait');
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(ServerError);
    expect(h.retries()[0]!.delayMs).toBe(300);
    expect(ms).toBeGreaterThanOrEqual(290);
  });

  it('529 overloaded with retry-after-ms: 100 → ProviderOverloadedError waited for, then the answer', async () => {
    limitedOnce({ 'retry-after-ms': '100' }, 529, openaiError('Overloaded', 'overloaded_error'));
    const result = await h.gateway({ retry: { initialDelayMs: 5000, maxDelayMs: 5000 } }).chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('after the wait');
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(ProviderOverloadedError);
    expect(h.retries()[0]!.delayMs).toBe(100);
  });
});

describe('waits bounded by the deadline and the caller', () => {
  it('a 10 s retry-after that does not fit timeoutMs (3 s) → RateLimitError at once, no sleep', async () => {
    limitedAlways({ 'retry-after': '10' });
    // a sleep would end in the deadline's TimeoutError at 3 s
    const { value: error, ms } = await timed(() => h.failure(h.gateway().chat.completions.create(params, { timeoutMs: 3000 })));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryAfterMs: 10_000 });
    expect(ms).toBeLessThan(2500);
    expect(h.server.requests).toHaveLength(1);
  });

  it("the caller's abort during a 2 s retry-after wait → AbortError within ~0.2 s; the wait's timer is cleared", async () => {
    limitedAlways({ 'retry-after': '2' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const { value: error, ms } = await timed(() => h.failure(h.gateway().chat.completions.create(params, { signal: controller.signal })));
    expect(error).toMatchObject({ code: 'aborted', retryable: false });
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(2000);
    expect(h.server.requests).toHaveLength(1);
    expect(h.retries().map((r) => r.delayMs)).toEqual([2000]);
    // the after-case check fails on a 2 s sleep timer left behind
  });
});

describe('429 with a hint that is missing or unusable → backoff', () => {
  it.each([
    ['absent', {}],
    ['not a number or a date', { 'retry-after': 'soon' }],
    ['negative', { 'retry-after': '-3' }],
    ['a negative retry-after-ms', { 'retry-after-ms': '-5' }],
    ['an empty header', { 'retry-after': '' }],
  ] as const)('retry-after %s → the backoff (initialDelayMs × U[0.5, 1])', async (_name, headers) => {
    limitedOnce(headers);
    const result = await h.gateway({ retry: { initialDelayMs: 100, maxDelayMs: 100 } }).chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('after the wait');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.delayMs).toBeGreaterThanOrEqual(50);
    expect(h.retries()[0]!.delayMs).toBeLessThanOrEqual(100);
    expect((h.retries()[0]!.error as RateLimitError).retryAfterMs).toBeUndefined();
  });
});

describe('429 with a huge hint → no sleep: the deployment cools down', () => {
  it.each([
    ['retry-after: 86400 (a day, in seconds)', { 'retry-after': '86400' }, 86_400_000],
    ['retry-after-ms: 3600000 (an hour)', { 'retry-after-ms': '3600000' }, 3_600_000],
  ] as const)('%s, one deployment → RateLimitError at once with retryAfterMs, 1 request; the next call is refused without a request', async (_name, headers, hinted) => {
    limitedAlways(headers);
    const mux = h.gateway();
    const { value: error, ms } = await timed(() => h.failure(mux.chat.completions.create(params)));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ code: 'rate_limit', status: 429, retryAfterMs: hinted, provider: 'local' });
    expect(ms).toBeLessThan(2000);
    expect(h.server.requests).toHaveLength(1);
    expect(h.retries()).toEqual([]);
    const cooldowns = h.events('onCooldown');
    expect(cooldowns).toHaveLength(1);
    // the breaker caps a hint at 5 minutes
    expect(cooldowns[0]!.untilMs - Date.now()).toBeGreaterThan(60_000);
    expect(cooldowns[0]!.untilMs - Date.now()).toBeLessThanOrEqual(300_000);

    const next = await h.failure(mux.chat.completions.create(params));
    expect(next).toBeInstanceOf(NoRouteError);
    expect((next as NoRouteError).retryAfterMs).toBeGreaterThan(60_000);
    expect((next as NoRouteError).skipped).toEqual([{ provider: 'local', model: 'm', reason: 'cooling down' }]);
    expect(h.server.requests).toHaveLength(1);
    await h.settle();
    expect(h.booked()).toEqual([]);
  });

  it('an HTTP date a day ahead → RateLimitError at once, 1 request', async () => {
    limitedAlways({ 'retry-after': new Date(Date.now() + 86_400_000).toUTCString() });
    const { value: error, ms } = await timed(() => h.failure(h.gateway().chat.completions.create(params)));
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBeGreaterThan(86_300_000);
    expect(ms).toBeLessThan(2000);
    expect(h.server.requests).toHaveLength(1);
  });

  it('with a fallback → the fallback answers at once; the next call skips the cooling primary entirely', async () => {
    limitedAlways({ 'retry-after': '86400' });
    const mux = fallbackGateway();
    const { value: result, ms } = await timed(() => mux.chat.completions.create({ model: 'smart', messages }));
    expect(result.choices[0]?.message.content).toBe('from backup');
    expect(result.provider).toBe('backup');
    expect(ms).toBeLessThan(2000);
    expect(h.server.requests.map((r) => r.url)).toEqual(['/primary/v1/chat/completions', '/backup/v1/chat/completions']);
    expect(h.events('onFallback')).toMatchObject([{ from: 'smart', to: 'backup/m', reason: 'rate_limit' }]);

    const again = await mux.chat.completions.create({ model: 'smart', messages });
    expect(again.provider).toBe('backup');
    expect(h.server.requests.map((r) => r.url)).toEqual([
      '/primary/v1/chat/completions',
      '/backup/v1/chat/completions',
      '/backup/v1/chat/completions',
    ]);
    await h.settle();
    expect(h.booked()).toEqual([
      ['actual', nano(2)],
      ['actual', nano(2)],
    ]);
  });

  it('a 3 s hint (above preferFallbackAfterMs, below the retry cap) with a fallback → the fallback now, no wait', async () => {
    limitedAlways({ 'retry-after': '3' });
    const { value: result, ms } = await timed(() => fallbackGateway().chat.completions.create({ model: 'smart', messages }));
    expect(result.provider).toBe('backup');
    expect(ms).toBeLessThan(2000);
    expect(h.server.requests.map((r) => r.url)).toEqual(['/primary/v1/chat/completions', '/backup/v1/chat/completions']);
    expect(h.retries()).toEqual([]);
  });
});

describe('Anthropic 429 and 529', () => {
  function anthropicGateway(config: Config = {}): Gateway {
    return h.gateway({ providers: { anthropic: anthropic({ baseURL: h.server.origin, apiKey: CANARY }) }, ...config });
  }
  const request = { model: 'anthropic/claude-loop', messages, max_tokens: 50 };

  it('rate_limit_error with retry-after: 1 → one wait of 1 s, then the answer', async () => {
    h.server.handle((_req, res, _body, index) => {
      if (index === 0) sendJson(res, 429, anthropicError('rate_limit_error', 'Number of requests has exceeded your rate limit'), { 'retry-after': '1' });
      else sendJson(res, 200, anthropicMessage('waited'));
    });
    const { value: result, ms } = await timed(() => anthropicGateway().chat.completions.create(request));
    expect(result.choices[0]?.message.content).toBe('waited');
    expect(result.provider).toBe('anthropic');
    expect(h.server.requests.map((r) => r.url)).toEqual(['/v1/messages', '/v1/messages']);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(RateLimitError);
    expect(h.retries()[0]!.delayMs).toBe(1000);
    expect(ms).toBeGreaterThanOrEqual(950);
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(3)]]);
  });

  it('overloaded_error 529 with retry-after-ms: 0 → an immediate retry', async () => {
    h.server.handle((_req, res, _body, index) => {
      if (index === 0) sendJson(res, 529, anthropicError('overloaded_error', 'Overloaded'), { 'retry-after-ms': '0' });
      else sendJson(res, 200, anthropicMessage('at once'));
    });
    const { value: result, ms } = await timed(() => anthropicGateway({ retry: { initialDelayMs: 5000, maxDelayMs: 5000 } }).chat.completions.create(request));
    expect(result.choices[0]?.message.content).toBe('at once');
    expect(h.retries().map((r) => r.delayMs)).toEqual([0]);
    expect(h.retries()[0]!.error).toBeInstanceOf(ProviderOverloadedError);
    expect(ms).toBeLessThan(2000);
  });
});
