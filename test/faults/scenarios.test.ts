import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  anthropic,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  type Gateway,
  InvalidResponseError,
  ModelmuxError,
  NotFoundError,
  openaiCompatible,
  PermissionError,
  ProviderOverloadedError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  StreamError,
  TimeoutError,
} from '../../src/index.js';
import {
  anthropicEvent,
  anthropicStart,
  anthropicStream,
  anthropicText,
  CANARY,
  closedPort,
  DEFAULT_MAX_OUTPUT,
  keepAliveForever,
  later,
  nano,
  openaiError,
  readToolCall,
  startFaultServer,
  useFaultHarness,
} from '../helpers/fault-server.js';
import { completion, sendJson, sseChunk, startSse } from '../helpers/loopback.js';

const h = useFaultHarness();

type Config = Parameters<typeof h.gateway>[0];

/** One OpenAI-compatible provider `local` on the fault server (the harness's default). */
function gateway(config: Config = {}): Gateway {
  return h.gateway(config);
}

/** `primary` and `backup`, both on the fault server under different paths; alias `smart` → primary, then backup. */
function fallbackGateway(config: Config = {}): Gateway {
  return h.gateway({
    providers: { primary: h.openai('primary'), backup: h.openai('backup') },
    models: { smart: 'primary/m' },
    routing: { fallbacks: { smart: ['backup/m'] } },
    retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 },
    ...config,
  });
}

function anthropicGateway(config: Config = {}): Gateway {
  return h.gateway({ providers: { anthropic: anthropic({ baseURL: h.server.origin, apiKey: CANARY }) }, ...config });
}

const messages = [{ role: 'user' as const, content: 'Hi' }];
const params = { model: 'local/m', messages };
/** What a failed attempt that may have been billed books: the whole default output ceiling. */
const ESTIMATE = nano(DEFAULT_MAX_OUTPUT);

async function collect(stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
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
    h.server.handle((_req, res) => sendJson(res, status, openaiError(`upstream said ${status}`, 'server_error')));
    const error = await h.failure(gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, status, provider: 'local', retryable: true });
    expect(h.server.requests).toHaveLength(3);
    expect(h.retries().map((r) => r.attempt)).toEqual([1, 2]);
    expect((error as ModelmuxError & { attempts?: unknown[] }).attempts).toHaveLength(3);
    // an error status cannot have been billed: all three reservations released
    await h.settle();
    expect(h.booked()).toEqual([]);
  });

  it.each([
    [400, BadRequestError, 'bad_request'],
    [401, AuthenticationError, 'authentication_error'],
    [403, PermissionError, 'permission_error'],
    [404, NotFoundError, 'not_found'],
    [422, BadRequestError, 'bad_request'],
  ] as const)('%i is sent exactly once and thrown as its typed class', async (status, type, code) => {
    h.server.handle((_req, res) => sendJson(res, status, openaiError(`upstream said ${status}`, 'invalid_request_error')));
    const error = await h.failure(gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, status, provider: 'local', retryable: false });
    expect(h.server.requests).toHaveLength(1);
    expect(h.retries()).toEqual([]);
    await h.settle();
    expect(h.booked()).toEqual([]);
  });

  it('429 with retry-after as an HTTP date ~1.5 s ahead → one wait of about that long, then the answer', async () => {
    h.server.handle((_req, res, _body, index) => {
      if (index === 0) {
        const at = new Date(Date.now() + 1500).toUTCString();
        sendJson(res, 429, openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'), { 'retry-after': at });
      } else sendJson(res, 200, completion('after the date'));
    });
    const started = Date.now();
    const result = await gateway().chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('after the date');
    expect(result.provider).toBe('local');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(RateLimitError);
    // an HTTP date has 1 s resolution: 1.5 s ahead is a wait in (0.5 s, 1.5 s]
    expect(h.retries()[0]!.delayMs).toBeGreaterThan(400);
    expect(h.retries()[0]!.delayMs).toBeLessThanOrEqual(1600);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(2)]]);
  });

  it('429 without any hint → a short backoff retry, then the answer', async () => {
    h.server.handle((_req, res, _body, index) => {
      if (index === 0) sendJson(res, 429, openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'));
      else sendJson(res, 200, completion('after backoff'));
    });
    const result = await gateway({ retry: { initialDelayMs: 20, maxDelayMs: 40 } }).chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('after backoff');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(RateLimitError);
    expect(h.retries()[0]!.delayMs).toBeLessThanOrEqual(40);
  });

  it.each([
    ['OpenAI insufficient_quota 429', 429, openaiError('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota')],
    ['402 payment required', 402, openaiError('Payment required', 'billing_error')],
  ] as const)('%s → QuotaExceededError after exactly 1 request', async (_name, status, body) => {
    h.server.handle((_req, res) => sendJson(res, status, body));
    const error = await h.failure(gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ code: 'quota_exceeded', status, retryable: false });
    expect(h.server.requests).toHaveLength(1);
  });

  it('200 with content-type text/plain → InvalidResponseError, retried as a malformed 2xx', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('all good, trust me');
    });
    const error = await h.failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create(params));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', provider: 'local' });
    expect(h.server.requests).toHaveLength(2);
  });

  it('a 302 to another origin → InvalidResponseError, and the other origin receives nothing', async () => {
    const target = await startFaultServer({ maxRequests: 5, maxLifetimeMs: 10_000 });
    try {
      target.handle((_req, res) => sendJson(res, 200, completion('stolen')));
      h.server.handle((_req, res) => {
        res.writeHead(302, { location: `${target.baseURL}/chat/completions`, 'content-length': '0' });
        res.end();
      });
      const error = await h.failure(gateway({ retry: { maxRetries: 0 } }).chat.completions.create(params));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).toMatchObject({ code: 'invalid_response', provider: 'local' });
      expect(h.server.requests).toHaveLength(1);
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
    const mux = gateway({ providers: { local: openaiCompatible({ name: 'local', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: CANARY }) } });
    const error = await h.failure(mux.chat.completions.create(params));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'connection_error', provider: 'local', retryable: true });
    expect((error as ModelmuxError).attempts).toHaveLength(3);
    expect(h.retries()).toHaveLength(2);
    expect(h.retries().every((r) => r.error instanceof ConnectionError)).toBe(true);
    // nothing reached a provider: every reservation released
    await h.settle();
    expect(h.booked()).toEqual([]);
  });

  it('a reset before the headers → ConnectionError, then the retry answers', async () => {
    h.server.handle((req, res, _body, index) => {
      if (index === 0) req.socket.destroy();
      else sendJson(res, 200, completion('second try'));
    });
    const result = await gateway().chat.completions.create(params);
    expect(result.choices[0]?.message.content).toBe('second try');
    expect(result.provider).toBe('local');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(ConnectionError);
    // the first request was sent before the reset: it may have been billed, so it is booked at its estimate
    await h.settle();
    expect(h.booked()).toEqual([
      ['estimate', ESTIMATE],
      ['actual', nano(2)],
    ]);
  });

  it('headers then silence on a non-stream answer → TimeoutError(deadline) at timeoutMs, 1 request, socket closed', async () => {
    let closed = false;
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.flushHeaders();
      res.on('close', () => {
        closed = true;
      });
    });
    const started = Date.now();
    const error = await h.failure(gateway().chat.completions.create(params, { timeoutMs: 300 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'timeout', timeout: 'deadline' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.server.requests).toHaveLength(1);
    await h.server.waitForNoSockets();
    expect(closed).toBe(true);
    // the provider accepted the request: booked at the estimate, once
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });

  it('keep-alive comments only, forever → idle TimeoutError before the first chunk, and the server sees the socket closed', async () => {
    let closed = false;
    h.server.handle((_req, res) => {
      startSse(res);
      keepAliveForever(res, 20, 250);
      res.on('close', () => {
        closed = true;
      });
    });
    const error = await h.failure(
      gateway({ retry: { maxRetries: 0 } }).chat.completions.create({ ...params, stream: true }, { idleTimeoutMs: 200 }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'timeout', timeout: 'idle', retryable: true });
    expect(h.server.requests).toHaveLength(1);
    // before mux.close(): the gateway itself dropped the connection
    await h.server.waitForNoSockets(1000);
    expect(closed).toBe(true);
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });
});

describe('stream content faults', () => {
  it('malformed JSON in an SSE event before content → InvalidResponseError, retried', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.end('data: {"id":"chatcmpl-loop","choices":[{"delta":{"content":\n\n');
    });
    const error = await h.failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create({ ...params, stream: true }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', provider: 'local' });
    expect(h.server.requests).toHaveLength(2);
  });

  it('malformed JSON before content on the primary → retried, then the configured fallback answers the stream', async () => {
    h.server.handle((req, res) => {
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
    expect(h.server.requests.map((r) => r.url)).toEqual([
      '/primary/v1/chat/completions',
      '/primary/v1/chat/completions',
      '/backup/v1/chat/completions',
    ]);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(InvalidResponseError);
  });

  it('malformed JSON after content → StreamError with the delivered text and an InvalidResponseError cause, not retried', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'good ' }));
      res.write(sseChunk({ content: 'text' }));
      // a separate write, later: see the report (a fault in the same read as content drops that content)
      later(res, () => res.end('data: {"choices":[{"delta":{"content":"bro\n\n'));
    });
    const stream = await gateway().chat.completions.create({ ...params, stream: true });
    const error = await h.failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'stream_error', provider: 'local', partialContent: 'good text' });
    expect((error as StreamError).cause).toBeInstanceOf(InvalidResponseError);
    expect(h.server.requests).toHaveLength(1);
  });

  it('an OpenAI-style in-band error event after content → StreamError with the partial text and the typed cause', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'half an ' }));
      res.write(sseChunk({ content: 'answer' }));
      later(res, () => res.end(`data: ${JSON.stringify(openaiError('The server had an error while processing your request', 'server_error'))}\n\n`));
    });
    const stream = await gateway().chat.completions.create({ ...params, stream: true });
    const error = await h.failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'stream_error', partialContent: 'half an answer' });
    expect((error as StreamError).cause).toBeInstanceOf(ServerError);
    expect(h.server.requests).toHaveLength(1);
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });

  it('a stream with tool-call arguments that are not valid JSON delivers the raw argument text as-is', async () => {
    h.server.handle((_req, res) => {
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
    expect(await readToolCall(stream)).toEqual({ name: 'lookup', args: '{"city": "Paris", oops}}', finish: 'tool_calls' });
    expect(h.server.requests).toHaveLength(1);
  });
});

describe('Anthropic stream faults', () => {
  it('an in-band overloaded error before content → retried, and the caller sees only the clean retry', async () => {
    h.server.handle((_req, res, _body, index) => {
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
    expect(h.server.requests.map((r) => r.url)).toEqual(['/v1/messages', '/v1/messages']);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(ProviderOverloadedError);
  });

  it('a stream stalled after 3 deltas with keep-alive comments → StreamError with the text and an idle TimeoutError cause', async () => {
    h.server.handle((_req, res) => {
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
    const error = await h.failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'stream_error', provider: 'anthropic', partialContent: 'one two three' });
    expect((error as StreamError).cause).toBeInstanceOf(TimeoutError);
    expect(((error as StreamError).cause as TimeoutError).timeout).toBe('idle');
    expect(h.server.requests).toHaveLength(1);
    await h.server.waitForNoSockets(1000);
  });
});

describe('a provider echoing the API key', () => {
  it('401 whose error text contains the key → AuthenticationError without the key anywhere', async () => {
    h.server.handle((req, res) => {
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      sendJson(res, 401, openaiError(`Incorrect API key provided: ${key}. Bearer ${key}`, 'invalid_request_error', 'invalid_api_key'));
    });
    const error = await h.failure(gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(h.server.requests).toHaveLength(1);
    expect(h.server.requests[0]!.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect((error as Error).message).toContain('Incorrect API key provided');
    // the afterEach checks message, stack, JSON.stringify and util.inspect for the canary
  });

  it('an in-band SSE error after content whose text contains the key → StreamError without the key anywhere', async () => {
    h.server.handle((req, res) => {
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      startSse(res);
      res.write(sseChunk({ content: 'some text' }));
      later(res, () => res.end(`data: ${JSON.stringify(openaiError(`key ${key} was revoked mid-stream`, 'server_error'))}\n\n`));
    });
    const stream = await gateway().chat.completions.create({ ...params, stream: true });
    const error = await h.failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('some text');
    expect((error as StreamError).cause).toBeInstanceOf(ServerError);
    expect(((error as StreamError).cause as Error).message).toContain('was revoked mid-stream');
    h.see((error as StreamError).cause);
  });

  it('Anthropic: an in-band error event before content echoing x-api-key, then 401 echoing it → no key anywhere', async () => {
    h.server.handle((req, res, _body, index) => {
      const key = String(req.headers['x-api-key'] ?? '');
      if (index === 0) {
        startSse(res);
        res.write(anthropicStart());
        res.end(anthropicEvent('error', { error: { type: 'overloaded_error', message: `Overloaded for key ${key}` } }));
        return;
      }
      sendJson(res, 401, { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${key}` } });
    });
    const error = await h.failure(
      anthropicGateway().chat.completions.create({ model: 'anthropic/claude-loop', messages, stream: true, max_tokens: 50 }),
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(h.server.requests).toHaveLength(2);
    expect(h.server.requests[0]!.headers['x-api-key']).toBe(CANARY);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(ProviderOverloadedError);
  });
});
