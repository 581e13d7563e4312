import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type GatewayHooks, openaiCompatible } from '../../src/index.js';
import { completion, type Loopback, sendJson, sseChunk, startLoopback, startSse } from '../helpers/loopback.js';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
  server.handle((_req, res, body) => {
    const { model, stream } = JSON.parse(body) as { model: string; stream?: boolean };
    if (model === 'broken') return sendJson(res, 503, { error: { message: 'unavailable', type: 'server_error' } });
    if (stream) {
      startSse(res);
      res.write(sseChunk({ content: 'secret answer' }));
      res.write(sseChunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
      return;
    }
    sendJson(res, 200, completion('secret answer'));
  });
});
afterAll(() => server.close());

const messages = [{ role: 'user' as const, content: 'secret question' }];

function recorder(extra: Partial<GatewayHooks> = {}) {
  const events: Array<[string, Record<string, unknown>]> = [];
  const record = (name: string) => (event: unknown) => void events.push([name, event as Record<string, unknown>]);
  const hooks: GatewayHooks = {
    onRequest: record('request'),
    onAttempt: record('attempt'),
    onAttemptEnd: record('attemptEnd'),
    onRetry: record('retry'),
    onFallback: record('fallback'),
    onResponse: record('response'),
    onError: record('error'),
    ...extra,
  };
  return { events, hooks };
}

function gateway(hooks: GatewayHooks) {
  return createGateway({
    providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL }) },
    routing: { fallbacks: { 'local/broken': ['local/good'] } },
    retry: { maxRetries: 0 },
    pricing: { 'local/good': { input: 1, output: 2 } },
    hooks,
  });
}

describe('lifecycle hooks', () => {
  it('report a request that fell back once, in order, with no payload content by default', async () => {
    const { events, hooks } = recorder();
    const mux = gateway(hooks);
    await mux.chat.completions.create({ model: 'local/broken', messages });
    mux.close();
    expect(events.map(([name]) => name)).toEqual(['request', 'attempt', 'attemptEnd', 'fallback', 'attempt', 'attemptEnd', 'response']);
    const requestId = events[0]![1].requestId;
    expect(events.every(([, e]) => !('requestId' in e) || e.requestId === requestId)).toBe(true);
    expect(events[2]![1]).toMatchObject({ ok: false, status: 503, provider: 'local', model: 'broken' });
    expect(events.at(-1)![1]).toMatchObject({ provider: 'local', model: 'loop-model', attempts: 2, stream: false, cost: (5 * 1 + 2 * 2) / 1e6 });
    expect(JSON.stringify(events)).not.toContain('secret');
  });

  it('carry content only with includeContent, and report a stream when it completes with its time to first token', async () => {
    const { events, hooks } = recorder();
    const mux = gateway({ ...hooks, includeContent: true });
    const stream = await mux.chat.completions.create({ model: 'local/good', messages, stream: true });
    for await (const chunk of stream) void chunk;
    mux.close();
    const response = events.find(([name]) => name === 'response')![1];
    expect(response).toMatchObject({ stream: true, content: 'secret answer' });
    expect(typeof response.timeToFirstTokenMs).toBe('number');
    expect(events.find(([name]) => name === 'request')![1].messages).toEqual(messages);
  });

  it('a hook that throws never breaks a request and is reported once through onHookError', async () => {
    const reported: unknown[] = [];
    const mux = gateway({
      onRequest: () => {
        throw new Error('hook bug');
      },
      onResponse: async () => {
        throw new Error('async hook bug');
      },
      onHookError: (e) => void reported.push(e.hook),
    });
    for (let i = 0; i < 3; i++) await mux.chat.completions.create({ model: 'local/good', messages });
    await new Promise((resolve) => setTimeout(resolve, 10));
    mux.close();
    expect(reported.sort()).toEqual(['onRequest', 'onResponse']);
  });

  it('onError reports a failed request with its attempts', async () => {
    const { events, hooks } = recorder();
    const mux = createGateway({ providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL }) }, retry: { maxRetries: 0 }, hooks });
    await expect(mux.chat.completions.create({ model: 'local/broken', messages })).rejects.toMatchObject({ code: 'server_error' });
    mux.close();
    expect(events.at(-1)).toEqual(['error', expect.objectContaining({ attempts: 1, error: expect.objectContaining({ code: 'server_error' }) })]);
  });
});
