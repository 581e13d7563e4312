import { describe, expect, it } from 'vitest';
import { ConnectionError, type Gateway, InvalidResponseError, StreamError, TimeoutError } from '../../src/index.js';
import { DEFAULT_MAX_OUTPUT, nano, pump, useFaultHarness } from '../helpers/fault-server.js';
import { completion, sendJson, sseChunk, sseUsage, startSse } from '../helpers/loopback.js';

const h = useFaultHarness();
function gateway(options: { idleTimeoutMs?: number; timeoutMs?: number; limits?: { maxBodyBytes?: number } } = {}): Gateway {
  return h.gateway({ retry: { maxRetries: 0 }, ...options });
}

/** What a failed attempt that may have been billed books: the whole default output ceiling. */
const ESTIMATE = nano(DEFAULT_MAX_OUTPUT);

const messages = [{ role: 'user' as const, content: 'Hi' }];

async function collect(stream: AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

describe('stream faults on a real loopback server', () => {
  it('a complete stream yields every chunk and, when asked, one usage chunk', async () => {
    h.server.handle((_req, res) => {
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
    expect(JSON.parse(h.server.requests[0]!.body).stream_options).toEqual({ include_usage: true });
    await h.settle();
    expect(h.booked()).toEqual([['actual', nano(2)]]);
  });

  it('without include_usage the caller gets no usage chunk, but usage is still requested', async () => {
    h.server.handle((_req, res) => {
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
    expect(JSON.parse(h.server.requests[0]!.body).stream_options).toEqual({ include_usage: true });
  });

  it('a stream cut after 3 chunks is a StreamError with the delivered text and a connection_error cause', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'one ' }));
      res.write(sseChunk({ content: 'two ' }));
      res.write(sseChunk({ content: 'three' }));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    const error = await h.failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    const streamError = error as StreamError;
    expect(streamError.partialContent).toBe('one two three');
    expect(streamError.cause).toBeInstanceOf(ConnectionError);
    expect(streamError.provider).toBe('local');
    expect(h.server.requests).toHaveLength(1);
    // cut after the provider started answering: booked at the estimate, once
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });

  it('chunks that arrive in the same read as an in-band error are delivered before the StreamError', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'A' }));
      setTimeout(() => res.end(`${sseChunk({ content: 'B' })}data: {"error":{"message":"boom","type":"server_error"}}\n\n`), 50);
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    const delivered: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) delivered.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((e: unknown) => (h.see(e), e));
    expect(delivered).toEqual(['A', 'B']);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('AB');
  });

  it('a stream that ends cleanly before any finish_reason is a StreamError, never a short answer', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'partial' }));
      res.end();
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    const error = await h.failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('partial');
    expect((error as StreamError).cause).toBeInstanceOf(InvalidResponseError);
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });

  it('a stream that ends before its first chunk is a typed error from create(), retried like any other', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.end(sseChunk({ role: 'assistant', content: '' }));
    });
    const error = await h.failure(h.gateway({ retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create({ model: 'local/m', messages, stream: true }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(h.server.requests).toHaveLength(2);
    expect(h.retries()).toHaveLength(1);
  });

  it('a stream stalled past idleTimeoutMs is a StreamError caused by an idle timeout, and the socket is closed', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'before the stall' }));
      // keep-alive comments do not count as activity
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 30);
      res.on('close', () => clearInterval(keepAlive));
    });
    const stream = await gateway({ idleTimeoutMs: 250 }).chat.completions.create({ model: 'local/m', messages, stream: true });
    const error = await h.failure(collect(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('before the stall');
    expect((error as StreamError).cause).toBeInstanceOf(TimeoutError);
    expect(((error as StreamError).cause as TimeoutError).timeout).toBe('idle');
    await h.server.waitForNoSockets();
  });

  it('headers then silence before the first chunk is a retryable idle TimeoutError from create()', async () => {
    h.server.handle((_req, res) => startSse(res));
    const started = Date.now();
    const error = await h.failure(
      h.gateway({ idleTimeoutMs: 150, retry: { maxRetries: 1, initialDelayMs: 10, maxDelayMs: 20 } }).chat.completions.create({ model: 'local/m', messages, stream: true }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeout).toBe('idle');
    expect((error as TimeoutError).retryable).toBe(true);
    // retried once: two silent attempts of ~150 ms each
    expect(h.server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeLessThan(3000);
    await h.server.waitForNoSockets();
    // both attempts reached the provider: each booked at its estimate
    await h.settle();
    expect(h.booked()).toEqual([
      ['estimate', ESTIMATE],
      ['estimate', ESTIMATE],
    ]);
  });

  it('a 200 with an HTML body is an InvalidResponseError', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Bad gateway</body></html>');
    });
    const error = await h.failure(gateway().chat.completions.create({ model: 'local/m', messages }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as InvalidResponseError).message).not.toContain('<html>');
    expect((error as InvalidResponseError).message).not.toContain('Bad gateway');
  });

  it('stream: true answered with plain JSON is an InvalidResponseError', async () => {
    h.server.handle((_req, res) => sendJson(res, 200, completion('not a stream')));
    const error = await h.failure(gateway().chat.completions.create({ model: 'local/m', messages, stream: true }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200, provider: 'local' });
    expect((error as Error).message).toContain('text/event-stream');
  });

  it('a 60 MiB single SSE line is an InvalidResponseError and the connection is dropped', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      pump(res, 'data: ', 60 * 1024 * 1024, '\n\n');
    });
    const error = await h.failure(gateway().chat.completions.create({ model: 'local/m', messages, stream: true }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/line/i);
    await h.server.waitForNoSockets();
  });

  it('a non-stream body larger than maxBodyBytes is an InvalidResponseError', async () => {
    h.server.handle((_req, res) => sendJson(res, 200, completion('x'.repeat(5000))));
    const error = await h.failure(gateway({ limits: { maxBodyBytes: 1024 } }).chat.completions.create({ model: 'local/m', messages }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200 });
  });

  it('a reset after the headers of a non-streaming answer is a ConnectionError', async () => {
    h.server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"chatcmpl-');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await h.failure(gateway().chat.completions.create({ model: 'local/m', messages }));
    expect(error).toBeInstanceOf(ConnectionError);
    await h.settle();
    expect(h.booked()).toEqual([['estimate', ESTIMATE]]);
  });

  it("the caller's abort mid-stream throws AbortError from the iterator and closes the socket", async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'first' }));
    });
    const controller = new AbortController();
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true }, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta?.content).toBe('first');
    setTimeout(() => controller.abort(), 20);
    const error = await h.failure(iterator.next());
    expect(error).toMatchObject({ code: 'aborted' });
    await h.server.waitForNoSockets();
  });

  it('breaking out of a stream frees the connection', async () => {
    h.server.handle((_req, res) => {
      startSse(res);
      res.write(sseChunk({ content: 'a' }));
      res.write(sseChunk({ content: 'b' }));
    });
    const stream = await gateway().chat.completions.create({ model: 'local/m', messages, stream: true });
    for await (const chunk of stream) {
      expect(chunk.choices[0]?.delta?.content).toBe('a');
      break;
    }
    await h.server.waitForNoSockets();
  });
});
