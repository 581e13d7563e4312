/**
 * Faults in the Anthropic wire format (Messages JSON and SSE, `x-api-key`), on the fault server.
 * Every case also runs the harness's after-case checks (sockets, timers, rejections, canary in
 * errors, hook events and spans, budget reservations settled exactly once).
 */
import { describe, expect, it } from 'vitest';
import {
  anthropic,
  AuthenticationError,
  BadRequestError,
  type Gateway,
  InvalidResponseError,
  type ModelmuxError,
  NotFoundError,
  PermissionError,
  ProviderOverloadedError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  StreamError,
  TimeoutError,
} from '../../src/index.js';
import {
  anthropicEnd,
  anthropicError,
  anthropicEvent,
  anthropicMessage,
  anthropicStart,
  anthropicStream,
  anthropicText,
  anthropicTextStart,
  CANARY,
  keepAliveForever,
  later,
  nano,
  readToolCall,
  startFaultServer,
  useFaultHarness,
} from '../helpers/fault-server.js';
import { completion, sendJson, startSse } from '../helpers/loopback.js';

const h = useFaultHarness();

type Config = Parameters<typeof h.gateway>[0];

const messages = [{ role: 'user' as const, content: 'Hi' }];
const MAX_TOKENS = 50;
const request = { model: 'anthropic/claude-loop', messages, max_tokens: MAX_TOKENS };
const streamed = { ...request, stream: true as const };
/** A failed attempt that may have been billed books its worst case: max_tokens output tokens. */
const ESTIMATE = nano(MAX_TOKENS);

function gateway(config: Config = {}): Gateway {
  return h.gateway({ providers: { anthropic: anthropic({ baseURL: h.server.origin, apiKey: CANARY }) }, ...config });
}

/** Anthropic first (`claude`), then an OpenAI-compatible `backup`, behind the alias `smart`. */
function fallbackGateway(config: Config = {}): Gateway {
  return h.gateway({
    providers: { claude: anthropic({ baseURL: `${h.server.origin}/claude`, apiKey: CANARY }), backup: h.openai('backup') },
    models: { smart: 'claude/claude-loop' },
    routing: { fallbacks: { smart: ['backup/m'] } },
    ...config,
  });
}

async function collect(stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

describe('Anthropic error statuses (JSON)', () => {
  it.each([
    [429, 'rate_limit_error', RateLimitError, 'rate_limit'],
    [500, 'api_error', ServerError, 'server_error'],
    [502, 'api_error', ServerError, 'server_error'],
    [503, 'api_error', ServerError, 'server_error'],
    [504, 'timeout_error', ServerError, 'server_error'],
    [529, 'overloaded_error', ProviderOverloadedError, 'overloaded'],
  ] as const)('%i %s → retried maxRetries (2) times, then thrown as its typed class', async (status, type, errorClass, code) => {
    h.server.handle((_req, res) => sendJson(res, status, anthropicError(type, `upstream said ${status}`)));
    const error = await h.failure(gateway().chat.completions.create(request));
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ code, status, provider: 'anthropic', retryable: true, providerCode: type, requestId: 'req_loop' });
    expect(h.server.requests).toHaveLength(3);
    expect(h.server.requests.every((r) => r.method === 'POST' && r.url === '/v1/messages' && r.headers['x-api-key'] === CANARY)).toBe(true);
    expect(h.retries().map((r) => r.attempt)).toEqual([1, 2]);
    await h.settle();
    expect(h.booked()).toEqual([]);
  });

  it.each([
    [400, 'invalid_request_error', BadRequestError, 'bad_request'],
    [401, 'authentication_error', AuthenticationError, 'authentication_error'],
    [403, 'permission_error', PermissionError, 'permission_error'],
    [404, 'not_found_error', NotFoundError, 'not_found'],
    [413, 'request_too_large', BadRequestError, 'bad_request'],
  ] as const)('%i %s → sent exactly once and thrown as its typed class', async (status, type, errorClass, code) => {
    h.server.handle((_req, res) => sendJson(res, status, anthropicError(type, `upstream said ${status}`)));
    const error = await h.failure(gateway().chat.completions.create(request));
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ code, status, provider: 'anthropic', retryable: false });
    expect(h.server.requests).toHaveLength(1);
    expect(h.retries()).toEqual([]);
    await h.settle();
    expect(h.booked()).toEqual([]);
  });
});

describe('Anthropic quota errors', () => {
  it.each([
    [
      'a spend-limit 429 (details.error_code enforced_spend_limit_reached, no retry-after)',
      429,
      anthropicError('rate_limit_error', 'You have reached your specified workspace API usage limits.', { details: { error_code: 'enforced_spend_limit_reached' } }),
    ],
    ['a billing_error', 400, anthropicError('billing_error', 'Your account has a billing issue.')],
    [
      'a 400 "credit balance is too low"',
      400,
      anthropicError('invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.'),
    ],
  ] as const)('%s → QuotaExceededError after exactly 1 request, not retried', async (_name, status, body) => {
    h.server.handle((_req, res) => sendJson(res, status, body));
    const error = await h.failure(gateway().chat.completions.create(request));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ code: 'quota_exceeded', status, retryable: false, provider: 'anthropic' });
    expect(h.server.requests).toHaveLength(1);
    expect(h.retries()).toEqual([]);
  });

  it('a quota error falls back to the next provider, which answers', async () => {
    h.server.handle((req, res) => {
      if (req.url === '/claude/v1/messages') {
        sendJson(res, 429, anthropicError('rate_limit_error', 'Workspace spend limit reached.', { details: { error_code: 'enforced_spend_limit_reached' } }));
      } else sendJson(res, 200, completion('from backup'));
    });
    const result = await fallbackGateway().chat.completions.create({ model: 'smart', messages, max_tokens: MAX_TOKENS });
    expect(result.choices[0]?.message.content).toBe('from backup');
    expect(result.provider).toBe('backup');
    expect(h.server.requests.map((r) => r.url)).toEqual(['/claude/v1/messages', '/backup/v1/chat/completions']);
    expect(h.events('onFallback')).toMatchObject([{ from: 'smart', to: 'backup/m', reason: 'quota_exceeded' }]);
    expect(h.events('onAttempt').map((a) => a.provider)).toEqual(['claude', 'backup']);
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(2)]]);
  });
});

describe('Anthropic stream faults', () => {
  it('a complete stream → the text, booked once at its actual cost', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.end(anthropicStream(['Hello', ' world']));
    });
    const text = await collect(await gateway().chat.completions.create(streamed));
    expect(text).toBe('Hello world');
    expect(JSON.parse(h.server.requests[0]!.body)).toMatchObject({ model: 'claude-loop', stream: true, max_tokens: MAX_TOKENS });
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(3)]]);
  });

  it('ping events only, forever → an idle TimeoutError on each attempt (pings are not progress), retried once', async () => {
    const closed: number[] = [];
    h.server.handle((_req, res, _body, index) => {
      startSse(res);
      res.write(anthropicStart());
      keepAliveForever(res, 20, 250, anthropicEvent('ping', {}));
      res.on('close', () => closed.push(index));
    });
    const started = Date.now();
    const error = await h.failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create(streamed, { idleTimeoutMs: 150 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: 'timeout', timeout: 'idle', retryable: true, provider: 'anthropic' });
    expect(h.server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeLessThan(3000);
    // the gateway dropped both connections itself (the server's pings would have gone on for 5 s)
    await h.server.waitForNoSockets(1000);
    expect(closed.sort()).toEqual([0, 1]);
    await h.settle();
    expect(h.booked()).toEqual([
      ['estimate', ESTIMATE],
      ['estimate', ESTIMATE],
    ]);
  });

  it('a stream that stalls after 3 deltas (pings only) → StreamError with the text and an idle cause; booked at the estimate', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(anthropicStart());
      res.write(anthropicTextStart());
      for (const part of ['one ', 'two ', 'three']) res.write(anthropicText(part));
      keepAliveForever(res, 20, 250, anthropicEvent('ping', {}));
    });
    const stream = await gateway().chat.completions.create(streamed, { idleTimeoutMs: 150 });
    const error = await h.failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'stream_error', provider: 'anthropic', partialContent: 'one two three', retryable: false });
    expect(((error as StreamError).cause as TimeoutError).timeout).toBe('idle');
    expect(h.server.requests).toHaveLength(1);
    await h.server.waitForNoSockets(1000);
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });

  it('malformed JSON in one event before content → InvalidResponseError (no payload in the message), retried', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(anthropicStart());
      res.end(`event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":"sec\n\n`);
    });
    const error = await h.failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create(streamed));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', provider: 'anthropic' });
    expect((error as Error).message).toMatch(/not valid JSON \(\d+ characters/);
    expect((error as Error).message).not.toContain('content_block_start');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()[0]!.error).toBeInstanceOf(InvalidResponseError);
  });

  it('malformed JSON in one event after content → StreamError with the text, cause InvalidResponseError, not retried', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(anthropicStart());
      res.write(anthropicTextStart());
      res.write(anthropicText('kept '));
      later(res, () => res.end('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{\n\n'));
    });
    const error = await h.failure(collect(await gateway().chat.completions.create(streamed)));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ partialContent: 'kept ' });
    expect((error as StreamError).cause).toBeInstanceOf(InvalidResponseError);
    expect(h.server.requests).toHaveLength(1);
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });

  it('no terminator: content, then the connection ends without message_stop → StreamError with the text', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(anthropicStart());
      res.write(anthropicTextStart());
      res.write(anthropicText('cut '));
      later(res, () => res.end(anthropicText('short')));
    });
    const error = await h.failure(collect(await gateway().chat.completions.create(streamed)));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ partialContent: 'cut short', provider: 'anthropic' });
    expect((error as StreamError).cause).toBeInstanceOf(InvalidResponseError);
    expect(((error as StreamError).cause as Error).message).toContain('terminal signal');
    expect(h.server.requests).toHaveLength(1);
  });

  it('no terminator before any content (message_start, then the end) → InvalidResponseError, retried', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.end(anthropicStart());
    });
    const error = await h.failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create(streamed));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(h.server.requests).toHaveLength(2);
  });

  it('an in-band overloaded error after content → StreamError with the text and a ProviderOverloadedError cause, not retried', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(anthropicStart());
      res.write(anthropicTextStart());
      res.write(anthropicText('half '));
      later(res, () => res.end(anthropicEvent('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })));
    });
    const error = await h.failure(collect(await gateway().chat.completions.create(streamed)));
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ code: 'stream_error', partialContent: 'half ', retryable: false });
    expect((error as StreamError).cause).toBeInstanceOf(ProviderOverloadedError);
    expect(h.server.requests).toHaveLength(1);
    expect(h.retries()).toEqual([]);
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });

  it('stream: true answered with a plain JSON message → InvalidResponseError, retried, never a silent empty stream', async () => {
    h.server.handle((_req, res) => sendJson(res, 200, anthropicMessage('not a stream')));
    const error = await h.failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create(streamed));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200, provider: 'anthropic' });
    expect(h.server.requests).toHaveLength(2);
  });

  it('stream: true answered 200 with a JSON error body → its typed error (overloaded), retried', async () => {
    h.server.handle((_req, res, _body, index) => {
      if (index === 0) sendJson(res, 200, anthropicError('overloaded_error', 'Overloaded'));
      else {
        startSse(res);
        res.end(anthropicStream(['recovered']));
      }
    });
    const text = await collect(await gateway().chat.completions.create(streamed));
    expect(text).toBe('recovered');
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()[0]!.error).toBeInstanceOf(ProviderOverloadedError);
  });

  it('a stream answered with content-type text/plain → InvalidResponseError, retried', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(anthropicStream(['looks like SSE']));
    });
    const error = await h.failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create(streamed));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toContain('text/plain');
    expect(h.server.requests).toHaveLength(2);
  });

  it('an event larger than maxEventBytes → InvalidResponseError and the connection dropped', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(anthropicStart());
      res.write(anthropicTextStart());
      res.write(anthropicText('x'.repeat(8 * 1024)));
      keepAliveForever(res, 20, 250, anthropicEvent('ping', {}));
    });
    const error = await h.failure(gateway({ retry: { maxRetries: 0 }, limits: { maxEventBytes: 4096, maxLineBytes: 4096 } }).chat.completions.create(streamed));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(h.server.requests).toHaveLength(1);
    await h.server.waitForNoSockets(1000);
  });

  it('tool-call arguments that are not valid JSON (input_json_delta) → delivered as-is, the stream completes', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.end(
        [
          anthropicStart(),
          anthropicEvent('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} } }),
          anthropicEvent('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"city": "Par' } }),
          anthropicEvent('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: 'is", oops}}' } }),
          anthropicEnd(7, 'tool_use'),
        ].join(''),
      );
    });
    const stream = await gateway().chat.completions.create({ ...streamed, tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] });
    expect(await readToolCall(stream)).toEqual({ name: 'lookup', args: '{"city": "Paris", oops}}', finish: 'tool_calls' });
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(7)]]);
  });
});

describe('Anthropic non-stream answers that are not what was promised', () => {
  it('200 with an HTML page → InvalidResponseError without the page, retried', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><body><h1>Welcome to nginx</h1></body></html>');
    });
    const error = await h.failure(gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create(request));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200 });
    expect((error as Error).message).not.toContain('nginx');
    expect(h.server.requests).toHaveLength(2);
    await h.settle();
    // a 2xx may have been billed
    expect(h.booked()).toEqual([
      ['estimate', ESTIMATE],
      ['estimate', ESTIMATE],
    ]);
  });

  it('a 307 to another origin → InvalidResponseError, not followed (x-api-key stays home), not retried', async () => {
    const target = await startFaultServer({ maxRequests: 5, maxLifetimeMs: 10_000 });
    try {
      target.handle((_req, res) => sendJson(res, 200, anthropicMessage('stolen')));
      h.server.handle((_req, res) => {
        res.writeHead(307, { location: `${target.origin}/v1/messages`, 'content-length': '0' });
        res.end();
      });
      const error = await h.failure(gateway().chat.completions.create(request));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).toMatchObject({ code: 'invalid_response', status: 307, retryable: false });
      expect(h.server.requests).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(target.requests).toEqual([]);
      await h.settle();
      expect(h.booked()).toEqual([]);
    } finally {
      await target.close();
    }
  });
});

describe('Anthropic echoing the API key', () => {
  it('529 whose message holds the key, then an answer → no key in the retry event, the spans or any error', async () => {
    h.server.handle((req, res, _body, index) => {
      const key = String(req.headers['x-api-key']);
      if (index === 0) sendJson(res, 529, anthropicError('overloaded_error', `Overloaded (key ${key}, ${encodeURIComponent(key)})`));
      else sendJson(res, 200, anthropicMessage('fine'));
    });
    const result = await gateway().chat.completions.create(request);
    expect(result.choices[0]?.message.content).toBe('fine');
    expect(h.retries()).toHaveLength(1);
    const retried = h.retries()[0]!.error as ModelmuxError;
    expect(retried.message).toContain('Overloaded (key [REDACTED]');
    const exception = h.spans().flatMap((span) => span.events).find((event) => event.name === 'exception');
    expect(String(exception?.attributes?.['exception.message'])).toContain('[REDACTED]');
  });

  it('a key echoed in error.type, the request-id header and a stream error event → redacted everywhere', async () => {
    h.server.handle((req, res, _body, index) => {
      const key = String(req.headers['x-api-key']);
      if (index === 0) {
        sendJson(res, 500, { type: 'error', error: { type: key, message: `bad key ${key}` } }, { 'request-id': key });
        return;
      }
      startSse(res);
      res.write(anthropicStart());
      res.write(anthropicTextStart());
      res.write(anthropicText('partial'));
      later(res, () => res.end(anthropicEvent('error', { error: { type: 'api_error', message: `internal error for ${key}` } })));
    });
    const error = await h.failure(collect(await gateway().chat.completions.create(streamed)));
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('partial');
    expect(h.retries()).toHaveLength(1);
    expect((h.retries()[0]!.error as ModelmuxError).providerCode).toBe('[REDACTED]');
    h.see(h.retries()[0]!.error, (error as StreamError).cause);
  });
});
