import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createGateway,
  openai,
  type Gateway,
  type GatewayConfig,
  NoRouteError,
  openaiCompatible,
  openrouter,
  ProviderOverloadedError,
  StreamError,
} from '../../src/index.js';
import { completion, type Loopback, sendJson, sseChunk, startLoopback, startSse } from '../helpers/loopback.js';

let server: Loopback;
let mux: Gateway | undefined;

beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());
afterEach(() => {
  mux?.close();
  server.requests.length = 0;
});

const messages = [{ role: 'user' as const, content: 'Hi' }];
const overloaded = { error: { message: 'Overloaded', type: 'server_error', param: null, code: null } };
const unavailable = { error: { message: 'Service unavailable', type: 'server_error', param: null, code: null } };
const quota = { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
const rateLimited = { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } };

/** Scripted answers per model name (the body's `model`), consumed in order; then a normal answer. */
function script(answers: Record<string, Array<(res: import('node:http').ServerResponse) => void>>): void {
  server.handle((_req, res, body) => {
    const parsed = JSON.parse(body) as { model: string; stream?: boolean };
    const next = answers[parsed.model]?.shift();
    if (next) return next(res);
    if (parsed.stream) {
      startSse(res);
      res.write(sseChunk({ role: 'assistant', content: '' }));
      res.write(sseChunk({ content: `streamed by ${parsed.model}` }));
      res.write(sseChunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
      return;
    }
    sendJson(res, 200, completion(`answered by ${parsed.model}`));
  });
}

const models = () => server.requests.map((r) => (JSON.parse(r.body) as { model: string }).model);

function gateway(config: Omit<GatewayConfig, 'providers'> & { providers?: GatewayConfig['providers'] } = {}): Gateway {
  mux = createGateway({
    providers: {
      a: openaiCompatible({ name: 'a', baseURL: server.baseURL }),
      b: openaiCompatible({ name: 'b', baseURL: server.baseURL }),
    },
    retry: { initialDelayMs: 20, maxDelayMs: 40 },
    ...config,
  });
  return mux;
}

describe('equivalent deployments', () => {
  it('a 503 on the first moves to the second at once: one attempt on the first, no wait', async () => {
    script({ m1: [(res) => sendJson(res, 503, unavailable)] });
    const retries: unknown[] = [];
    const result = await gateway({ models: { chat: ['a/m1', 'b/m2'] }, hooks: { onRetry: (e) => retries.push(e) } }).chat.completions.create({
      model: 'chat',
      messages,
    });
    expect(result.choices[0]?.message.content).toBe('answered by m2');
    expect(result.provider).toBe('b');
    expect(models()).toEqual(['m1', 'm2']);
    expect(retries).toEqual([]);
  });
});

describe('fallback chains', () => {
  it('a primary that keeps returning 529 gets maxRetries + 1 attempts with backoff, then the fallback answers', async () => {
    const fail = (res: import('node:http').ServerResponse) => sendJson(res, 529, overloaded);
    script({ primary: [fail, fail, fail, fail] });
    const retries: number[] = [];
    const fallbacks: string[] = [];
    const result = await gateway({
      routing: { fallbacks: { 'a/primary': ['b/backup'] } },
      retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 40 },
      hooks: { onRetry: (e) => retries.push(e.delayMs), onFallback: (e) => fallbacks.push(`${e.from}→${e.to}:${e.reason}`) },
    }).chat.completions.create({ model: 'a/primary', messages });
    expect(result.choices[0]?.message.content).toBe('answered by backup');
    expect(models()).toEqual(['primary', 'primary', 'primary', 'backup']);
    expect(retries).toHaveLength(2);
    expect(fallbacks).toEqual(['a/primary→b/backup:overloaded']);
  });

  it('a quota error goes to the fallback at once', async () => {
    script({ primary: [(res) => sendJson(res, 429, quota)] });
    const retries: unknown[] = [];
    const result = await gateway({ routing: { fallbacks: { 'a/primary': ['b/backup'] } }, hooks: { onRetry: (e) => retries.push(e) } }).chat.completions.create({
      model: 'a/primary',
      messages,
    });
    expect(result.provider).toBe('b');
    expect(models()).toEqual(['primary', 'backup']);
    expect(retries).toEqual([]);
  });

  it('429 with retry-after: 2 and a healthy fallback → the fallback answers at once', async () => {
    script({ primary: [(res) => sendJson(res, 429, rateLimited, { 'retry-after': '2' })] });
    const started = Date.now();
    const result = await gateway({ routing: { fallbacks: { 'a/primary': ['b/backup'] } } }).chat.completions.create({ model: 'a/primary', messages });
    expect(result.provider).toBe('b');
    expect(models()).toEqual(['primary', 'backup']);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('429 with retry-after: 2 and no fallback → one wait of about 2 s, then success', async () => {
    script({ primary: [(res) => sendJson(res, 429, rateLimited, { 'retry-after': '2' })] });
    const retries: number[] = [];
    const started = Date.now();
    const result = await gateway({ hooks: { onRetry: (e) => retries.push(e.delayMs) } }).chat.completions.create({ model: 'a/primary', messages });
    expect(result.choices[0]?.message.content).toBe('answered by primary');
    expect(retries).toEqual([2000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(models()).toEqual(['primary', 'primary']);
  });

  it('the per-request models list is a fallback list', async () => {
    script({ first: [(res) => sendJson(res, 500, unavailable)] });
    const result = await gateway({ retry: { maxRetries: 0 } }).chat.completions.create({ model: 'a/first', models: ['b/second'], messages });
    expect(result.provider).toBe('b');
    expect(models()).toEqual(['first', 'second']);
  });

  it('a bad request never falls back', async () => {
    script({ primary: [(res) => sendJson(res, 400, { error: { message: 'bad', type: 'invalid_request_error' } })] });
    await expect(gateway({ routing: { fallbacks: { 'a/primary': ['b/backup'] } } }).chat.completions.create({ model: 'a/primary', messages })).rejects.toMatchObject({
      code: 'bad_request',
    });
    expect(models()).toEqual(['primary']);
  });

  it('a context-window error goes to contextWindowFallbacks first', async () => {
    script({
      small: [(res) => sendJson(res, 400, { error: { message: "This model's maximum context length is 8192 tokens", type: 'invalid_request_error', code: 'context_length_exceeded' } })],
    });
    const result = await gateway({
      routing: { fallbacks: { 'a/small': ['a/other'] }, contextWindowFallbacks: { 'a/small': ['b/large'] } },
    }).chat.completions.create({ model: 'a/small', messages });
    expect(result.choices[0]?.message.content).toBe('answered by large');
    expect(models()).toEqual(['small', 'large']);
  });

  it('after a chain of failures the caller catches the last typed error with every attempt, oldest first', async () => {
    const fail = (res: import('node:http').ServerResponse) => sendJson(res, 529, overloaded);
    script({ primary: [fail], backup: [fail] });
    const error = await gateway({ retry: { maxRetries: 0 }, routing: { fallbacks: { 'a/primary': ['b/backup'] } } })
      .chat.completions.create({ model: 'a/primary', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderOverloadedError);
    expect((error as ProviderOverloadedError).attempts).toEqual([
      expect.objectContaining({ provider: 'a', model: 'primary', code: 'overloaded', status: 529 }),
      expect.objectContaining({ provider: 'b', model: 'backup', code: 'overloaded', status: 529 }),
    ]);
  });
});

describe('cooldowns', () => {
  it('once the breaker is open a call makes no primary attempt; after the cooldown exactly one probe reaches it', async () => {
    const fail = (res: import('node:http').ServerResponse) => sendJson(res, 503, unavailable);
    script({ primary: [fail, fail] });
    const g = gateway({
      retry: { maxRetries: 0 },
      routing: { fallbacks: { 'a/primary': ['b/backup'] }, breaker: { consecutiveFailures: 2, baseEjectionMs: 300, maxEjectionMs: 300, jitter: 0 } },
    });
    await g.chat.completions.create({ model: 'a/primary', messages });
    await g.chat.completions.create({ model: 'a/primary', messages });
    expect(models()).toEqual(['primary', 'backup', 'primary', 'backup']);
    expect(g.stats()['a/primary']?.breaker).toBe('open');
    server.requests.length = 0;
    await g.chat.completions.create({ model: 'a/primary', messages });
    expect(models()).toEqual(['backup']);
    await new Promise((resolve) => setTimeout(resolve, 350));
    server.requests.length = 0;
    const results = await Promise.all([1, 2, 3].map(() => g.chat.completions.create({ model: 'a/primary', messages })));
    expect(models().filter((m) => m === 'primary')).toHaveLength(1);
    expect(results.map((r) => r.provider).sort()).toEqual(['a', 'b', 'b']);
    expect(g.stats()['a/primary']?.breaker).toBe('closed');
  });

  it('when every candidate is cooling down and nothing else can serve, NoRouteError carries retryAfterMs', async () => {
    script({ only: [(res) => sendJson(res, 429, rateLimited, { 'retry-after': '120' })] });
    const g = gateway();
    await expect(g.chat.completions.create({ model: 'a/only', messages })).rejects.toMatchObject({ code: 'rate_limit', retryAfterMs: 120_000 });
    const error = await g.chat.completions.create({ model: 'a/only', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoRouteError);
    expect((error as NoRouteError).retryAfterMs).toBeGreaterThan(100_000);
    expect((error as NoRouteError).skipped).toEqual([expect.objectContaining({ provider: 'a', model: 'only', reason: 'cooling down' })]);
    expect(models()).toEqual(['only']);
  });

  it('a call that finds the only deployment half-open with its probe out waits for the probe instead of failing', async () => {
    const slowAnswer = (res: import('node:http').ServerResponse) => void setTimeout(() => sendJson(res, 200, completion('probe answered')), 300);
    script({ only: [(res) => sendJson(res, 429, rateLimited, { 'retry-after-ms': '50' }), slowAnswer] });
    const g = gateway({ retry: { maxRetries: 0 } });
    await expect(g.chat.completions.create({ model: 'a/only', messages })).rejects.toMatchObject({ code: 'rate_limit' });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const probe = g.chat.completions.create({ model: 'a/only', messages });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(g.stats()['a/only']?.breaker).toBe('half-open');
    const waiting = await g.chat.completions.create({ model: 'a/only', messages });
    expect((await probe).choices[0]?.message.content).toBe('probe answered');
    expect(waiting.choices[0]?.message.content).toBe('answered by only');
    // The waiting call reached the provider only after the probe's answer closed the breaker.
    expect(models()).toEqual(['only', 'only', 'only']);
    expect(g.stats()['a/only']?.breaker).toBe('closed');
  });

  it('it waits at most maxCooldownWaitMs in all, then fails with NoRouteError', async () => {
    const neverAnswers = () => {};
    script({ only: [(res) => sendJson(res, 429, rateLimited, { 'retry-after-ms': '50' }), neverAnswers] });
    const g = gateway({ retry: { maxRetries: 0 }, routing: { maxCooldownWaitMs: 200 } });
    await expect(g.chat.completions.create({ model: 'a/only', messages })).rejects.toMatchObject({ code: 'rate_limit' });
    await new Promise((resolve) => setTimeout(resolve, 80));
    const probe = g.chat.completions.create({ model: 'a/only', messages }, { timeoutMs: 1500 }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = Date.now();
    const error = await g.chat.completions.create({ model: 'a/only', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoRouteError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(models()).toEqual(['only', 'only']);
    expect(await probe).toMatchObject({ code: 'timeout' });
  });
});

describe('streams', () => {
  it('a primary failing before its first token is answered as one clean stream from the fallback', async () => {
    script({
      primary: [
        (res) => {
          startSse(res);
          res.write(sseChunk({ role: 'assistant', content: '' }));
          res.socket?.destroy();
        },
      ],
    });
    const stream = await gateway({ retry: { maxRetries: 0 }, routing: { fallbacks: { 'a/primary': ['b/backup'] } } }).chat.completions.create({
      model: 'a/primary',
      messages,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('streamed by backup');
    expect(stream.provider).toBe('b');
  });

  it('a failure after the first token throws StreamError with the partial text, never a silent end', async () => {
    script({
      primary: [
        (res) => {
          startSse(res);
          res.write(sseChunk({ content: 'partial ' }));
          setTimeout(() => res.socket?.destroy(), 20);
        },
      ],
    });
    const stream = await gateway({ routing: { fallbacks: { 'a/primary': ['b/backup'] } } }).chat.completions.create({ model: 'a/primary', messages, stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('partial ');
    expect(text).toBe('partial ');
    expect(models()).toEqual(['primary']);
  });
});

describe('strategies through the gateway', () => {
  it('cost picks the cheaper deployment for this request, and changes its pick when prices change', async () => {
    script({});
    const ask = async (pricing: GatewayConfig['pricing']) => {
      const g = gateway({ models: { chat: { deployments: ['a/x', 'b/y'], strategy: 'cost' } }, pricing });
      const result = await g.chat.completions.create({ model: 'chat', messages });
      g.close();
      return result.provider;
    };
    expect(await ask({ 'a/x': { input: 3, output: 15 }, 'b/y': { input: 0.5, output: 1 } })).toBe('b');
    expect(await ask({ 'a/x': { input: 0.1, output: 0.2 }, 'b/y': { input: 0.5, output: 1 } })).toBe('a');
  });

  it('latency prefers the deployment observed faster, and changes its pick when latencies change', async () => {
    let slow = 'x';
    server.handle((_req, res, body) => {
      const model = (JSON.parse(body) as { model: string }).model;
      setTimeout(() => sendJson(res, 200, completion(`answered by ${model}`)), model === slow ? 120 : 2);
    });
    const g = gateway({ models: { chat: { deployments: ['a/x', 'b/y'], strategy: 'latency' } } });
    const observe = async () => {
      for (let i = 0; i < 6; i++) {
        await g.chat.completions.create({ model: 'a/x', messages });
        await g.chat.completions.create({ model: 'b/y', messages });
      }
    };
    const picks = async () => {
      const served: string[] = [];
      for (let i = 0; i < 5; i++) served.push((await g.chat.completions.create({ model: 'chat', messages })).provider);
      return served;
    };
    await observe();
    expect(await picks()).toEqual(['b', 'b', 'b', 'b', 'b']);
    slow = 'y';
    await observe();
    expect(await picks()).toEqual(['a', 'a', 'a', 'a', 'a']);
    expect(g.stats()['a/x']?.latencyMs).toBeLessThan(g.stats()['b/y']!.latencyMs!);
  });
});

describe('variants', () => {
  it(':free keeps only zero-price candidates and fails clearly when there are none', async () => {
    script({});
    const g = gateway({ models: { chat: ['a/paid', 'b/gratis'] }, pricing: { 'a/paid': { input: 1, output: 2 }, 'b/gratis': { input: 0, output: 0 } } });
    const result = await g.chat.completions.create({ model: 'chat:free', messages });
    expect(result.provider).toBe('b');
    const error = await g.chat.completions.create({ model: 'a/paid:free', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoRouteError);
    expect((error as NoRouteError).skipped).toEqual([expect.objectContaining({ provider: 'a', model: 'paid', reason: expect.stringContaining('free') })]);
  });

  it(':floor orders by price for this request', async () => {
    script({});
    const g = gateway({ models: { chat: ['a/dear', 'b/cheap'] }, pricing: { 'a/dear': { input: 5, output: 20 }, 'b/cheap': { input: 0.1, output: 0.4 } } });
    expect((await g.chat.completions.create({ model: 'chat', messages })).provider).toBe('a');
    expect((await g.chat.completions.create({ model: 'chat:floor', messages })).provider).toBe('b');
  });

  it(':thinking turns reasoning on in the request body', async () => {
    script({});
    await gateway().chat.completions.create({ model: 'a/thinker:thinking', messages });
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ model: 'thinker', reasoning_effort: 'medium' });
  });

  it(':extended keeps only candidates whose context window fits, largest first', async () => {
    script({});
    const g = gateway({
      models: { chat: ['a/small', 'b/large'] },
      pricing: { 'a/small': { input: 1, output: 1, contextWindow: 8_000 }, 'b/large': { input: 1, output: 1, contextWindow: 1_000_000 } },
    });
    const long = 'word '.repeat(20_000);
    const result = await g.chat.completions.create({ model: 'chat:extended', messages: [{ role: 'user', content: long }] });
    expect(result.provider).toBe('b');
    expect(models()).toEqual(['large']);
  });

  it(':online turns on native search where the provider has one (OpenAI web_search_options)', async () => {
    script({});
    const g = createGateway({ providers: { openai: openai({ apiKey: 'sk-test-online-00000000000000', baseURL: server.baseURL }) } });
    mux = g;
    await g.chat.completions.create({ model: 'openai/gpt-4o-search-preview:online', messages });
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ model: 'gpt-4o-search-preview', web_search_options: {} });
  });

  it(':online calls webSearch where there is no native search and adds the results as context', async () => {
    script({});
    const queries: string[] = [];
    const g = gateway({
      routing: {
        webSearch: async (query) => {
          queries.push(query);
          return [{ title: 'Lyon weather', url: 'https://weather.example/lyon', content: 'Sunny, 21°C' }];
        },
      },
    });
    await g.chat.completions.create({ model: 'a/plain:online', messages: [{ role: 'user', content: 'Weather in Lyon?' }] });
    expect(queries).toEqual(['Weather in Lyon?']);
    const sent = JSON.parse(server.requests[0]!.body) as { messages: Array<{ role: string; content: string }> };
    expect(sent.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(sent.messages[0]!.content).toContain('https://weather.example/lyon');
  });

  it(':online with neither native search nor webSearch is refused before any call', async () => {
    script({});
    const error = await gateway().chat.completions.create({ model: 'a/plain:online', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoRouteError);
    expect((error as NoRouteError).skipped[0]?.reason).toMatch(/web search/);
    expect(server.requests).toHaveLength(0);
  });

  it(':nitro orders by observed speed instead of the list order', async () => {
    server.handle((_req, res, body) => {
      const model = (JSON.parse(body) as { model: string }).model;
      setTimeout(() => sendJson(res, 200, completion(`answered by ${model}`)), model === 'slow' ? 80 : 2);
    });
    const g = gateway({ models: { chat: ['a/slow', 'b/fast'] } });
    for (let i = 0; i < 3; i++) {
      await g.chat.completions.create({ model: 'a/slow', messages });
      await g.chat.completions.create({ model: 'b/fast', messages });
    }
    expect((await g.chat.completions.create({ model: 'chat', messages })).provider).toBe('a');
    expect((await g.chat.completions.create({ model: 'chat:nitro', messages })).provider).toBe('b');
  });

  it('OpenRouter candidates keep the suffix as OpenRouter defines it; colons that are not variants stay', async () => {
    script({});
    const g = createGateway({ providers: { openrouter: openrouter({ apiKey: 'sk-or-v1-test-0000000000', baseURL: server.baseURL }), a: openaiCompatible({ name: 'a', baseURL: server.baseURL }) } });
    mux = g;
    await g.chat.completions.create({ model: 'openrouter/meta-llama/llama-3.3-70b-instruct:free', messages });
    await g.chat.completions.create({ model: 'a/llama3:8b', messages });
    expect(models()).toEqual(['meta-llama/llama-3.3-70b-instruct:free', 'llama3:8b']);
  });
});

describe('a single deployment', () => {
  it('a 429 without retry-after is retried with backoff even though it opened the breaker', async () => {
    script({ only: [(res) => sendJson(res, 429, rateLimited)] });
    const retries: number[] = [];
    const result = await gateway({ hooks: { onRetry: (e) => retries.push(e.delayMs) } }).chat.completions.create({ model: 'a/only', messages });
    expect(result.choices[0]?.message.content).toBe('answered by only');
    expect(models()).toEqual(['only', 'only']);
    expect(retries).toHaveLength(1);
  });
});
