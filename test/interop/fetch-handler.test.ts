/** The handler against a fake gateway: options from headers, request parsing, stream plumbing. */
import { describe, expect, it, vi } from 'vitest';
import type { ChatCompletions, Gateway, RequestOptions } from '../../src/index.js';
import { RateLimitError, ServerError, StreamError } from '../../src/index.js';
import { createFetchHandler } from '../../src/interop/index.js';

const URL_ = 'http://modelmux.local/v1/chat/completions';
const body = { model: 'fast', messages: [{ role: 'user', content: 'Hi' }] };

const answer = { id: 'c1', object: 'chat.completion', created: 1, model: 'm', provider: 'p', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
const chunk = (content: string) => ({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', provider: 'p', choices: [{ index: 0, delta: { content }, finish_reason: null }] });

function fake(create: (params: Record<string, unknown>, options: RequestOptions) => unknown): {
  gateway: Pick<Gateway, 'chat' | 'providers'>;
  calls: Array<{ params: Record<string, unknown>; options: RequestOptions }>;
} {
  const calls: Array<{ params: Record<string, unknown>; options: RequestOptions }> = [];
  const gateway = {
    providers: ['p'],
    chat: {
      completions: {
        create: vi.fn(async (params: Record<string, unknown>, options: RequestOptions = {}) => {
          calls.push({ params, options });
          return create(params, options);
        }),
      } as unknown as ChatCompletions,
    },
  };
  return { gateway, calls };
}

function post(headers: Record<string, string> = {}, payload: unknown = body, signal?: AbortSignal): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload), ...(signal ? { signal } : {}) };
}

describe('request options from x-modelmux-* headers', () => {
  it('scope, strategy, timeouts and the fallback list reach the gateway; authorization does not', async () => {
    const { gateway, calls } = fake(() => answer);
    const handler = createFetchHandler(gateway);
    const controller = new AbortController();
    const response = await handler(
      URL_,
      post(
        {
          authorization: 'Bearer sk-client-secret-should-not-travel',
          'x-modelmux-user': 'u_42',
          'x-modelmux-team': 'product',
          'x-modelmux-project': 'launch',
          'x-modelmux-key': 'ci',
          'x-modelmux-scope': '{"tenant":"acme","user":"ignored"}',
          'x-modelmux-strategy': 'cost',
          'x-modelmux-timeout-ms': '30000',
          'x-modelmux-idle-timeout-ms': '5000',
          'x-modelmux-connect-timeout-ms': '2000',
          'x-modelmux-models': 'openai/gpt-4o, groq/llama-3.3-70b-versatile ,',
        },
        body,
        controller.signal,
      ),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(answer);
    expect(response.headers.get('x-modelmux-provider')).toBe('p');
    expect(calls).toHaveLength(1);
    const { params, options } = calls[0]!;
    expect(params).toEqual({ ...body, models: ['openai/gpt-4o', 'groq/llama-3.3-70b-versatile'] });
    expect(options).toEqual({
      scope: { tenant: 'acme', user: 'u_42', team: 'product', project: 'launch', key: 'ci' },
      strategy: 'cost',
      timeoutMs: 30_000,
      idleTimeoutMs: 5_000,
      connectTimeoutMs: 2_000,
      signal: controller.signal,
    });
    expect(JSON.stringify(calls)).not.toContain('sk-client-secret');
  });

  it('no headers: no options but the signal; the body’s own models win over the header', async () => {
    const { gateway, calls } = fake(() => answer);
    const handler = createFetchHandler(gateway);
    await handler(URL_, post({}));
    expect(calls[0]!.options).toEqual({});
    await handler(URL_, post({ 'x-modelmux-models': 'a/b' }, { ...body, models: ['c/d'] }));
    expect(calls[1]!.params.models).toEqual(['c/d']);
  });

  it.each([
    ['x-modelmux-scope', 'not json'],
    ['x-modelmux-scope', '["a"]'],
    ['x-modelmux-scope', '{"tenant":42}'],
    ['x-modelmux-timeout-ms', '-5'],
    ['x-modelmux-idle-timeout-ms', '1.5'],
    ['x-modelmux-timeout-ms', 'soon'],
    ['x-modelmux-strategy', 'cheapest'],
    ['x-modelmux-user', ' '],
  ])('a malformed %s (%s) is a 400 naming the header, and nothing is called', async (header, value) => {
    const { gateway, calls } = fake(() => answer);
    const response = await createFetchHandler(gateway)(URL_, post({ [header]: value }));
    expect(response.status).toBe(400);
    const { error } = await response.json();
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe(header);
    expect(calls).toHaveLength(0);
  });

  it('a body that is not an object is a 400', async () => {
    const { gateway, calls } = fake(() => answer);
    const response = await createFetchHandler(gateway)(URL_, post({}, [1, 2]));
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('invalid_json');
    expect(calls).toHaveLength(0);
  });

  it('accepts a Request object, as a server framework passes it', async () => {
    const { gateway, calls } = fake(() => answer);
    const handler = createFetchHandler(gateway);
    const response = await handler(new Request('https://api.example.com/openai/v1/chat/completions', post({ 'x-modelmux-user': 'u_1' })));
    expect(response.status).toBe(200);
    expect(calls[0]!.options.scope).toEqual({ user: 'u_1' });
    expect(calls[0]!.options.signal).toBeInstanceOf(AbortSignal);
  });
});

describe('streams', () => {
  async function* chunks(parts: string[], failWith?: Error): AsyncGenerator<unknown> {
    for (const part of parts) yield chunk(part);
    if (failWith) throw failWith;
  }

  it('a failure after chunks is an in-band error event and the body closes without [DONE]', async () => {
    const failure = new StreamError('The stream from p failed after content was delivered: reset', { provider: 'p', partialContent: 'ab', cause: new Error('secret sk-abcdefghijklmnopqrstuvwxyz') });
    const { gateway } = fake(() => chunks(['a', 'b'], failure));
    const response = await createFetchHandler(gateway)(URL_, post({}, { ...body, stream: true }));
    expect(response.status).toBe(200);
    const text = await response.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events).toHaveLength(3);
    expect(JSON.parse(events[2]!.slice(6))).toEqual({ error: { message: failure.message, type: 'server_error', param: null, code: 'stream_error' } });
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('sk-abcdef');
  });

  it('a generic (non-modelmux) failure mid-stream is an internal_error event, redacted', async () => {
    const { gateway } = fake(() => chunks(['a'], new TypeError('bad thing with sk-abcdefghijklmnopqrstuvwxyz')));
    const text = await (await createFetchHandler(gateway)(URL_, post({}, { ...body, stream: true }))).text();
    const last = JSON.parse(text.trim().split('\n\n').at(-1)!.slice(6));
    expect(last.error.code).toBe('internal_error');
    expect(last.error.message).not.toContain('sk-abcdef');
  });

  it('an error before the stream starts is the error JSON with its status', async () => {
    const { gateway } = fake(() => {
      throw new RateLimitError('slow down', { retryAfterMs: 1500 });
    });
    const response = await createFetchHandler(gateway)(URL_, post({}, { ...body, stream: true }));
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.headers.get('retry-after-ms')).toBe('1500');
  });

  it('chunks are read only as the body is read (backpressure), and cancel() aborts the source', async () => {
    let produced = 0;
    const abort = vi.fn();
    const source = {
      abort,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          produced++;
          yield chunk(`#${produced}`);
        }
      },
    };
    const { gateway } = fake(() => source);
    const response = await createFetchHandler(gateway)(URL_, post({}, { ...body, stream: true }));
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(produced).toBeLessThanOrEqual(3);
    await reader.cancel();
    expect(abort).toHaveBeenCalledTimes(1);
  });

  it('the request signal aborting during a pending read aborts the source and errors the body', async () => {
    const controller = new AbortController();
    const abort = vi.fn();
    const source = {
      abort,
      async *[Symbol.asyncIterator]() {
        yield chunk('first');
        await new Promise(() => {}); // a provider that went silent
      },
    };
    const { gateway, calls } = fake(() => source);
    const response = await createFetchHandler(gateway)(URL_, post({}, { ...body, stream: true }, controller.signal));
    expect(calls[0]!.options.signal).toBe(controller.signal);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"first"');
    const pending = reader.read();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(abort).toHaveBeenCalledTimes(1);
  });
});

describe('models and routes', () => {
  it('listModels errors are OpenAI error JSON', async () => {
    const { gateway } = fake(() => answer);
    const handler = createFetchHandler(gateway, {
      listModels: async () => {
        throw new ServerError('catalog unavailable');
      },
    });
    const response = await handler('http://modelmux.local/v1/models');
    expect(response.status).toBe(500);
    expect((await response.json()).error.code).toBe('server_error');
  });

  it('ids with slashes are found encoded or not', async () => {
    const { gateway } = fake(() => answer);
    const handler = createFetchHandler(gateway, { listModels: () => [{ id: 'openai/gpt-4o', created: 5 }] });
    for (const path of ['/v1/models/openai%2Fgpt-4o', '/v1/models/openai/gpt-4o']) {
      const response = await handler(`http://modelmux.local${path}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: 'openai/gpt-4o', object: 'model', created: 5, owned_by: 'modelmux' });
    }
  });

  it.each([
    ['GET', '/v1/completions'],
    ['POST', '/v1/embeddings'],
    ['DELETE', '/v1/models'],
    ['PUT', '/v1/chat/completions'],
  ])('%s %s → 404', async (method, path) => {
    const { gateway, calls } = fake(() => answer);
    const response = await createFetchHandler(gateway)(`http://modelmux.local${path}`, { method, ...(method === 'GET' ? {} : { body: '{}' }) });
    expect(response.status).toBe(404);
    const { error } = await response.json();
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'unknown_url' });
    expect(calls).toHaveLength(0);
  });
});
