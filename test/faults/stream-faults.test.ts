import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  createGateway,
  type Gateway,
  InvalidResponseError,
  openaiCompatible,
  StreamError,
  TimeoutError,
} from '../../src/index.js';
import { completion, type Loopback, sendJson, sseChunk, sseUsage, startLoopback, startSse } from '../helpers/loopback.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

let server: Loopback;
let mux: Gateway;

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
  await server.waitForNoSockets();
  expect(unhandled).toEqual([]);
  server.requests.length = 0;
});

function gateway(options: { idleTimeoutMs?: number; timeoutMs?: number } = {}): Gateway {
  mux = createGateway({
    providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL, apiKey: 'local-key-123456' }) },
    retry: { maxRetries: 0 },
    ...options,
  });
  return mux;
}

const messages = [{ role: 'user' as const, content: 'Hi' }];

async function collect(stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

describe('stream faults on a real loopback server', () => {
  it('a complete stream yields every chunk and, when asked, one usage chunk', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ role: 'assistant', content: '' }));
      res.write(sseChunk({ content: 'Hel' }));
      res.write(': keep-alive\n\n');
      res.write(sseChunk({ content: 'lo' }));
      res.write(sseChunk({}, 'stop'));
      res.write(sseUsage(5, 2));
      res.end('data: [DONE]\n\n');
    });
    const stream = await gateway().chat.completions.create({
      model: 'local/m',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    expect(chunks.filter((c) => c.usage).length).toBe(1);
    expect(JSON.parse(server.requests[0]!.body).stream_options).toEqual({ include_usage: true });
  });

  it('without include_usage the caller gets no usage chunk, but usage is still requested', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'ok' }));
      res.write(sseChunk({}, 'stop'));
      res.write(sseUsage(5, 1));
      res.end('data: [DONE]\n\n');
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(JSON.parse(server.requests[0]!.body).stream_options).toEqual({ include_usage: true });
  });

  it('a stream cut after 3 chunks is a StreamError with the delivered text and a connection_error cause', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'one ' }));
      res.write(sseChunk({ content: 'two ' }));
      res.write(sseChunk({ content: 'three' }));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    const error = await collect(stream).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamError);
    const streamError = error as StreamError;
    expect(streamError.partialContent).toBe('one two three');
    expect(streamError.cause).toBeInstanceOf(ConnectionError);
    expect(streamError.provider).toBe('local');
  });

  it('chunks that arrive in the same read as an in-band error are delivered before the StreamError', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'A' }));
      setTimeout(() => res.end(`${sseChunk({ content: 'B' })}data: {"error":{"message":"boom","type":"server_error"}}\n\n`), 50);
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    const delivered: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) delivered.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((e: unknown) => e);
    expect(delivered).toEqual(['A', 'B']);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('AB');
  });

  it('a stream that ends cleanly before any finish_reason is a StreamError, never a short answer', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'partial' }));
      res.end();
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('partial');
    expect((error as StreamError).cause).toBeInstanceOf(InvalidResponseError);
  });

  it('a stream that ends before its first chunk is a typed error from create(), retried like any other', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.end(sseChunk({ role: 'assistant', content: '' }));
    });
    await expect(gateway().chat.completions.create({ model: 'local/m', messages, stream: true })).rejects.toBeInstanceOf(
      InvalidResponseError,
    );
  });

  it('a stream stalled past idleTimeoutMs is a StreamError caused by an idle timeout, and the socket is closed', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'before the stall' }));
      // keep-alive comments do not count as activity
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 30);
      res.on('close', () => clearInterval(keepAlive));
    });
    const stream = await gateway({ idleTimeoutMs: 250 }).chat.completions.create({ model: 'local/m', messages, stream: true });
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('before the stall');
    expect((error as StreamError).cause).toBeInstanceOf(TimeoutError);
    expect(((error as StreamError).cause as TimeoutError).timeout).toBe('idle');
    await server.waitForNoSockets();
  });

  it('headers then silence before the first chunk is a retryable idle TimeoutError from create()', async () => {
    server.handle((_req, res) => startSse(res));
    const error = await gateway({ idleTimeoutMs: 200 })
      .chat.completions.create({ model: 'local/m', messages, stream: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeout).toBe('idle');
    expect((error as TimeoutError).retryable).toBe(true);
    await server.waitForNoSockets();
  });

  it('a 200 with an HTML body is an InvalidResponseError', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Bad gateway</body></html>');
    });
    const error = await gateway()
      .chat.completions.create({ model: 'local/m', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as InvalidResponseError).message).not.toContain('<html>');
  });

  it('stream: true answered with plain JSON is an InvalidResponseError', async () => {
    server.handle((_req, res) => sendJson(res, 200, completion('not a stream')));
    await expect(gateway().chat.completions.create({ model: 'local/m', messages, stream: true })).rejects.toBeInstanceOf(
      InvalidResponseError,
    );
  });

  it('a 60 MiB single SSE line is an InvalidResponseError and the connection is dropped', async () => {
    server.handle((_req, res) => {
      startSse(res);
      const piece = 'a'.repeat(64 * 1024);
      let sent = 0;
      const total = 60 * 1024 * 1024;
      res.write('data: ');
      const pump = (): void => {
        while (sent < total && !res.destroyed) {
          sent += piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end('\n\n');
      };
      pump();
    });
    const error = await gateway()
      .chat.completions.create({ model: 'local/m', messages, stream: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/line/i);
    await server.waitForNoSockets();
  });

  it('a non-stream body larger than maxBodyBytes is an InvalidResponseError', async () => {
    server.handle((_req, res) => sendJson(res, 200, completion('x'.repeat(5000))));
    mux = createGateway({
      providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL }) },
      retry: { maxRetries: 0 },
      limits: { maxBodyBytes: 1024 },
    });
    await expect(mux.chat.completions.create({ model: 'local/m', messages })).rejects.toBeInstanceOf(InvalidResponseError);
  });

  it('a reset after the headers of a non-streaming answer is a ConnectionError', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"chatcmpl-');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(gateway().chat.completions.create({ model: 'local/m', messages })).rejects.toBeInstanceOf(ConnectionError);
  });

  it("the caller's abort mid-stream throws AbortError from the iterator and closes the socket", async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'first' }));
    });
    const controller = new AbortController();
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta?.content).toBe('first');
    setTimeout(() => controller.abort(), 20);
    await expect(iterator.next()).rejects.toMatchObject({ code: 'aborted' });
    await server.waitForNoSockets();
  });

  it('breaking out of a stream frees the connection', async () => {
    server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'a' }));
      res.write(sseChunk({ content: 'b' }));
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta?.content).toBe('a');
      break;
    }
    await server.waitForNoSockets();
  });
});
