/**
 * The official `openai` client (v6) driven through `createFetchHandler` over a real gateway whose
 * provider is an OpenAI-compatible loopback server on 127.0.0.1.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway, openaiCompatible } from '../../src/index.js';
import { createFetchHandler, type FetchHandler } from '../../src/interop/index.js';
import { completion, type Loopback, sendJson, sseChunk, sseUsage, startLoopback, startSse } from '../helpers/loopback.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

let server: Loopback;
let mux: Gateway | undefined;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await startLoopback();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await server.close();
});
afterEach(async () => {
  mux?.close();
  mux = undefined;
  await server.waitForNoSockets();
  expect(unhandled).toEqual([]);
  server.requests.length = 0;
});

function setup(handlerOptions: Parameters<typeof createFetchHandler>[1] = {}): { client: OpenAI; handler: FetchHandler } {
  mux = createGateway({
    providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL, apiKey: 'local-key-123456' }) },
    retry: { maxRetries: 0 },
  });
  const handler = createFetchHandler(mux, handlerOptions);
  const client = new OpenAI({ apiKey: 'unused-client-key', baseURL: 'http://modelmux.local/v1', fetch: handler, maxRetries: 0 });
  return { client, handler };
}

const messages = [{ role: 'user' as const, content: 'Hi' }];

function streamHello(): void {
  server.handle((_req, res) => {
    startSse(res);
    res.write(sseChunk({ role: 'assistant', content: '' }));
    res.write(sseChunk({ content: 'Hel' }));
    res.write(sseChunk({ content: 'lo' }));
    res.write(sseChunk({}, 'stop'));
    res.write(sseUsage(5, 2));
    res.end('data: [DONE]\n\n');
  });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('the official OpenAI client over mux.fetch', () => {
  it('non-streaming: the ChatCompletion, provider included; the client key is never forwarded', async () => {
    const { client } = setup();
    server.handle((_req, res) => sendJson(res, 200, completion('Hello there')));
    const res = await client.chat.completions.create({ model: 'local/loop-model', messages });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]?.message.content).toBe('Hello there');
    expect((res as unknown as { provider: string }).provider).toBe('local');
    expect(res.usage?.prompt_tokens).toBe(5);
    const upstream = server.requests[0]!;
    expect(upstream.headers.authorization).toBe('Bearer local-key-123456');
    expect(JSON.stringify(upstream.headers)).not.toContain('unused-client-key');
    expect(JSON.parse(upstream.body).model).toBe('loop-model');
  });

  it('raw response: status 200, application/json, x-modelmux-provider', async () => {
    const { client } = setup();
    server.handle((_req, res) => sendJson(res, 200, completion('ok')));
    const { response } = await client.chat.completions.create({ model: 'local/loop-model', messages }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-modelmux-provider')).toBe('local');
  });

  it('streaming with for await: every chunk, then [DONE]; usage when asked', async () => {
    const { client } = setup();
    streamHello();
    const stream = await client.chat.completions.create({ model: 'local/loop-model', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello');
    expect(usage?.completion_tokens).toBe(2);
  });

  it('the SSE body is OpenAI framing: data: <json>\\n\\n … data: [DONE]\\n\\n', async () => {
    const { handler } = setup();
    streamHello();
    const response = await handler('http://modelmux.local/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify({ model: 'local/loop-model', messages, stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await response.text();
    const events = body.split('\n\n').filter(Boolean);
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    for (const event of events.slice(0, -1)) {
      expect(event.startsWith('data: ')).toBe(true);
      expect(JSON.parse(event.slice(6)).object).toBe('chat.completion.chunk');
    }
  });

  it('client.chat.completions.stream() + finalChatCompletion()', async () => {
    const { client } = setup();
    streamHello();
    const runner = client.chat.completions.stream({ model: 'local/loop-model', messages });
    const deltas: string[] = [];
    runner.on('content', (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expect(deltas.join('')).toBe('Hello');
    expect(final.choices[0]?.message.content).toBe('Hello');
    expect(final.choices[0]?.finish_reason).toBe('stop');
  });

  it('streamed tool-call fragments end up as one complete tool call in finalChatCompletion()', async () => {
    const { client } = setup();
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }));
      res.write(sseChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }));
      res.write(sseChunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }));
      res.write(sseChunk({}, 'tool_calls'));
      res.end('data: [DONE]\n\n');
    });
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const final = await client.chat.completions.stream({ model: 'local/loop-model', messages, tools }).finalChatCompletion();
    const choice = final.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).toBe('call_1');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
  });

  it('a stream failing after content: the client iteration throws (in-band error event, never a silent end)', async () => {
    const { client } = setup();
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ role: 'assistant', content: '' }));
      res.write(sseChunk({ content: 'partial ' }));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const stream = await client.chat.completions.create({ model: 'local/loop-model', messages, stream: true });
    let text = '';
    const error = await caught(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
    );
    expect(text).toBe('partial ');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.code).toBe('stream_error');
    expect(apiError.type).toBe('server_error');
    expect(apiError.message).toMatch(/failed after content/);
  });

  it('break out of the loop cancels the body and aborts the provider stream', async () => {
    const { client } = setup();
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    server.handle((_req, res) => {
      startSse(res);
      res.on('close', () => upstreamClosed());
      res.write(sseChunk({ role: 'assistant', content: 'tick ' }));
      const timer = setInterval(() => res.write(sseChunk({ content: 'tick ' })), 10);
      res.on('close', () => clearInterval(timer));
    });
    const stream = await client.chat.completions.create({ model: 'local/loop-model', messages, stream: true });
    let count = 0;
    for await (const _chunk of stream) if (++count === 3) break;
    await closed;
    expect(count).toBe(3);
  });

  it('controller.abort() mid-stream aborts the provider stream; the client loop ends without an error', async () => {
    const { client } = setup();
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    server.handle((_req, res) => {
      startSse(res);
      res.on('close', () => upstreamClosed());
      res.write(sseChunk({ role: 'assistant', content: 'first ' }));
      // then silence: the abort has to reach a pending read
    });
    const stream = await client.chat.completions.create({ model: 'local/loop-model', messages, stream: true });
    let count = 0;
    for await (const _chunk of stream) {
      count++;
      setTimeout(() => stream.controller.abort(), 20);
    }
    await closed;
    expect(count).toBe(1);
  });

  describe('errors raise the client’s own classes', () => {
    it('ValidationError → BadRequestError 400 with param', async () => {
      const { client } = setup();
      const error = await caught(client.chat.completions.create({ model: 'local/loop-model', messages, temperature: 5 }));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const e = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(e.status).toBe(400);
      expect(e.param).toBe('temperature');
      expect(e.type).toBe('invalid_request_error');
      expect(e.headers?.get('x-should-retry')).toBe('false');
      expect(server.requests).toHaveLength(0);
    });

    it('invalid JSON → 400 invalid_json', async () => {
      const { handler } = setup();
      const response = await handler('http://modelmux.local/v1/chat/completions', { method: 'POST', body: '{"model":' });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { message: 'The request body is not valid JSON.', type: 'invalid_request_error', param: null, code: 'invalid_json' } });
    });

    it('provider 401 → AuthenticationError, with no key in the body; then no_route → 503 with retry-after', async () => {
      const { client, handler } = setup();
      server.handle((_req, res) => sendJson(res, 401, { error: { message: 'Incorrect API key provided: local-key-123456', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      const body = JSON.stringify({ model: 'local/loop-model', messages });
      const raw = await handler('http://modelmux.local/v1/chat/completions', { method: 'POST', body });
      expect(raw.status).toBe(401);
      const text = await raw.text();
      expect(text).not.toContain('local-key-123456');
      expect(JSON.parse(text)).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'authentication_error' } });
      // The deployment's breaker is now open: nothing can be tried.
      const error = await caught(client.chat.completions.create({ model: 'local/loop-model', messages }));
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      const e = error as InstanceType<typeof OpenAI.InternalServerError>;
      expect(e.status).toBe(503);
      expect(e.code).toBe('no_route');
      expect(Number(e.headers?.get('retry-after'))).toBeGreaterThan(0);
      expect(e.headers?.get('x-should-retry')).toBeNull();
      expect(server.requests).toHaveLength(1);
    });

    it('provider 401 → the client raises AuthenticationError', async () => {
      const { client } = setup();
      server.handle((_req, res) => sendJson(res, 401, { error: { message: 'Incorrect API key provided: local-key-123456', type: 'invalid_request_error', code: 'invalid_api_key' } }));
      const error = await caught(client.chat.completions.create({ model: 'local/loop-model', messages }));
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
      expect((error as Error).message).not.toContain('local-key-123456');
    });

    it('provider 429 with retry-after → RateLimitError with retry-after on error.headers', async () => {
      const { client } = setup();
      server.handle((_req, res) => sendJson(res, 429, { error: { message: 'Slow down', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '120' }));
      const error = await caught(client.chat.completions.create({ model: 'local/loop-model', messages }));
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const e = error as InstanceType<typeof OpenAI.RateLimitError>;
      expect(e.status).toBe(429);
      expect(e.code).toBe('rate_limit_exceeded');
      expect(e.headers?.get('retry-after')).toBe('120');
      expect(e.headers?.get('retry-after-ms')).toBe('120000');
      expect(e.headers?.get('x-should-retry')).toBe('false');
    });

    it('quota 429 → RateLimitError code insufficient_quota', async () => {
      const { client } = setup();
      server.handle((_req, res) => sendJson(res, 429, { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } }));
      const error = await caught(client.chat.completions.create({ model: 'local/loop-model', messages }));
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
    });

    it('provider 500 → InternalServerError', async () => {
      const { client } = setup();
      server.handle((_req, res) => sendJson(res, 500, { error: { message: 'boom', type: 'server_error' } }));
      const error = await caught(client.chat.completions.create({ model: 'local/loop-model', messages }));
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      const e = error as InstanceType<typeof OpenAI.InternalServerError>;
      expect(e.status).toBe(500);
      expect(e.code).toBe('server_error');
    });

    it('an error before the first chunk of a stream is the error response, not a stream', async () => {
      const { client } = setup();
      server.handle((_req, res) => sendJson(res, 404, { error: { message: 'The model does not exist', type: 'invalid_request_error', code: 'model_not_found' } }));
      const error = await caught(client.chat.completions.create({ model: 'local/loop-model', messages, stream: true }));
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    });
  });

  it('GET /models lists options.listModels in OpenAI’s shape, extra fields included', async () => {
    const { client } = setup({
      listModels: () => [
        { id: 'fast', owned_by: 'modelmux' },
        { id: 'local/loop-model', owned_by: 'local', pricing: { input: 0.5, output: 1.5 } },
      ],
    });
    const page = await client.models.list();
    expect(page.data.map((model) => model.id)).toEqual(['fast', 'local/loop-model']);
    expect(page.data[1]).toEqual({ id: 'local/loop-model', object: 'model', created: 0, owned_by: 'local', pricing: { input: 0.5, output: 1.5 } });
    const one = await client.models.retrieve('local/loop-model');
    expect(one.id).toBe('local/loop-model');
    await expect(client.models.retrieve('nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('GET /models without listModels is an empty list', async () => {
    const { client } = setup();
    const page = await client.models.list();
    expect(page.data).toEqual([]);
  });

  it('an unknown path is a 404 OpenAI error; relative URLs and other base paths work', async () => {
    const { client, handler } = setup();
    const error = await caught(client.embeddings.create({ model: 'x', input: 'hi' }));
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const response = await handler('/v1/files');
    expect(response.status).toBe(404);
    expect((await response.json()).error.type).toBe('invalid_request_error');
    const get = await handler('http://modelmux.local/v1/chat/completions');
    expect(get.status).toBe(404);
    server.handle((_req, res) => sendJson(res, 200, completion('relative')));
    const relative = await handler('/api/openai/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'local/loop-model', messages }) });
    expect(relative.status).toBe(200);
    expect((await relative.json()).choices[0].message.content).toBe('relative');
  });
});
