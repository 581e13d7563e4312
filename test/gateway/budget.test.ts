import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BudgetExceededError,
  type BudgetStore,
  createGateway,
  type Gateway,
  memoryStore,
  openaiCompatible,
  type SpendEvent,
} from '../../src/index.js';
import { redisStore } from '../../src/redis.js';
import { type Loopback, sendJson, sseChunk, startLoopback, startSse } from '../helpers/loopback.js';
import { describeRedis, type RedisServer, startRedisServer } from '../helpers/redis-server.js';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());

/** Each answer uses exactly max_tokens output tokens and no input price: worth exactly $0.03 at $30/M output. */
function serveCompletions(): void {
  server.handle((_req, res, body) => {
    const { model, max_tokens: max, stream } = JSON.parse(body) as { model: string; max_tokens?: number; stream?: boolean };
    const usage = { prompt_tokens: 10, completion_tokens: max ?? 1000, total_tokens: 10 + (max ?? 1000) };
    if (stream) {
      startSse(res);
      res.write(sseChunk({ content: 'streamed' }));
      res.write(sseChunk({}, 'stop'));
      res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    sendJson(res, 200, {
      id: 'chatcmpl-budget',
      object: 'chat.completion',
      created: 1767612000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage,
    });
  });
}

const messages = [{ role: 'user' as const, content: 'Hi' }];
const scope = { team: 'product' };

function gateway(store: BudgetStore, usd = 1, extra: Parameters<typeof createGateway>[0] = {}): Gateway {
  return createGateway({
    providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL }) },
    pricing: { 'local/m': { input: 0, output: 30 }, 'local/other': { input: 0, output: 30 } },
    budget: { store, limits: [{ scope: { team: '*' }, usd, period: 'month' }] },
    retry: { maxRetries: 0 },
    ...extra,
  });
}

async function burst(mux: Gateway, n: number) {
  const results = await Promise.allSettled(
    Array.from({ length: n }, () => mux.chat.completions.create({ model: 'local/m', messages, max_tokens: 1000 }, { scope })),
  );
  return {
    admitted: results.filter((r) => r.status === 'fulfilled').length,
    refused: results.filter((r) => r.status === 'rejected' && r.reason instanceof BudgetExceededError).length,
    other: results.filter((r) => r.status === 'rejected' && !(r.reason instanceof BudgetExceededError)).map((r) => (r as PromiseRejectedResult).reason),
  };
}

async function concurrentCase(store: BudgetStore): Promise<void> {
  serveCompletions();
  server.requests.length = 0;
  const mux = gateway(store);
  const outcome = await burst(mux, 1000);
  expect(outcome.other).toEqual([]);
  expect(outcome.admitted).toBe(33);
  expect(outcome.refused).toBe(967);
  // Nothing refused reached the provider.
  expect(server.requests).toHaveLength(33);
  const [status] = await mux.budget!.get(scope);
  expect(status).toMatchObject({ limit: 1, reserved: 0 });
  expect(status!.spent).toBeCloseTo(0.99, 9);
  expect(status!.spent).toBeLessThanOrEqual(1);
  mux.close();
}

describe('budgets through the gateway', () => {
  it('1,000 concurrent requests worth $0.03 against $1.00: 33 admitted, the rest refused before sending (memory store)', async () => {
    await concurrentCase(memoryStore());
  });

  it('a stream is settled with its actual cost; one abandoned after the first chunk at its estimate', async () => {
    serveCompletions();
    const spends: SpendEvent[] = [];
    const mux = gateway(memoryStore(), 1, { hooks: { onSpend: (e) => spends.push(e) } });
    const stream = await mux.chat.completions.create({ model: 'local/m', messages, max_tokens: 100, stream: true }, { scope });
    for await (const chunk of stream) void chunk;
    const second = await mux.chat.completions.create({ model: 'local/m', messages, max_tokens: 200, stream: true }, { scope });
    for await (const chunk of second) {
      void chunk;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(spends.map((s) => [s.basis, Number(s.usd.toFixed(6))])).toEqual([
      ['actual', 0.003],
      ['estimate', 0.006],
    ]);
    mux.close();
  });

  it('a non-stream call the caller aborts after it was sent is booked at its estimate (the provider may bill it)', async () => {
    server.handle(() => {}); // never answers
    server.requests.length = 0;
    const spends: SpendEvent[] = [];
    const mux = gateway(memoryStore(), 1, { hooks: { onSpend: (e) => spends.push(e) } });
    const controller = new AbortController();
    const call = mux.chat.completions.create({ model: 'local/m', messages, max_tokens: 100 }, { scope, signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'aborted' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(spends.map((s) => [s.basis, Number(s.usd.toFixed(6))])).toEqual([['estimate', 0.003]]);
    expect((await mux.budget!.get(scope))[0]).toMatchObject({ spent: 0.003, reserved: 0 });
    mux.close();
  });

  it('an unpriced model under a USD limit is refused before anything is sent', async () => {
    serveCompletions();
    server.requests.length = 0;
    const mux = gateway(memoryStore());
    const error = await mux.chat.completions.create({ model: 'local/unpriced', messages }, { scope }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(server.requests).toHaveLength(0);
    mux.close();
  });

  it('a model the scope may not use moves to the next candidate', async () => {
    serveCompletions();
    server.requests.length = 0;
    const mux = createGateway({
      providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL }) },
      pricing: { 'local/m': { input: 0, output: 30 }, 'local/other': { input: 0, output: 30 } },
      models: { chat: ['local/m', 'local/other'] },
      budget: { limits: [{ scope: { team: 'product' }, models: ['local/other'] }] },
    });
    const result = await mux.chat.completions.create({ model: 'chat', messages, max_tokens: 10 }, { scope });
    expect(result.model).toBe('other');
    expect(server.requests.map((r) => JSON.parse(r.body).model)).toEqual(['other']);
    mux.close();
  });
});

describeRedis('budgets through the gateway on a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('1,000 concurrent requests worth $0.03 against $1.00: 33 admitted (ioredis store)', async () => {
    const client = new Redis({ port: redis.port, host: '127.0.0.1' });
    try {
      await concurrentCase(redisStore({ client, prefix: `gateway-test-${Date.now()}` }));
    } finally {
      client.disconnect();
    }
  });
});
