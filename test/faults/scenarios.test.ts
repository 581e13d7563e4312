import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  anthropic,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  createGateway,
  type Gateway,
  type GatewayHooks,
  InvalidResponseError,
  ModelmuxError,
  NotFoundError,
  openaiCompatible,
  PermissionError,
  ProviderOverloadedError,
  QuotaExceededError,
  RateLimitError,
  type RetryHookEvent,
  ServerError,
  StreamError,
  TimeoutError,
} from '../../src/index.js';
import {
  anthropicEvent,
  anthropicStart,
  anthropicStream,
  anthropicText,
  closedPort,
  keepAliveForever,
  originOf,
  renderings,
} from '../helpers/fault-server.js';
import { completion, type Loopback, sendJson, sseChunk, startLoopback, startSse } from '../helpers/loopback.js';

const CANARY = 'canary-fault-key-0123456789';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

let server: Loopback;
let mux: Gateway | undefined;
/** Every error a test saw: thrown to the caller or reported by onRetry. */
let seen: unknown[] = [];
let retries: RetryHookEvent[] = [];

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await startLoopback();
});
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.off('unhandledRejection', onUnhandled);
  await server.close();
  expect(unhandled).toEqual([]);
});
beforeEach(() => {
  seen = [];
  retries = [];
});
afterEach(async () => {
  mux?.close();
  mux = undefined;
  await server.waitForNoSockets();
  // let a late rejection surface before checking
  await new Promise((resolve) => setImmediate(resolve));
  expect(unhandled).toEqual([]);
  for (const error of seen) {
    for (const text of renderings(error)) expect(text).not.toContain(CANARY);
  }
  server.requests.length = 0;
});

type Config = Parameters<typeof createGateway>[0];

const fastRetry = { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20 };

function hooks(): GatewayHooks {
  return {
    onRetry: (event) => {
      retries.push(event);
      seen.push(event.error);
    },
  };
}

/** One OpenAI-compatible provider `local` on the loopback server. */
function gateway(config: Config = {}): Gateway {
  mux = createGateway({
    providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL, apiKey: CANARY }) },
    retry: fastRetry,
    hooks: hooks(),
    ...config,
  });
  return mux;
}

/** `primary` and `backup`, both on the loopback server under different paths; alias `smart` → primary, then backup. */
function fallbackGateway(config: Config = {}): Gateway {
  const origin = originOf(server.baseURL);
  mux = createGateway({
    providers: {
      primary: openaiCompatible({ name: 'primary', baseURL: `${origin}/primary/v1`, apiKey: CANARY }),
      backup: openaiCompatible({ name: 'backup', baseURL: `${origin}/backup/v1`, apiKey: CANARY }),
    },
    models: { smart: 'primary/m' },
    routing: { fallbacks: { smart: ['backup/m'] } },
    retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 },
    hooks: hooks(),
    ...config,
  });
  return mux;
}

function anthropicGateway(config: Config = {}): Gateway {
  mux = createGateway({
    providers: { anthropic: anthropic({ baseURL: originOf(server.baseURL), apiKey: CANARY }) },
    retry: fastRetry,
    hooks: hooks(),
    ...config,
  });
  return mux;
}

const messages = [{ role: 'user' as const, content: 'Hi' }];
const params = { model: 'local/m', messages };

async function failure(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => new Error('expected a failure, got a result'),
    (e: unknown) => e,
  );
  seen.push(error);
  return error;
}

async function collect(stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

function openaiError(message: string, type: string, code: string | null = null): Record<string, unknown> {
  return { error: { message, type, param: null, code } };
}

/** Runs `write` 100 ms later (a separate TCP read for the client), unless the response closed first. */
function later(res: ServerResponse, write: () => void): void {
  const timer = setTimeout(() => {
    if (!res.destroyed) write();
  }, 100);
  res.on('close', () => clearTimeout(timer));
}

function endStream(res: ServerResponse): void {
  res.write(sseChunk({}, 'stop'));
  res.end('data: [DONE]\n\n');
}

describe('HTTP status faults', () => {
  it.each([
    [408, ServerError, 'server_error'],
    [409, ServerError, 'server_error'],
    [500, ServerError, 'server_error'],
    [502, ServerError, 'server_error'],
    [503, ServerError, 'server_error'],
    [504, ServerError, 'server_error'],
    [529, ProviderOverloadedError, 'overloaded'],
  ] as const)('%i is retried maxRetries (2) times, then thrown as its typed class', async (status, type, code) => {
    server.handle((_req, res) => sendJson(res, status, openaiError(`upstream said ${status}`, 'server_error')));
    const error = await failure(gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, status, provider: 'local', retryable: true });
    expect(server.requests).toHaveLength(3);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect((error as ModelmuxError & { attempts?: unknown[] }).attempts).toHaveLength(3);
  });

  it.each([
    [400, BadRequestError, 'bad_request'],
    [401, AuthenticationError, 'authentication_error'],
    [403, PermissionError, 'permission_error'],
    [404, NotFoundError, 'not_found'],
    [422, BadRequestError, 'bad_request'],
  ] as const)('%i is sent exactly once and thrown as its typed class', async (status, type, code) => {
    server.handle((_req, res) => sendJson(res, status, openaiError(`upstream said ${status}`, 'invalid_request_error')));
    const error = await failure(gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, status, provider: 'local', retryable: false });
    expect(server.requests).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('429 with retry-after as an HTTP date ~1.5 s ahead → one wait of about that long, then the answer', async () => {
    server.handle((_req, res, _body, index) => {
      if (index === 0) {
        const at = new Date(Date.now() + 1500).toUTCString();
        sendJson(res, 429, openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'), { 'retry-after': at });
      } else sendJson(res, 200, completion('after the date'));
    });
    const started = Date.now();
    const result = await gateway().chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('after the date');
    expect(result.provider).toBe('local');
    expect(server.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(RateLimitError);
    // an HTTP date has 1 s resolution: 1.5 s ahead is a wait in (0.5 s, 1.5 s]
    expect(retries[0]!.delayMs).toBeGreaterThan(400);
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(1600);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('429 without any hint → a short backoff retry, then the answer', async () => {
    server.handle((_req, res, _body, index) => {
      if (index === 0) sendJson(res, 429, openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'));
      else sendJson(res, 200, completion('after backoff'));
    });
    const result = await gateway({ retry: { initialDelayMs: 20, maxDelayMs: 40 } }).chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('after backoff');
    expect(server.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(RateLimitError);
    expect(retries[0]!.delayMs).toBeLessThanOrEqual(40);
  });

  it.each([
    ['OpenAI insufficient_quota 429', 429, openaiError('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota')],
    ['402 payment required', 402, openaiError('Payment required', 'billing_error')],
  ] as const)('%s → QuotaExceededError after exactly 1 request', async (_name, status, body) => {
    server.handle((_req, res) => sendJson(res, status, body));
    const error = await failure(gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ code: 'quota_exceeded', status, retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('200 with content-type text/plain → InvalidResponseError, retried as a malformed 2xx', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('all good, trust me');
    });
    const error = await failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create(params));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', provider: 'local' });
    expect(server.requests).toHaveLength(2);
  });

  it('a 302 to another origin → InvalidResponseError, and the other origin receives nothing', async () => {
    const target = await startLoopback();
    try {
      target.handle((_req, res) => sendJson(res, 200, completion('stolen')));
      server.handle((_req, res) => {
        res.writeHead(302, { location: `${target.baseURL}/chat/completions`, 'content-length': '0' });
        res.end();
      });
      const error = await failure(gateway({ retry: { maxRetries: 0 } }).chat.completions.create(params));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).toMatchObject({ code: 'invalid_response', provider: 'local' });
      expect(server.requests).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(target.requests).toHaveLength(0);
    } finally {
      await target.close();
    }
  });
});

describe('connection and timeout faults', () => {
  it('connection refused → ConnectionError, retried maxRetries times', async () => {
    const port = await closedPort();
    mux = createGateway({
      providers: { local: openaiCompatible({ name: 'local', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: CANARY }) },
      retry: fastRetry,
      hooks: hooks(),
    });
    const error = await failure(mux.chat.completions.create(params));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'connection_error', provider: 'local', retryable: true });
    expect(retries).toHaveLength(2);
    expect(retries.every((r) => r.error instanceof ConnectionError)).toBe(true);
  });

  it('a reset before the headers → ConnectionError, then the retry answers', async () => {
    server.handle((req, res, _body, index) => {
      if (index === 0) req.socket.destroy();
      else sendJson(res, 200, completion('second try'));
    });
    const result = await gateway().chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('second try');
    expect(result.provider).toBe('local');
    expect(server.requests).toHaveLength(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(ConnectionError);
  });

  it('headers then silence on a non-stream answer → TimeoutError(deadline) at timeoutMs, 1 request, socket closed', async () => {
    let closed = false;
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.flushHeaders();
      res.on('close', () => {
        closed = true;
      });
    });
    const started = Date.now();
    const error = await failure(gateway().chat.completions.create(params, { timeoutMs: 300 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'timeout', timeout: 'deadline' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
    await server.waitForNoSockets();
    expect(closed).toBe(true);
  });

  it('keep-alive comments only, forever → idle TimeoutError before the first chunk, and the server sees the socket closed', async () => {
    let closed = false;
    server.handle((_req, res) => {
      startSse(res);
      keepAliveForever(res, 20, 250);
      res.on('close', () => {
        closed = true;
      });
    });
    const error = await failure(
      gateway({ retry: { maxRetries: 0 } }).chat.completions.create({ ...params, stream: true }, { idleTimeoutMs: 200 }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'timeout', timeout: 'idle', retryable: true });
    expect(server.requests).toHaveLength(1);
    // before mux.close(): the gateway itself dropped the connection
    await server.waitForNoSockets(1000);
    expect(closed).toBe(true);
  });
});

describe('stream content faults', () => {
  it('malformed JSON in an SSE event before content → InvalidResponseError, retried', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.end('data: {"id":"chatcmpl-loop","choices":[{"delta":{"content":\n\n');
    });
    const error = await failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create({ ...params, stream: true }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', provider: 'local' });
    expect(server.requests).toHaveLength(2);
  });

  it('malformed JSON before content on the primary → retried, then the configured fallback answers the stream', async () => {
    server.handle((req, res) => {
      startSse(res);
      if (req.url?.startsWith('/primary/')) {
        res.end('data: {not json}\n\n');
        return;
      }
      res.write(sseChunk({ role: 'assistant', content: '' }));
      res.write(sseChunk({ content: 'from backup' }));
      endStream(res);
    });
    const stream = await fallbackGateway().chat.completions.create({ model: 'smart', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('from backup');
    expect(chunks.every((c) => c.provider === 'backup')).toBe(true);
    expect(server.requests.map((r) => r.url)).toEqual([
      '/primary/v1/chat/completions',
      '/primary/v1/chat/completions',
      '/backup/v1/chat/completions',
    ]);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(InvalidResponseError);
  });

  it('malformed JSON after content → StreamError with the delivered text and an InvalidResponseError cause, not retried', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'good ' }));
      res.write(sseChunk({ content: 'text' }));
      // a separate write, later: see the report (a fault in the same read as content drops that content)
      later(res, () => res.end('data: {"choices":[{"delta":{"content":"bro\n\n'));
    });
    const stream = await gateway().chat.completions.create({ ...params, stream: true });
    const error = await failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'stream_error', provider: 'local', partialContent: 'good text' });
    expect((error as StreamError).cause).toBeInstanceOf(InvalidResponseError);
    expect(server.requests).toHaveLength(1);
  });

  it('an OpenAI-style in-band error event after content → StreamError with the partial text and the typed cause', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'half an ' }));
      res.write(sseChunk({ content: 'answer' }));
      later(res, () => res.end(`data: ${JSON.stringify(openaiError('The server had an error while processing your request', 'server_error'))}\n\n`));
    });
    const stream = await gateway().chat.completions.create({ ...params, stream: true });
    const error = await failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'stream_error', partialContent: 'half an answer' });
    expect((error as StreamError).cause).toBeInstanceOf(ServerError);
    expect(server.requests).toHaveLength(1);
  });

  it('a stream with tool-call arguments that are not valid JSON delivers the raw argument text as-is', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(
        sseChunk({
          role: 'assistant',
          content: null,
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }],
        }),
      );
      res.write(sseChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city": "Par' } }] }));
      res.write(sseChunk({ tool_calls: [{ index: 0, function: { arguments: 'is", oops}}' } }] }));
      res.write(sseChunk({}, 'tool_calls'));
      res.end('data: [DONE]\n\n');
    });
    const stream = await gateway().chat.completions.create({ ...params, stream: true });
    let args = '';
    let name = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) {
        args += call.function?.arguments ?? '';
        name += call.function?.name ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe('lookup');
    expect(args).toBe('{"city": "Paris", oops}}');
    expect(finish).toBe('tool_calls');
    expect(server.requests).toHaveLength(1);
  });
});

describe('Anthropic stream faults', () => {
  it('an in-band overloaded error before content → retried, and the caller sees only the clean retry', async () => {
    server.handle((_req, res, _body, index) => {
      startSse(res);
      if (index === 0) {
        res.write(anthropicStart());
        res.write(anthropicEvent('ping', {}));
        res.end(anthropicEvent('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
        return;
      }
      res.end(anthropicStream(['Hello', ' again']));
    });
    const stream = await anthropicGateway().chat.completions.create({ model: 'anthropic/claude-loop', messages, stream: true, max_tokens: 50 });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello again');
    expect(chunks.every((c) => c.provider === 'anthropic')).toBe(true);
    expect(server.requests.map((r) => r.url)).toEqual(['/v1/messages', '/v1/messages']);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(ProviderOverloadedError);
  });

  it('a stream stalled after 3 deltas with keep-alive comments → StreamError with the text and an idle TimeoutError cause', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(anthropicStart());
      res.write(anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
      res.write(anthropicText('one '));
      res.write(anthropicText('two '));
      res.write(anthropicText('three'));
      keepAliveForever(res, 20, 250);
    });
    const stream = await anthropicGateway().chat.completions.create(
      { model: 'anthropic/claude-loop', messages, stream: true, max_tokens: 50 },
      { idleTimeoutMs: 200 },
    );
    const error = await failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'stream_error', provider: 'anthropic', partialContent: 'one two three' });
    expect((error as StreamError).cause).toBeInstanceOf(TimeoutError);
    expect(((error as StreamError).cause as TimeoutError).timeout).toBe('idle');
    expect(server.requests).toHaveLength(1);
    await server.waitForNoSockets(1000);
  });
});

describe('a provider echoing the API key', () => {
  it('401 whose error text contains the key → AuthenticationError without the key anywhere', async () => {
    server.handle((req, res) => {
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      sendJson(res, 401, openaiError(`Incorrect API key provided: ${key}. Bearer ${key}`, 'invalid_request_error', 'invalid_api_key'));
    });
    const error = await failure(gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect((error as Error).message).toContain('Incorrect API key provided');
    // the afterEach checks message, stack, JSON.stringify and util.inspect for the canary
  });

  it('an in-band SSE error after content whose text contains the key → StreamError without the key anywhere', async () => {
    server.handle((req, res) => {
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      startSse(res);
      res.write(sseChunk({ content: 'some text' }));
      later(res, () => res.end(`data: ${JSON.stringify(openaiError(`key ${key} was revoked mid-stream`, 'server_error'))}\n\n`));
    });
    const stream = await gateway().chat.completions.create({ ...params, stream: true });
    const error = await failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('some text');
    expect((error as StreamError).cause).toBeInstanceOf(ServerError);
    expect(((error as StreamError).cause as Error).message).toContain('was revoked mid-stream');
    seen.push((error as StreamError).cause);
  });

  it('Anthropic: an in-band error event before content echoing x-api-key, then 401 echoing it → no key anywhere', async () => {
    server.handle((req, res, _body, index) => {
      const key = String(req.headers['x-api-key'] ?? '');
      if (index === 0) {
        startSse(res);
        res.write(anthropicStart());
        res.end(anthropicEvent('error', { error: { type: 'overloaded_error', message: `Overloaded for key ${key}` } }));
        return;
      }
      sendJson(res, 401, { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${key}` } });
    });
    const error = await failure(
      anthropicGateway().chat.completions.create({ model: 'anthropic/claude-loop', messages, stream: true, max_tokens: 50 }),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.headers['x-api-key']).toBe(CANARY);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.error).toBeInstanceOf(ProviderOverloadedError);
  });
});
