import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, type GatewayHooks, openaiCompatible } from '../../src/index.js';
import { combineHooks, otelHooks, type OtelHooksOptions } from '../../src/otel.js';
import { completion, type Loopback, sendJson, sseChunk, sseUsage, startLoopback, startSse } from '../helpers/loopback.js';

const CANARY = 'canary-key-7f3a9c2e1b5d';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
  server.handle((req, res, body) => {
    const { model, stream } = JSON.parse(body) as { model: string; stream?: boolean };
    // Echoes the credential it was sent: modelmux redacts it from the error, and no span may carry it.
    if (model === 'broken') return sendJson(res, 503, { error: { message: `unavailable (auth: ${String(req.headers.authorization)})`, type: 'server_error' } });
    if (stream) {
      startSse(res);
      res.write(sseChunk({ content: 'secret answer' }));
      res.write(sseChunk({}, 'stop'));
      res.write(sseUsage(5, 2));
      res.end('data: [DONE]\n\n');
      return;
    }
    sendJson(res, 200, completion('secret answer'));
  });
});
afterAll(() => server.close());

let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
});

const messages = [{ role: 'user' as const, content: 'secret question' }];

function gateway(hooks: GatewayHooks, withFallback = true) {
  return createGateway({
    providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL, apiKey: CANARY }) },
    ...(withFallback ? { routing: { fallbacks: { 'local/broken': ['local/good'] } } } : {}),
    retry: { maxRetries: 0 },
    pricing: { 'local/good': { input: 1, output: 2 } },
    hooks,
  });
}

const tracing = (options: Omit<OtelHooksOptions, 'tracer'> = {}) => otelHooks({ tracer: provider.getTracer('test'), ...options });
const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const byName = (name: string): ReadableSpan[] => spans().filter((span) => span.name === name);
const only = (name: string): ReadableSpan => {
  const found = byName(name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
const childrenOf = (parent: ReadableSpan): ReadableSpan[] => spans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
/** Everything an exporter would send for each span. */
const serialize = (): string =>
  JSON.stringify(
    spans().map((span) => ({
      name: span.name,
      kind: span.kind,
      attributes: span.attributes,
      events: span.events,
      status: span.status,
      links: span.links,
      resource: span.resource.attributes,
    })),
  );

describe('otelHooks on a real gateway', () => {
  it('traces a request that fell back once: a request span with one child span per attempt', async () => {
    const mux = gateway(tracing());
    await mux.chat.completions.create({ model: 'local/broken', messages });
    mux.close();

    expect(spans()).toHaveLength(3);
    const request = only('chat local/broken');
    expect(request.kind).toBe(SpanKind.CLIENT);
    expect(request.parentSpanContext).toBeUndefined();
    expect(request.status.code).toBe(SpanStatusCode.UNSET);
    expect(request.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'local',
      'gen_ai.request.model': 'local/broken',
      'gen_ai.response.model': 'loop-model',
      'gen_ai.usage.input_tokens': 5,
      'gen_ai.usage.output_tokens': 2,
      'gen_ai.response.finish_reasons': ['stop'],
      'modelmux.cost_usd': (5 * 1 + 2 * 2) / 1e6,
      'modelmux.attempts': 2,
      'modelmux.stream': false,
      'modelmux.candidates': ['local/broken', 'local/good'],
    });
    expect(request.events.map((e) => e.name)).toEqual(['modelmux.fallback']);
    expect(request.events[0]!.attributes).toEqual({
      'modelmux.fallback.from': 'local/broken',
      'modelmux.fallback.to': 'local/good',
      'modelmux.fallback.reason': 'server_error',
    });

    const children = childrenOf(request);
    expect(children.map((span) => span.name).sort()).toEqual(['chat broken', 'chat good']);
    for (const child of children) expect(child.spanContext().traceId).toBe(request.spanContext().traceId);
    const [failed, served] = [only('chat broken'), only('chat good')];
    expect(failed.kind).toBe(SpanKind.CLIENT);
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'local',
      'gen_ai.request.model': 'broken',
      'error.type': 'server_error',
      'http.response.status_code': 503,
      'modelmux.attempt': 1,
    });
    const exception = failed.events.find((e) => e.name === 'exception')!;
    expect(exception.attributes).toMatchObject({ 'exception.type': 'server_error' });
    expect(exception.attributes!['exception.message']).toContain('unavailable');
    expect(exception.attributes).not.toHaveProperty('exception.stacktrace');
    expect(served.status.code).toBe(SpanStatusCode.UNSET);
    expect(served.attributes).toMatchObject({ 'gen_ai.request.model': 'good', 'modelmux.attempt': 2 });
    expect(served.attributes).not.toHaveProperty('error.type');
    // Attempts nest inside the request in time.
    for (const child of children) expect(child.startTime[0] * 1e9 + child.startTime[1]).toBeGreaterThanOrEqual(request.startTime[0] * 1e9 + request.startTime[1]);
  });

  it('ends a stream request span only when the stream completes, with its time to first token', async () => {
    const mux = gateway(tracing());
    const stream = await mux.chat.completions.create({ model: 'local/good', messages, stream: true });
    expect(byName('chat local/good')).toHaveLength(0); // still open
    expect(only('chat good').status.code).toBe(SpanStatusCode.UNSET); // the attempt ended at the first chunk
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    mux.close();
    expect(text).toBe('secret answer');
    const request = only('chat local/good');
    expect(request.attributes).toMatchObject({
      'gen_ai.provider.name': 'local',
      // the model the provider reported in its chunks, as for non-streamed answers
      'gen_ai.response.model': 'loop-model',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 5,
      'gen_ai.usage.output_tokens': 2,
      'modelmux.cost_usd': (5 * 1 + 2 * 2) / 1e6,
      'modelmux.stream': true,
      'modelmux.attempts': 1,
    });
    const ttft = request.attributes['modelmux.time_to_first_token_ms'];
    expect(typeof ttft).toBe('number');
    expect(request.attributes['gen_ai.response.time_to_first_chunk']).toBe((ttft as number) / 1000);
    expect(childrenOf(request).map((span) => span.name)).toEqual(['chat good']);
  });

  it('marks a failed request ERROR with its error type, and records no stack trace', async () => {
    const mux = gateway(tracing(), false);
    await expect(mux.chat.completions.create({ model: 'local/broken', messages })).rejects.toMatchObject({ code: 'server_error' });
    mux.close();
    const request = only('chat local/broken');
    expect(request.status.code).toBe(SpanStatusCode.ERROR);
    expect(request.attributes).toMatchObject({ 'error.type': 'server_error', 'modelmux.attempts': 1 });
    expect(request.attributes).not.toHaveProperty('gen_ai.response.model');
    expect(childrenOf(request)).toHaveLength(1);
    for (const span of spans()) for (const event of span.events) expect(event.attributes ?? {}).not.toHaveProperty('exception.stacktrace');
  });

  it('records no message content by default', async () => {
    const mux = gateway(tracing());
    await mux.chat.completions.create({ model: 'local/broken', messages });
    const stream = await mux.chat.completions.create({ model: 'local/good', messages, stream: true });
    for await (const chunk of stream) void chunk;
    mux.close();
    expect(tracing().includeContent).toBeUndefined();
    expect(spans()).toHaveLength(5);
    const all = serialize();
    expect(all).not.toContain('secret');
    expect(all).not.toContain('gen_ai.input.messages');
    expect(all).not.toContain('gen_ai.output.messages');
  });

  it('records content in the GenAI message attributes with captureContent', async () => {
    const hooks = tracing({ captureContent: true });
    expect(hooks.includeContent).toBe(true);
    const mux = gateway(hooks);
    await mux.chat.completions.create({ model: 'local/good', messages: [{ role: 'system', content: 'be brief' }, ...messages] });
    mux.close();
    const request = only('chat local/good');
    expect(JSON.parse(request.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'be brief' }] },
      { role: 'user', parts: [{ type: 'text', content: 'secret question' }] },
    ]);
    expect(JSON.parse(request.attributes['gen_ai.output.messages'] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'secret answer' }], finish_reason: 'stop' },
    ]);
  });

  it('never puts the API key in any span, even when the provider echoes it in its error', async () => {
    const mux = gateway(tracing({ captureContent: true }));
    await mux.chat.completions.create({ model: 'local/broken', messages });
    await expect(gateway(tracing(), false).chat.completions.create({ model: 'local/broken', messages })).rejects.toThrow();
    mux.close();
    expect(server.requests.some((r) => r.headers.authorization === `Bearer ${CANARY}`)).toBe(true);
    expect(spans().length).toBeGreaterThanOrEqual(5);
    const all = serialize();
    expect(all).toContain('unavailable');
    expect(all).not.toContain(CANARY);
    expect(all).not.toContain(CANARY.slice(0, 16));
  });

  it('puts each fallback event on its own request when requests run concurrently', async () => {
    const mux = gateway(tracing());
    await Promise.all(Array.from({ length: 4 }, () => mux.chat.completions.create({ model: 'local/broken', messages })));
    mux.close();
    const requests = byName('chat local/broken');
    expect(requests).toHaveLength(4);
    for (const request of requests) {
      expect(request.events.filter((e) => e.name === 'modelmux.fallback')).toHaveLength(1);
      expect(childrenOf(request).map((span) => span.name).sort()).toEqual(['chat broken', 'chat good']);
    }
  });

  it('combines with other hooks: both see every event, and content stays out of spans it was not asked for', async () => {
    const seen: string[] = [];
    const mine: GatewayHooks = {
      includeContent: true,
      onRequest: (e) => void seen.push(`request:${e.messages?.[0]?.content as string}`),
      onResponse: (e) => void seen.push(`response:${e.content}`),
    };
    const mux = gateway(combineHooks(tracing(), mine));
    await mux.chat.completions.create({ model: 'local/broken', messages });
    mux.close();
    expect(seen).toEqual(['request:secret question', 'response:secret answer']);
    expect(spans()).toHaveLength(3);
    expect(serialize()).not.toContain('secret');
  });
});

describe('otelHooks span bookkeeping', () => {
  const start = (hooks: GatewayHooks, requestId: string) =>
    hooks.onRequest!({ requestId, model: 'm', stream: true, scope: undefined, candidates: ['a/m', 'b/m'] });

  it('ends attempts that never reported an end together with their request, and forgets the request', () => {
    const hooks = tracing();
    start(hooks, 'r1');
    hooks.onAttempt!({ requestId: 'r1', attempt: 1, provider: 'a', model: 'm' });
    hooks.onError!({ requestId: 'r1', requestedModel: 'm', stream: true, latencyMs: 5, error: Object.assign(new Error('timed out'), { code: 'timeout' }), attempts: 1 });
    expect(spans().map((s) => s.name).sort()).toEqual(['chat m', 'chat m']);
    const attempt = spans().find((s) => s.parentSpanContext !== undefined)!;
    expect(attempt.attributes['modelmux.attempt_unfinished']).toBe(true);
    const request = spans().find((s) => s.parentSpanContext === undefined)!;
    expect(request.attributes).not.toHaveProperty('gen_ai.provider.name'); // two providers among the candidates
    expect(request.attributes['error.type']).toBe('timeout');
    // Late events for a finished request are ignored: no span is created or ended twice.
    hooks.onAttemptEnd!({ requestId: 'r1', attempt: 1, provider: 'a', model: 'm', durationMs: 1, ok: true });
    hooks.onResponse!({ requestId: 'r1', requestedModel: 'm', provider: 'a', model: 'm', stream: true, latencyMs: 1, usage: undefined, cost: null, attempts: 1 });
    hooks.onFallback!({ from: 'm', to: 'n', reason: 'no_route' });
    expect(spans()).toHaveLength(2);
  });

  it('ends the oldest request past maxOpenRequests (a stream abandoned by the caller reports no end)', () => {
    const hooks = tracing({ maxOpenRequests: 2 });
    for (const id of ['r1', 'r2', 'r3']) start(hooks, id);
    expect(spans()).toHaveLength(1);
    expect(spans()[0]!.attributes).toMatchObject({ 'modelmux.request_id': 'r1', 'modelmux.abandoned': true });
    hooks.onResponse!({ requestId: 'r3', requestedModel: 'm', provider: 'a', model: 'm', stream: true, latencyMs: 1, usage: undefined, cost: null, attempts: 1 });
    expect(spans().map((s) => s.attributes['modelmux.request_id'])).toEqual(['r1', 'r3']);
    expect(spans()[1]!.attributes).not.toHaveProperty('modelmux.cost_usd'); // unpriced: no cost attribute, never 0
  });

  it('uses the global tracer provider when given neither tracer nor provider (a no-op without an SDK)', () => {
    const hooks = otelHooks();
    expect(() => {
      start(hooks, 'g1');
      hooks.onResponse!({ requestId: 'g1', requestedModel: 'm', provider: 'a', model: 'm', stream: false, latencyMs: 1, usage: undefined, cost: null, attempts: 1 });
    }).not.toThrow();
    expect(spans()).toHaveLength(0);
  });

  it('uses tracerProvider when given', () => {
    const hooks = otelHooks({ tracerProvider: provider });
    start(hooks, 'p1');
    hooks.onError!({ requestId: 'p1', requestedModel: 'm', stream: false, latencyMs: 1, error: new Error('x'), attempts: 0 });
    expect(spans()).toHaveLength(1);
    expect(spans()[0]!.instrumentationScope.name).toBe('modelmux');
  });
});

describe('combineHooks', () => {
  it('calls each set in order, and includeContent is true when any set asks', () => {
    const calls: string[] = [];
    const combined = combineHooks(
      { onRequest: () => void calls.push('a') },
      { includeContent: false, onRequest: () => void calls.push('b'), onWarning: () => void calls.push('w') },
      { onRequest: () => void calls.push('c') },
    );
    expect(combined.includeContent).toBeUndefined();
    combined.onRequest!({ requestId: 'r', model: 'm', stream: false, scope: undefined, candidates: [] });
    combined.onWarning!({ message: 'x' });
    expect(calls).toEqual(['a', 'b', 'c', 'w']);
    expect(combined.onError).toBeUndefined();
    expect(combineHooks({}, { includeContent: true }).includeContent).toBe(true);
    expect(combineHooks()).toEqual({});
  });

  it('a set that throws or rejects does not stop the others, and the failure reaches onHookError', async () => {
    const calls: string[] = [];
    const reported: string[] = [];
    const mux = gateway(
      combineHooks(
        {
          onRequest: () => {
            throw new Error('first set broke');
          },
          onResponse: async () => {
            throw new Error('first set rejected');
          },
        },
        { onRequest: () => void calls.push('request'), onResponse: async () => void calls.push('response') },
        { onHookError: (e) => void reported.push(e.hook) },
      ),
    );
    await mux.chat.completions.create({ model: 'local/good', messages });
    await new Promise((resolve) => setTimeout(resolve, 10));
    mux.close();
    expect(calls).toEqual(['request', 'response']);
    expect(reported.sort()).toEqual(['onRequest', 'onResponse']);
  });
});

describe('examples/otel.ts', () => {
  it('runs and prints its spans', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/otel.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(stdout).toContain('chat fast');
    expect(stdout).toContain('chat flaky-model');
    expect(stdout).toContain('chat steady-model');
    expect(stdout).toContain('modelmux.fallback');
  }, 90_000);
});
