import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  BadRequestError,
  createGateway,
  type Gateway,
  openaiCompatible,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../../src/index.js';
import { completion, type Loopback, sendJson, startLoopback } from '../helpers/loopback.js';

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

function gateway(config: Parameters<typeof createGateway>[0] = {}): Gateway {
  mux = createGateway({
    providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL, apiKey: 'local-key-123456' }) },
    retry: { initialDelayMs: 20, maxDelayMs: 50 },
    ...config,
  });
  return mux;
}

const params = { model: 'local/m', messages: [{ role: 'user' as const, content: 'Hi' }] };
const rateLimited = { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } };

describe('retries for one deployment', () => {
  it('429 with retry-after: 1 then 200 → exactly 2 attempts and the answer, after about a second', async () => {
    server.handle((_req, res, _body, index) => {
      if (index === 0) sendJson(res, 429, rateLimited, { 'retry-after': '1' });
      else sendJson(res, 200, completion('after the wait'));
    });
    const started = Date.now();
    const retries: number[] = [];
    const result = await gateway({ hooks: { onRetry: (e) => retries.push(e.delayMs) } }).chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('after the wait');
    expect(server.requests).toHaveLength(2);
    expect(retries).toEqual([1000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('retry-after: 86400 → no wait: RateLimitError with retryAfterMs 86,400,000 after one attempt', async () => {
    server.handle((_req, res) => sendJson(res, 429, rateLimited, { 'retry-after': '86400' }));
    const error = await gateway()
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(86_400_000);
    expect(server.requests).toHaveLength(1);
    expect((error as RateLimitError).attempts).toEqual([
      expect.objectContaining({ provider: 'local', model: 'm', code: 'rate_limit', status: 429 }),
    ]);
  });

  it('retry-after-ms: 0 wins over retry-after', async () => {
    server.handle((_req, res, _body, index) => {
      if (index === 0) sendJson(res, 429, rateLimited, { 'retry-after-ms': '0', 'retry-after': '30' });
      else sendJson(res, 200, completion('ok'));
    });
    const delays: number[] = [];
    await gateway({ hooks: { onRetry: (e) => delays.push(e.delayMs) } }).chat.completions.create(params);
    expect(delays).toEqual([0]);
    expect(server.requests).toHaveLength(2);
  });

  it('400 → exactly 1 attempt', async () => {
    server.handle((_req, res) =>
      sendJson(res, 400, { error: { message: 'Invalid value for temperature', type: 'invalid_request_error', param: 'temperature', code: null } }),
    );
    await expect(gateway().chat.completions.create(params)).rejects.toBeInstanceOf(BadRequestError);
    expect(server.requests).toHaveLength(1);
  });

  it('insufficient_quota 429 is not retried', async () => {
    server.handle((_req, res) =>
      sendJson(res, 429, { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } }),
    );
    await expect(gateway().chat.completions.create(params)).rejects.toBeInstanceOf(QuotaExceededError);
    expect(server.requests).toHaveLength(1);
  });

  it('500s are retried maxRetries times with backoff, then the last typed error carries every attempt', async () => {
    server.handle((_req, res) => sendJson(res, 500, { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } }));
    const error = await gateway({ retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20 } })
      .chat.completions.create(params)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(server.requests).toHaveLength(3);
    expect((error as ServerError).attempts?.map((a) => a.code)).toEqual(['server_error', 'server_error', 'server_error']);
  });

  it('x-should-retry: false stops retries of a 503', async () => {
    server.handle((_req, res) => sendJson(res, 503, { error: { message: 'busy', type: 'server_error' } }, { 'x-should-retry': 'false' }));
    await expect(gateway().chat.completions.create(params)).rejects.toMatchObject({ retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it("a backoff wait is abortable by the caller's signal", async () => {
    server.handle((_req, res) => sendJson(res, 429, rateLimited, { 'retry-after': '30' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await gateway({ retry: { maxRetryAfterMs: 60_000 } })
      .chat.completions.create(params, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.requests).toHaveLength(1);
  });

  it('a wait longer than the remaining deadline is not taken', async () => {
    server.handle((_req, res) => sendJson(res, 429, rateLimited, { 'retry-after': '5' }));
    const error = await gateway()
      .chat.completions.create(params, { timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(server.requests).toHaveLength(1);
  });

  it('the deadline (timeoutMs) covers a slow answer', async () => {
    server.handle((_req, res) => {
      setTimeout(() => sendJson(res, 200, completion('too late')), 2000);
    });
    const error = await gateway()
      .chat.completions.create(params, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeout).toBe('deadline');
    expect(server.requests).toHaveLength(1);
  });

  it('an ordered alias list falls back to the next model on a retryable error', async () => {
    server.handle((req, res, body) => {
      const model = JSON.parse(body).model as string;
      if (model === 'primary') sendJson(res, 503, { error: { message: 'overloaded', type: 'server_error' } });
      else sendJson(res, 200, completion(`answered by ${model}`));
    });
    const result = await gateway({ models: { smart: ['local/primary', 'local/secondary'] }, retry: { maxRetries: 0 } }).chat.completions.create({
      ...params,
      model: 'smart',
    });
    expect(result.choices[0]?.message.content).toBe('answered by secondary');
    expect(result.provider).toBe('local');
    expect(server.requests.map((r) => JSON.parse(r.body).model)).toEqual(['primary', 'secondary']);
  });
});
