/**
 * More fault scenarios in the OpenAI wire format (JSON and SSE) on the fault server: the statuses,
 * fallbacks, resets, content types, size limits, redirects and echoed keys that
 * scenarios.test.ts and stream-faults.test.ts do not cover. Every case also runs the harness's
 * after-case checks.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ConnectionError,
  type Gateway,
  InvalidResponseError,
  type ModelmuxError,
  openaiCompatible,
  RateLimitError,
  ServerError,
  StreamError,
} from '../../src/index.js';
import {
  CANARY,
  closedPort,
  DEFAULT_MAX_OUTPUT,
  keepAliveForever,
  later,
  nano,
  openaiError,
  pump,
  startFaultServer,
  useFaultHarness,
} from '../helpers/fault-server.js';
import { completion, sendJson, sseChunk, sseUsage, startSse } from '../helpers/loopback.js';

const h = useFaultHarness();

type Config = Parameters<typeof h.gateway>[0];

const messages = [{ role: 'user' as const, content: 'Hi' }];
const params = { model: 'local/m', messages };
const streamed = { ...params, stream: true as const };
/** A failed attempt that may have been billed books its worst case: the default output ceiling. */
const ESTIMATE = nano(DEFAULT_MAX_OUTPUT);
const oneRetry = { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 };

/** `primary` then `backup` (both on the fault server) behind the alias `smart`. */
function fallbackGateway(config: Config = {}): Gateway {
  return h.gateway({
    providers: { primary: h.openai('primary'), backup: h.openai('backup') },
    models: { smart: 'primary/m' },
    routing: { fallbacks: { smart: ['backup/m'] } },
    ...config,
  });
}

/** Answers `/backup/…` with a completion, everything else with `primary`. */
function primaryFails(primary: (res: ServerResponse, index: number) => void): void {
  h.server.handle((req, res, _body, index) => {
    if (req.url?.startsWith('/backup/')) sendJson(res, 200, completion('from backup'));
    else primary(res, index);
  });
}

async function collect(stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

describe('more statuses', () => {
  it('413 → BadRequestError, sent once', async () => {
    h.server.handle((_req, res) => sendJson(res, 413, openaiError('Request too large', 'invalid_request_error')));
    const error = await h.failure(h.gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ code: 'bad_request', status: 413, retryable: false });
    expect(h.server.requests).toHaveLength(1);
  });

  it.each([501, 505, 599])('%i → ServerError, retried maxRetries (2) times', async (status) => {
    h.server.handle((_req, res) => sendJson(res, status, openaiError(`upstream said ${status}`, 'server_error')));
    const error = await h.failure(h.gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ code: 'server_error', status, retryable: true });
    expect(h.server.requests).toHaveLength(3);
  });

  it('503 with x-should-retry: false → not retried', async () => {
    h.server.handle((_req, res) => sendJson(res, 503, openaiError('Unavailable', 'server_error'), { 'x-should-retry': 'false' }));
    const error = await h.failure(h.gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 503, retryable: false });
    expect(h.server.requests).toHaveLength(1);
  });

  it('502 with an HTML body → ServerError with a short plain excerpt, retried', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>');
    });
    const error = await h.failure(h.gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as Error).message).toContain('502 Bad Gateway');
    expect((error as Error).message).not.toContain('<');
    expect(h.server.requests).toHaveLength(3);
  });

  it('500 with a 2 MiB error body → ServerError (the body is read up to 64 KiB only), retried', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      pump(res, '{"error":{"message":"', 2 * 1024 * 1024, '"}}');
    });
    const error = await h.failure(h.gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 500 });
    expect((error as Error).message.length).toBeLessThan(1100);
    expect(h.server.requests).toHaveLength(3);
    await h.settle();
    expect(h.booked()).toEqual([]);
  });
});

describe('quota, auth and connection failures move to the next provider', () => {
  it.each([
    ['insufficient_quota 429', 429, openaiError('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota'), 'quota_exceeded'],
    ['401 invalid key', 401, openaiError('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key'), 'authentication_error'],
  ] as const)('%s on the primary → the backup answers; the primary got 1 request', async (_name, status, body, reason) => {
    primaryFails((res) => sendJson(res, status, body));
    const result = await fallbackGateway().chat.completions.create({ model: 'smart', messages });
    expect(result.choices[0]?.message.content).toBe('from backup');
    expect(result.provider).toBe('backup');
    expect(h.server.requests.map((r) => r.url)).toEqual(['/primary/v1/chat/completions', '/backup/v1/chat/completions']);
    expect(h.events('onAttempt').map((a) => a.provider)).toEqual(['primary', 'backup']);
    expect(h.events('onFallback')).toMatchObject([{ from: 'smart', to: 'backup/m', reason }]);
    expect(h.retries()).toEqual([]);
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(2)]]);
  });

  it('connection refused on the primary → retried, then the backup answers; nothing booked for the refused attempts', async () => {
    const port = await closedPort();
    const mux = h.gateway({
      providers: { primary: openaiCompatible({ name: 'primary', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: CANARY }), backup: h.openai('backup') },
      models: { smart: 'primary/m' },
      routing: { fallbacks: { smart: ['backup/m'] } },
      retry: oneRetry,
    });
    primaryFails(() => {
      throw new Error('the primary is not on the fault server');
    });
    const result = await mux.chat.completions.create({ model: 'smart', messages });
    expect(result.provider).toBe('backup');
    expect(h.server.requests.map((r) => r.url)).toEqual(['/backup/v1/chat/completions']);
    expect(h.events('onAttempt').map((a) => a.provider)).toEqual(['primary', 'primary', 'backup']);
    expect(h.retries()).toHaveLength(1);
    expect(h.retries()[0]!.error).toBeInstanceOf(ConnectionError);
    expect(h.events('onFallback')).toMatchObject([{ reason: 'connection_error' }]);
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(2)]]);
  });
});

describe('resets', () => {
  it('a reset in the middle of every non-stream body → ConnectionError after 3 requests; each attempt booked at its estimate', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"chatcmpl-loop","choices":[{"message":{"content":"');
      later(res, () => res.socket?.destroy(), 20);
    });
    const error = await h.failure(h.gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'connection_error', provider: 'local', retryable: true });
    expect((error as ModelmuxError).attempts).toHaveLength(3);
    expect(h.server.requests).toHaveLength(3);
    await h.settle();
    expect(h.booked()).toEqual([
      ['estimate', ESTIMATE],
      ['estimate', ESTIMATE],
      ['estimate', ESTIMATE],
    ]);
  });

  it('a reset after the role chunk, before any content → retried transparently; the caller sees one clean stream', async () => {
    h.server.handle((_req, res, _body, index) => {
      startSse(res);
      res.write(sseChunk({ role: 'assistant', content: '' }));
      if (index === 0) {
        later(res, () => res.socket?.destroy(), 20);
        return;
      }
      res.write(sseChunk({ content: 'clean' }));
      res.write(sseChunk({}, 'stop'));
      res.write(sseUsage(5, 4));
      res.end('data: [DONE]\n\n');
    });
    const stream = await h.gateway().chat.completions.create(streamed);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('clean');
    expect(chunks.filter((c) => c.choices[0]?.delta?.role === 'assistant')).toHaveLength(1);
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()[0]!.error).toBeInstanceOf(ConnectionError);
    await h.settle();
    expect(h.booked()).toEqual([
      ['estimate', ESTIMATE],
      ['actual', nano(4)],
    ]);
  });

  it('a reset mid-stream after content → StreamError with exactly the delivered text; booked once at the estimate', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'alpha ' }));
      res.write(sseChunk({ content: 'beta' }));
      later(res, () => res.socket?.destroy(), 30);
    });
    const stream = await h.gateway().chat.completions.create(streamed);
    const delivered: string[] = [];
    const error = await h.failure(
      (async () => {
        for await (const chunk of stream) delivered.push(chunk.choices[0]?.delta?.content ?? '');
      })(),
    );
    expect(delivered.join('')).toBe('alpha beta');
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ partialContent: 'alpha beta', retryable: false });
    expect((error as StreamError).cause).toBeInstanceOf(ConnectionError);
    expect(h.server.requests).toHaveLength(1);
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });
});

describe('stream endings and stream answers that are not streams', () => {
  it('a finish_reason and usage but no [DONE] before the end → a complete stream, booked at its actual cost', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'done' }));
      res.write(sseChunk({}, 'stop'));
      res.end(sseUsage(5, 6));
    });
    const text = await collect(await h.gateway().chat.completions.create(streamed));
    expect(text).toBe('done');
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(6)]]);
  });

  it('stream: true answered 200 with a JSON error body → its typed error, retried, then the stream', async () => {
    h.server.handle((_req, res, _body, index) => {
      if (index === 0) {
        sendJson(res, 200, openaiError('The server had an error processing your request', 'server_error'));
        return;
      }
      startSse(res);
      res.write(sseChunk({ content: 'second' }));
      res.write(sseChunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
    const text = await collect(await h.gateway().chat.completions.create(streamed));
    expect(text).toBe('second');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()[0]!.error).toBeInstanceOf(ServerError);
  });

  it('stream: true answered 200 with HTML → InvalidResponseError without the page, retried', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Cloudflare: checking your browser</body></html>');
    });
    const error = await h.failure(h.gateway({ retry: oneRetry }).chat.completions.create(streamed));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).not.toContain('Cloudflare');
    expect(h.server.requests).toHaveLength(2);
  });
});

describe('wrong content types and shapes on non-stream answers', () => {
  it('a non-stream request answered with text/event-stream → InvalidResponseError, retried', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'sse' }));
      res.end('data: [DONE]\n\n');
    });
    const error = await h.failure(h.gateway({ retry: oneRetry }).chat.completions.create(params));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toContain('text/event-stream');
    expect(h.server.requests).toHaveLength(2);
  });

  it.each([
    ['an empty JSON body', ''],
    ['truncated JSON', '{"id":"chatcmpl-loop","choices":[{"mess'],
    ['a JSON array', '[1,2,3]'],
  ])('200 with %s → InvalidResponseError, retried', async (_name, body) => {
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    const error = await h.failure(h.gateway({ retry: oneRetry }).chat.completions.create(params));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', provider: 'local' });
    expect(h.server.requests).toHaveLength(2);
  });
});

describe('size limits', () => {
  it('an SSE line over maxLineBytes → InvalidResponseError naming the line, retried, and each connection dropped', async () => {
    const closed: number[] = [];
    h.server.handle((_req, res, _body, index) => {
      startSse(res);
      res.write(sseChunk({ role: 'assistant', content: '' }));
      res.write(`data: ${'y'.repeat(4096)}`);
      keepAliveForever(res, 20, 250, 'y'.repeat(512));
      res.on('close', () => closed.push(index));
    });
    const error = await h.failure(h.gateway({ retry: oneRetry, limits: { maxLineBytes: 1024 } }).chat.completions.create(streamed));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/line/i);
    expect(h.server.requests).toHaveLength(2);
    await h.server.waitForNoSockets(1000);
    expect(closed.sort()).toEqual([0, 1]);
  });

  it('an SSE event over maxEventBytes (many short data lines) → InvalidResponseError naming the event', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      for (let i = 0; i < 64; i++) res.write(`data: ${'z'.repeat(100)}\n`);
      keepAliveForever(res);
    });
    const error = await h.failure(h.gateway({ retry: { maxRetries: 0 }, limits: { maxEventBytes: 2048 } }).chat.completions.create(streamed));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/event/i);
    await h.server.waitForNoSockets(1000);
  });

  it('a chunked non-stream body over maxBodyBytes → InvalidResponseError, the connection dropped before the server finished', async () => {
    let finished = false;
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      pump(res, '{"id":"', 32 * 1024 * 1024, '"}');
      res.on('finish', () => {
        finished = true;
      });
    });
    const error = await h.failure(h.gateway({ retry: { maxRetries: 0 }, limits: { maxBodyBytes: 64 * 1024 } }).chat.completions.create(params));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toContain(`exceeds ${64 * 1024} bytes`);
    await h.server.waitForNoSockets(1000);
    expect(finished).toBe(false);
  });
});

describe('tool calls', () => {
  it('non-stream tool-call arguments that are not valid JSON → delivered as-is', async () => {
    h.server.handle((_req, res) =>
      sendJson(res, 200, {
        ...completion(''),
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"city": "Par' } }],
            },
            finish_reason: 'tool_calls',
          },
        ],
      }),
    );
    const result = await h.gateway().chat.completions.create(params);
    expect(result.choices[0]?.finish_reason).toBe('tool_calls');
    expect(result.choices[0]?.message.tool_calls).toEqual([{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"city": "Par' } }]);
    expect(h.server.requests).toHaveLength(1);
  });
});

describe('redirects to another origin are never followed', () => {
  it.each([301, 303, 307, 308])('%i on a non-stream request → InvalidResponseError, not retried, the other origin receives nothing', async (status) => {
    const target = await startFaultServer({ maxRequests: 5, maxLifetimeMs: 10_000 });
    try {
      target.handle((_req, res) => sendJson(res, 200, completion('stolen')));
      h.server.handle((_req, res) => {
        res.writeHead(status, { location: `${target.baseURL}/chat/completions`, 'content-length': '0' });
        res.end();
      });
      const error = await h.failure(h.gateway().chat.completions.create(params));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).toMatchObject({ code: 'invalid_response', status, retryable: false, provider: 'local' });
      expect(h.server.requests).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(target.requests).toEqual([]);
      await h.settle();
      // a redirect is not an answer: nothing was processed, nothing is booked
      expect(h.booked()).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it('302 on a stream request, with a fallback → the redirect is refused and the fallback answers', async () => {
    const target = await startFaultServer({ maxRequests: 5, maxLifetimeMs: 10_000 });
    try {
      h.server.handle((req, res) => {
        if (req.url?.startsWith('/backup/')) {
          startSse(res);
          res.write(sseChunk({ content: 'safe' }));
          res.write(sseChunk({}, 'stop'));
          res.end('data: [DONE]\n\n');
          return;
        }
        res.writeHead(302, { location: `${target.baseURL}/chat/completions`, 'content-length': '0' });
        res.end();
      });
      const text = await collect(await fallbackGateway().chat.completions.create({ model: 'smart', messages, stream: true }));
      expect(text).toBe('safe');
      expect(h.server.requests.map((r) => r.url)).toEqual(['/primary/v1/chat/completions', '/backup/v1/chat/completions']);
      expect(target.requests).toEqual([]);
      expect(h.events('onFallback')).toMatchObject([{ reason: 'invalid_response' }]);
    } finally {
      await target.close();
    }
  });
});

describe('a provider echoing the API key', () => {
  /** The key as the server received it. */
  const keyOf = (authorization: string | undefined): string => String(authorization ?? '').replace(/^Bearer /, '');

  it('in a retried 429 (message, code, URL-encoded and Bearer forms) → redacted in the retry event, spans and the final error', async () => {
    h.server.handle((req, res) => {
      const key = keyOf(req.headers.authorization);
      sendJson(res, 429, {
        error: { message: `Rate limit for ${key} (${encodeURIComponent(key)}); Authorization: Bearer ${key}`, type: 'requests', param: key, code: key },
      });
    });
    const error = await h.failure(h.gateway().chat.completions.create(params));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(h.server.requests).toHaveLength(3);
    expect(h.retries()).toHaveLength(2);
    expect((error as Error).message).toContain('Rate limit for [REDACTED]');
    expect(h.spans().length).toBeGreaterThanOrEqual(4);
    // the after-case checks look for the key in every error, hook event and span
  });

  it('in the x-request-id header and the error code → redacted in the error fields themselves, not only when rendered', async () => {
    h.server.handle((req, res) => {
      const key = keyOf(req.headers.authorization);
      sendJson(res, 500, openaiError('internal', 'server_error', key), { 'x-request-id': `req-${key}` });
    });
    const error = (await h.failure(h.gateway({ retry: { maxRetries: 0 } }).chat.completions.create(params))) as ModelmuxError;
    expect(error).toBeInstanceOf(ServerError);
    expect(error.requestId).toBe('req-[REDACTED]');
    expect(error.providerCode).toBe('[REDACTED]');
  });

  it('in an HTML 502 page → redacted', async () => {
    h.server.handle((req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html><body>upstream rejected key ${keyOf(req.headers.authorization)}</body></html>`);
    });
    const error = await h.failure(h.gateway({ retry: { maxRetries: 0 } }).chat.completions.create(params));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as Error).message).toContain('upstream rejected key [REDACTED]');
  });

  it('in an in-band error before content → retried; the key in neither the retry event nor the final error', async () => {
    h.server.handle((req, res) => {
      startSse(res);
      res.write(sseChunk({ role: 'assistant', content: '' }));
      res.end(`data: ${JSON.stringify(openaiError(`server error for ${keyOf(req.headers.authorization)}`, 'server_error'))}\n\n`);
    });
    const error = await h.failure(h.gateway().chat.completions.create(streamed));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as Error).message).toContain('server error for [REDACTED]');
    expect(h.server.requests).toHaveLength(3);
    expect(h.retries()).toHaveLength(2);
  });
});

describe('the fault server itself', () => {
  it('records method, path, headers and body of every request; refuses past maxRequests; closes itself after maxLifetimeMs', async () => {
    const bounded = await startFaultServer({ maxRequests: 2, maxLifetimeMs: 400 });
    try {
      bounded.handle((_req, res) => sendJson(res, 200, completion('bounded')));
      const mux = h.gateway({
        providers: { local: openaiCompatible({ name: 'local', baseURL: bounded.baseURL, apiKey: CANARY }) },
        retry: { maxRetries: 0 },
      });
      await mux.chat.completions.create(params);
      await mux.chat.completions.create({ ...params, max_tokens: 7 });
      expect(bounded.requests.map((r) => [r.method, r.url, r.headers.authorization, JSON.parse(r.body).max_tokens])).toEqual([
        ['POST', '/v1/chat/completions', `Bearer ${CANARY}`, undefined],
        ['POST', '/v1/chat/completions', `Bearer ${CANARY}`, 7],
      ]);
      // the third request is recorded, then its socket destroyed
      expect(await h.failure(mux.chat.completions.create(params))).toBeInstanceOf(ConnectionError);
      expect(bounded.requests).toHaveLength(3);
      expect(bounded.refused).toBe(1);
      // past its lifetime nothing listens any more
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect(bounded.expired).toBe(true);
      const error = await h.failure(mux.chat.completions.create(params));
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toContain('ECONNREFUSED');
      expect(bounded.requests).toHaveLength(3);
    } finally {
      await bounded.close();
    }
  });
});
