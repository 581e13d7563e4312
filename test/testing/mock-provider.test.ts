import { describe, expect, it } from 'vitest';
import {
  AbortError,
  BudgetExceededError,
  createGateway,
  type ChatCompletionChunk,
  ConnectionError,
  RateLimitError,
  ServerError,
  StreamError,
  TimeoutError,
  type GatewayConfig,
} from '../../src/index.js';
import { mockProvider, type MockProvider } from '../../src/testing.js';

const messages = [{ role: 'user' as const, content: 'What is modelmux?' }];

function gateway(providers: Record<string, MockProvider>, config: Omit<GatewayConfig, 'providers'> = {}) {
  return createGateway({ providers, retry: { initialDelayMs: 1, maxDelayMs: 5 }, ...config });
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const textOf = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');

describe('mockProvider through createGateway', () => {
  it('answers a scripted text, with usage estimated from the text, and records the request', async () => {
    const mock = mockProvider({ script: [{ text: 'modelmux is an in-process LLM gateway.' }] });
    const mux = gateway({ mock });
    const res = await mux.chat.completions.create({ model: 'mock/mock-large', messages }, { headers: { 'x-trace': 't1' } });
    expect(res.provider).toBe('mock');
    expect(res.model).toBe('mock-large');
    expect(res.choices[0]?.message.content).toBe('modelmux is an in-process LLM gateway.');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage.completion_tokens).toBe(Math.ceil('modelmux is an in-process LLM gateway.'.length / 4));
    expect(res.usage.prompt_tokens).toBeGreaterThan(4);
    expect(res.usage.total_tokens).toBe(res.usage.prompt_tokens + res.usage.completion_tokens);
    expect(mock.requests).toHaveLength(1);
    expect(mock.requests[0]).toMatchObject({ model: 'mock-large', stream: false, body: { model: 'mock-large', messages } });
    expect(mock.requests[0]?.headers['x-trace']).toBe('t1');
    expect(mock.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('echoes a short answer by default, takes given usage, and prices it with `pricing`', async () => {
    const mock = mockProvider({ default: { text: 'ok', usage: { prompt_tokens: 1000, completion_tokens: 500 } } });
    const mux = gateway({ mock }, { pricing: { 'mock/m': { input: 2, output: 10 } } });
    const res = await mux.chat.completions.create({ model: 'mock/m', messages });
    expect(res.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 });
    expect(res.usage.cost).toBeCloseTo((1000 * 2 + 500 * 10) / 1e6, 12);
    const echo = await gateway({ mock: mockProvider() }).chat.completions.create({ model: 'mock/m', messages });
    expect(echo.choices[0]?.message.content).toContain('What is modelmux?');
  });

  it('streams in realistic chunks: a role chunk, one word per chunk, a finish, then usage', async () => {
    const text = 'Streaming arrives one small piece at a time, like a real provider.';
    const mock = mockProvider({ default: { text } });
    const mux = gateway({ mock });
    const stream = await mux.chat.completions.create({ model: 'mock/m', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = await collect(stream);
    expect(textOf(chunks)).toBe(text);
    expect(chunks.filter((c) => c.choices[0]?.delta?.content).length).toBeGreaterThanOrEqual(10);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBe(Math.ceil(text.length / 4));
    // The gateway always asks the provider for usage.
    expect(mock.requests[0]?.body.stream_options).toEqual({ include_usage: true });
  });

  it('returns tool calls, and streams their arguments in fragments that reassemble', async () => {
    const toolCalls = [
      { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
      { name: 'get_time', arguments: '{"tz":"Europe/Paris"}', id: 'call_fixed' },
    ];
    const mock = mockProvider({ default: { toolCalls } });
    const mux = gateway({ mock });
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }];

    const res = await mux.chat.completions.create({ model: 'mock/m', messages, tools });
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.choices[0]?.message.content).toBeNull();
    expect(res.choices[0]?.message.tool_calls?.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['get_weather', { city: 'Paris', unit: 'celsius' }],
      ['get_time', { tz: 'Europe/Paris' }],
    ]);

    const chunks = await collect(await mux.chat.completions.create({ model: 'mock/m', messages, tools, stream: true }));
    const calls: Array<{ id?: string; name: string; args: string; fragments: number }> = [];
    for (const chunk of chunks) {
      for (const delta of chunk.choices[0]?.delta?.tool_calls ?? []) {
        const call = (calls[delta.index] ??= { name: '', args: '', fragments: 0 });
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name = delta.function.name;
        if (delta.function?.arguments) {
          call.args += delta.function.arguments;
          call.fragments++;
        }
      }
    }
    expect(calls.map((c) => [c.name, JSON.parse(c.args)])).toEqual([
      ['get_weather', { city: 'Paris', unit: 'celsius' }],
      ['get_time', { tz: 'Europe/Paris' }],
    ]);
    expect(calls[1]?.id).toBe('call_fixed');
    expect(calls.every((c) => c.fragments >= 2)).toBe(true);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('a 429 with retry-after is honoured and retried on the same deployment', async () => {
    const mock = mockProvider({ script: [{ status: 429, retryAfter: 1 }, { text: 'after the wait' }] });
    const retries: number[] = [];
    const mux = gateway({ mock }, { hooks: { onRetry: (e) => retries.push(e.delayMs) } });
    const started = Date.now();
    const res = await mux.chat.completions.create({ model: 'mock/m', messages });
    expect(res.choices[0]?.message.content).toBe('after the wait');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(retries).toEqual([1000]);
    expect(mock.requests).toHaveLength(2);
  });

  it('retry-after-ms and a custom error body reach the typed error', async () => {
    const mock = mockProvider({ default: { status: 429, retryAfterMs: 120_000, error: { message: 'Slow down', code: 'rate_limit_exceeded' } } });
    const error = await gateway({ mock }).chat.completions.create({ model: 'mock/m', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(120_000);
    expect((error as RateLimitError).message).toContain('Slow down');
    expect((error as RateLimitError).requestId).toMatch(/^req_mock_/);
  });

  it('a 503 moves to the equivalent deployment on a second mock provider', async () => {
    const east = mockProvider({ name: 'east', script: [{ status: 503 }] });
    const west = mockProvider({ name: 'west', default: { text: 'west here' } });
    const fallbacks: string[] = [];
    const mux = gateway({ east, west }, { models: { chat: ['east/large', 'west/small'] } });
    const res = await mux.chat.completions.create({ model: 'chat', messages });
    expect(res.provider).toBe('west');
    expect(res.choices[0]?.message.content).toBe('west here');
    expect([east.requests.length, west.requests.length]).toEqual([1, 1]);
    // And through routing.fallbacks, to a different model.
    east.enqueue([{ status: 503 }, { status: 503 }, { status: 503 }]);
    const fb = gateway({ east, west }, { routing: { fallbacks: { 'east/large': ['west/small'] } }, hooks: { onFallback: (e) => fallbacks.push(`${e.from}→${e.to}`) } });
    expect((await fb.chat.completions.create({ model: 'east/large', messages })).provider).toBe('west');
    expect(fallbacks).toEqual(['east/large→west/small']);
  });

  it('a stream cut mid-answer is a StreamError with the partial text', async () => {
    const mock = mockProvider({ default: { text: 'one two three four five six', cutAfterChunks: 3 } });
    const stream = await gateway({ mock }).chat.completions.create({ model: 'mock/m', messages, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('one two three');
    expect((error as StreamError).cause).toBeInstanceOf(ConnectionError);
    expect(seen.join('')).toBe('one two three');
  });

  it('a stream failing before its first token falls back: the caller sees one clean stream', async () => {
    const primary = mockProvider({ name: 'primary', default: { cutAfterChunks: 0 } });
    const backup = mockProvider({ name: 'backup', default: { text: 'clean answer' } });
    const mux = gateway({ primary, backup }, { routing: { fallbacks: { 'primary/m': ['backup/m'] } }, retry: { maxRetries: 0 } });
    const stream = await mux.chat.completions.create({ model: 'primary/m', messages, stream: true });
    expect(stream.provider).toBe('backup');
    expect(textOf(await collect(stream))).toBe('clean answer');
    expect(primary.requests).toHaveLength(1);
  });

  it('an in-band error event mid-stream is a StreamError; before the first token it is retried', async () => {
    const mock = mockProvider({
      script: [{ text: 'alpha beta gamma', inBandErrorAfterChunks: 2, error: { message: 'upstream died', code: 502 } }, { inBandErrorAfterChunks: 0 }, { text: 'fine' }],
    });
    const mux = gateway({ mock });
    const error = await collect(await mux.chat.completions.create({ model: 'mock/m', messages, stream: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('alpha beta');
    expect((error as StreamError).cause).toBeInstanceOf(ServerError);
    expect(((error as StreamError).cause as Error).message).toContain('upstream died');
    expect(textOf(await collect(await mux.chat.completions.create({ model: 'mock/m', messages, stream: true })))).toBe('fine');
    expect(mock.requests).toHaveLength(3);
  });

  it('a stall trips the idle timeout', async () => {
    const mock = mockProvider({ default: { text: 'a b c d', stallAfterChunks: 2 } });
    const stream = await gateway({ mock }, { idleTimeoutMs: 150 }).chat.completions.create({ model: 'mock/m', messages, stream: true });
    const started = Date.now();
    const error = await collect(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('a b');
    expect((error as StreamError).cause).toBeInstanceOf(TimeoutError);
    expect(((error as StreamError).cause as TimeoutError).timeout).toBe('idle');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('latency delays the answer; chunkDelayMs paces the stream; the deadline cuts a slow answer', async () => {
    const mock = mockProvider({ latencyMs: 120, chunkDelayMs: 20, default: { text: 'one two three four' } });
    const mux = gateway({ mock });
    let started = Date.now();
    await mux.chat.completions.create({ model: 'mock/m', messages });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    started = Date.now();
    await collect(await mux.chat.completions.create({ model: 'mock/m', messages, stream: true }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(110 + 4 * 20 - 10);

    mock.enqueue({ latencyMs: 5_000 });
    started = Date.now();
    const error = await mux.chat.completions.create({ model: 'mock/m', messages }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('the caller’s abort ends the latency wait and a running stream', async () => {
    const mock = mockProvider({ script: [{ latencyMs: 5_000 }, { text: 'a b c d e f g h', chunkDelayMs: 30 }] });
    const mux = gateway({ mock });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const error = await mux.chat.completions.create({ model: 'mock/m', messages }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(1_000);

    const second = new AbortController();
    const stream = await mux.chat.completions.create({ model: 'mock/m', messages, stream: true }, { signal: second.signal });
    const streamError = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) second.abort();
    })().catch((e: unknown) => e);
    expect(streamError).toBeInstanceOf(AbortError);
    expect(mock.requests).toHaveLength(2);
  });

  it('non-streaming faults: a cut body, an in-band error body, a stalled body', async () => {
    const mock = mockProvider({ script: [{ cutAfterChunks: 1 }, { text: 'recovered' }] });
    const res = await gateway({ mock }).chat.completions.create({ model: 'mock/m', messages });
    expect(res.choices[0]?.message.content).toBe('recovered');
    expect(mock.requests).toHaveLength(2);

    const inBand = mockProvider({ default: { inBandErrorAfterChunks: 0, error: { message: 'bad gateway', code: 502 } } });
    const error = await gateway({ inBand }, { retry: { maxRetries: 0 } }).chat.completions.create({ model: 'inBand/m', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);

    const stall = mockProvider({ default: { stallAfterChunks: 0 } });
    const timeout = await gateway({ stall }).chat.completions.create({ model: 'stall/m', messages }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(TimeoutError);
  });

  it('per-model scripts, function steps, enqueue, pending and reset', async () => {
    const mock = mockProvider({
      models: { a: [{ text: 'a1' }, { text: 'a2' }] },
      script: [{ text: 's1' }],
      default: (request) => ({ text: `default for ${request.model}` }),
    });
    const mux = gateway({ mock });
    const ask = async (model: string) => (await mux.chat.completions.create({ model: `mock/${model}`, messages })).choices[0]?.message.content;
    expect(mock.pending).toBe(3);
    expect(await ask('b')).toBe('s1');
    expect(await ask('a')).toBe('a1');
    expect(await ask('b')).toBe('default for b');
    expect(await ask('a')).toBe('a2');
    expect(await ask('a')).toBe('default for a');
    mock.enqueue({ text: 'queued for a' }, 'a');
    expect(await ask('a')).toBe('queued for a');
    expect(mock.requests.map((r) => r.model)).toEqual(['b', 'a', 'b', 'a', 'a', 'a']);
    mock.reset();
    expect(mock.requests).toHaveLength(0);
    expect(mock.pending).toBe(3);
    expect(await ask('a')).toBe('a1');
  });

  it('drives budgets: spend is settled from the mock usage, then the cap refuses the next request', async () => {
    const mock = mockProvider({ default: { text: 'ok', usage: { prompt_tokens: 1000, completion_tokens: 1000 } } });
    const mux = gateway(
      { mock },
      { pricing: { 'mock/m': { input: 1, output: 4 } }, budget: { limits: [{ scope: { team: 'demo' }, usd: 0.012, period: 'day' }] } },
    );
    const ask = () => mux.chat.completions.create({ model: 'mock/m', messages, max_tokens: 1000 }, { scope: { team: 'demo' } });
    await ask(); // $0.005
    await ask(); // $0.010
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(mock.requests).toHaveLength(2);
    const [status] = await mux.budget!.get({ team: 'demo' });
    expect(status?.spent).toBeCloseTo(0.01, 9);
  });
});
