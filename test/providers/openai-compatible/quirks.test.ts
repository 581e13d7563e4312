/** Preset-specific request rules, configuration, and edge cases of response, stream and error mapping. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AuthenticationError,
  InvalidResponseError,
  ModelmuxError,
  ServerError,
  ValidationError,
} from '../../../src/errors/index.js';
import type { ProviderAdapter } from '../../../src/providers/adapter.js';
import {
  azure,
  deepseek,
  ENV_PRESETS,
  groq,
  mistral,
  ollama,
  openai,
  openaiCompatible,
  openrouter,
} from '../../../src/providers/openai-compatible/index.js';
import type { ChatCompletionCreateParams, ChatMessage } from '../../../src/request/types.js';
import { context, fixture, fixtureJson, headerLookup, runMapper, type TestContext } from './helpers.js';

beforeEach(() => {
  vi.unstubAllEnvs();
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_ENDPOINT', 'AZURE_RESOURCE_NAME', 'OPENAI_API_VERSION', 'DEEPSEEK_API_KEY', 'OLLAMA_HOST', 'OLLAMA_API_KEY']) {
    vi.stubEnv(name, '');
  }
});

function build(adapter: ProviderAdapter, params: Partial<ChatCompletionCreateParams>, ctx: TestContext = context(adapter.name, 'm')) {
  const request = adapter.buildRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], ...params } as ChatCompletionCreateParams, ctx);
  if (request instanceof Promise) throw new Error('expected a synchronous request');
  return { request, body: JSON.parse(request.body as string) as Record<string, unknown>, ctx };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const TOOL_HISTORY: ChatMessage[] = [
  { role: 'user', content: 'Weather in Lyon and Paris?' },
  {
    role: 'assistant',
    content: null,
    reasoning_content: 'Two cities: call twice.',
    reasoning_details: [{ type: 'reasoning.text', text: 'Two cities.', signature: 'sig_1' }],
    tool_calls: [
      { id: 'call_R7yWq2LmN4bX8cKd0PzT5hGe', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
      { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_R7yWq2LmN4bX8cKd0PzT5hGe', content: '18°C' },
  { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '10:00' },
];

describe('request rules', () => {
  it('deepseek rejects json_schema naming response_format, accepts json_object', () => {
    const error = thrown(() =>
      build(deepseek({ apiKey: 'k-123456' }), { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('response_format');
    expect((error as ValidationError).message).toContain('json_schema');
    expect(build(deepseek({ apiKey: 'k-123456' }), { response_format: { type: 'json_object' } }).body.response_format).toEqual({ type: 'json_object' });
  });

  it('deepseek replays reasoning_content only on the current turn\'s tool-call messages', () => {
    const earlier: ChatMessage[] = [
      { role: 'user', content: 'Earlier question' },
      { role: 'assistant', content: 'Earlier answer', reasoning_content: 'old thoughts' },
    ];
    const { body } = build(deepseek({ apiKey: 'k-123456' }), { messages: [...earlier, ...TOOL_HISTORY] });
    const messages = body.messages as Array<Record<string, unknown>>;
    expect(messages[1]).toEqual({ role: 'assistant', content: 'Earlier answer' });
    expect(messages[3]?.reasoning_content).toBe('Two cities: call twice.');
    expect(messages[3]).not.toHaveProperty('reasoning_details');
  });

  it('mistral rewrites tool-call ids deterministically and names tool messages', () => {
    const adapter = mistral({ apiKey: 'k-123456' });
    const first = build(adapter, { messages: TOOL_HISTORY }).body.messages as Array<Record<string, unknown>>;
    const again = build(adapter, { messages: TOOL_HISTORY }).body.messages as Array<Record<string, unknown>>;
    expect(first).toEqual(again);
    const calls = first[1]?.tool_calls as Array<{ id: string }>;
    for (const call of calls) expect(call.id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(calls[0]?.id).not.toBe(calls[1]?.id);
    expect(first[2]).toEqual({ role: 'tool', tool_call_id: calls[0]?.id, content: '18°C', name: 'get_weather' });
    expect(first[3]).toEqual({ role: 'tool', tool_call_id: calls[1]?.id, content: '10:00', name: 'get_time' });
    expect(first[1]).not.toHaveProperty('reasoning_content');
    // An id already in Mistral's shape is kept.
    const native = build(adapter, {
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'Xy7Kp2QmZ', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'Xy7Kp2QmZ', content: 'ok' },
      ],
    }).body.messages as Array<Record<string, unknown>>;
    expect(native[2]?.tool_call_id).toBe('Xy7Kp2QmZ');
  });

  it('mistral: n > 1 is a ValidationError, n = 1 is dropped silently, OpenAI-only fields are warned and dropped', () => {
    const adapter = mistral({ apiKey: 'k-123456' });
    expect((thrown(() => build(adapter, { n: 2 })) as ValidationError).field).toBe('n');
    const { body, ctx } = build(adapter, { n: 1, max_completion_tokens: 100, metadata: { a: 'b' }, service_tier: 'auto', logprobs: true, stream: true }, context('mistral', 'm', true));
    expect(body).toEqual({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100, stream: true });
    expect(ctx.warnings).toHaveLength(3);
    expect(ctx.warnings.join('\n')).toMatch(/logprobs[\s\S]*service_tier[\s\S]*metadata/);
  });

  it('groq drops logprobs with a warning; logprobs: false silently', () => {
    const warned = build(groq({ apiKey: 'k-123456' }), { logprobs: true, top_logprobs: 2 });
    expect(warned.body).not.toHaveProperty('logprobs');
    expect(warned.body).not.toHaveProperty('top_logprobs');
    expect(warned.ctx.warnings).toHaveLength(2);
    expect(build(groq({ apiKey: 'k-123456' }), { logprobs: false }).ctx.warnings).toEqual([]);
  });

  it('openrouter replays reasoning_details and keeps cache_control; openai drops cache_control', () => {
    const messages: ChatMessage[] = [{ role: 'system', content: [{ type: 'text', text: 'Long context', cache_control: { type: 'ephemeral' } }] }, ...TOOL_HISTORY];
    const routed = build(openrouter({ apiKey: 'k-123456' }), { messages }).body.messages as Array<Record<string, unknown>>;
    expect(routed[0]?.content).toEqual([{ type: 'text', text: 'Long context', cache_control: { type: 'ephemeral' } }]);
    expect(routed[2]?.reasoning_details).toEqual([{ type: 'reasoning.text', text: 'Two cities.', signature: 'sig_1' }]);
    expect(routed[2]).not.toHaveProperty('reasoning_content');
    const direct = build(openai({ apiKey: 'k-123456' }), { messages }).body.messages as Array<Record<string, unknown>>;
    expect(direct[0]?.content).toEqual([{ type: 'text', text: 'Long context' }]);
    expect(direct[2]).not.toHaveProperty('reasoning_details');
  });

  it('passes images in OpenAI form and json_schema where supported', () => {
    const { body } = build(mistral({ apiKey: 'k-123456' }), {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      reasoning_effort: 'high',
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
    ]);
    expect(body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } });
    expect(body.reasoning_effort).toBe('high');
  });

  it('merges providerOptions for this provider key last, except protected fields', () => {
    const ctx = context('router', 'm', true);
    const { body } = build(
      openrouter({ apiKey: 'k-123456' }),
      {
        temperature: 0.5,
        stream: true,
        providerOptions: { router: { provider: { order: ['anthropic'] }, temperature: 0.1, stream: false, model: 'other' }, openai: { seed: 1 } },
      },
      ctx,
    );
    expect(body.provider).toEqual({ order: ['anthropic'] });
    expect(body.temperature).toBe(0.1);
    expect(body.stream).toBe(true);
    expect(body.model).toBe('m');
    expect(body).not.toHaveProperty('seed');
    expect(ctx.warnings).toHaveLength(2);
  });

  it('openai keeps developer messages and always asks for usage when streaming', () => {
    const { body } = build(
      openai({ apiKey: 'k-123456' }),
      { messages: [{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: false } },
      context('openai', 'gpt-5-mini', true),
    );
    expect(body.messages).toEqual([{ role: 'developer', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]);
    expect(body.stream_options).toEqual({ include_usage: true });
  });
});

describe('configuration', () => {
  it('reads keys lazily: creation never throws; buildRequest names the variable', () => {
    const adapter = openai();
    expect(adapter.hasCredentials()).toBe(false);
    const error = thrown(() => build(adapter, {}));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain('OPENAI_API_KEY');
    vi.stubEnv('OPENAI_API_KEY', 'sk-env-key-0123456789abcdef');
    expect(adapter.hasCredentials()).toBe(true);
    expect(build(adapter, {}).request.headers.authorization).toBe('Bearer sk-env-key-0123456789abcdef');
  });

  it('strips trailing slashes and lower-cases header names; user headers merge last', () => {
    const { request } = build(openai({ apiKey: 'k-123456', baseURL: 'https://proxy.example.com/v1//', headers: { 'OpenAI-Project': 'proj_1', 'X-Trace': 't' } }), {});
    expect(request.url).toBe('https://proxy.example.com/v1/chat/completions');
    expect(request.headers).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: 'Bearer k-123456',
      'openai-project': 'proj_1',
      'x-trace': 't',
    });
  });

  it('a user Authorization header takes over auth: no key needed, no second auth header', () => {
    const adapter = azure({ resourceName: 'contoso', headers: { Authorization: 'Bearer entra-token-0123456789' } });
    expect(adapter.hasCredentials()).toBe(true);
    const { request } = build(adapter, {}, context('azure', 'dep'));
    expect(request.headers.authorization).toBe('Bearer entra-token-0123456789');
    expect(request.headers).not.toHaveProperty('api-key');
  });

  it('azure: endpoint from env, api-version from env, v1 base URL, and a clear error without an endpoint', () => {
    const missing = azure({ apiKey: 'k-123456' });
    expect(missing.hasCredentials()).toBe(false);
    expect((thrown(() => build(missing, {}, context('azure', 'dep'))) as ValidationError).field).toBe('baseURL');

    vi.stubEnv('AZURE_OPENAI_ENDPOINT', 'https://contoso-eu.openai.azure.com/');
    vi.stubEnv('OPENAI_API_VERSION', '2025-04-01-preview');
    vi.stubEnv('AZURE_OPENAI_API_KEY', 'azure-env-key-0123');
    const fromEnv = azure();
    expect(fromEnv.hasCredentials()).toBe(true);
    const { request } = build(fromEnv, {}, context('azure', 'gpt 4o'));
    expect(request.url).toBe('https://contoso-eu.openai.azure.com/openai/deployments/gpt%204o/chat/completions?api-version=2025-04-01-preview');
    expect(request.headers['api-key']).toBe('azure-env-key-0123');

    const v1 = build(azure({ apiKey: 'k-123456', baseURL: 'https://contoso.openai.azure.com/openai/v1/' }), {}, context('azure', 'gpt-5-mini'));
    expect(v1.request.url).toBe('https://contoso.openai.azure.com/openai/v1/chat/completions');
    expect(v1.body.model).toBe('gpt-5-mini');
  });

  it.each([
    ['', 'http://localhost:11434/v1/chat/completions'],
    ['0.0.0.0', 'http://0.0.0.0:11434/v1/chat/completions'],
    ['gpu-box:8080', 'http://gpu-box:8080/v1/chat/completions'],
    ['https://ollama.example.com/', 'https://ollama.example.com/v1/chat/completions'],
  ])('ollama: OLLAMA_HOST=%j → %s, no key needed', (host, url) => {
    vi.stubEnv('OLLAMA_HOST', host);
    const adapter = ollama();
    expect(adapter.hasCredentials()).toBe(true);
    const { request } = build(adapter, {});
    expect(request.url).toBe(url);
    expect(request.headers).not.toHaveProperty('authorization');
  });

  it('ollama sends OLLAMA_API_KEY when set (Ollama cloud)', () => {
    vi.stubEnv('OLLAMA_API_KEY', 'ollama-cloud-key-0123');
    expect(build(ollama(), {}).request.headers.authorization).toBe('Bearer ollama-cloud-key-0123');
  });

  it('openaiCompatible needs no key and passes every field', () => {
    const adapter = openaiCompatible({ name: 'llama', baseURL: 'http://localhost:8000/v1' });
    expect(adapter.name).toBe('llama');
    expect(adapter.hasCredentials()).toBe(true);
    const { request, body } = build(adapter, { logit_bias: { '50256': -100 }, n: 2 });
    expect(request.headers).not.toHaveProperty('authorization');
    expect(body).toMatchObject({ logit_bias: { '50256': -100 }, n: 2 });
  });

  it('ENV_PRESETS lists every preset with its variables', () => {
    expect(ENV_PRESETS.map((p) => p.key)).toEqual(['openai', 'azure', 'deepseek', 'groq', 'xai', 'mistral', 'together', 'fireworks', 'openrouter', 'ollama']);
    for (const preset of ENV_PRESETS) {
      expect(preset.envNames.length).toBeGreaterThan(0);
      expect(preset.create().name).toBe(preset.key);
    }
  });
});

describe('response edge cases', () => {
  const ctx = context('openai', 'gpt-4o-mini');
  const parse = (body: unknown, adapter: ProviderAdapter = openai({ apiKey: 'k-123456' })) => adapter.parseResponse(body, ctx, headerLookup());

  it('rejects a body that is not a completion', () => {
    expect(thrown(() => parse('<html>'))).toBeInstanceOf(InvalidResponseError);
    expect(thrown(() => parse({ id: 'x' }))).toBeInstanceOf(InvalidResponseError);
    expect(thrown(() => parse({ choices: ['oops'] }))).toBeInstanceOf(InvalidResponseError);
  });

  it('never copies provider keys such as __proto__ into the result', () => {
    const body = JSON.parse(
      '{"id":"c1","created":1,"model":"m","__proto__":{"polluted":true},"extra":1,"choices":[{"index":0,"message":{"role":"assistant","content":"ok","__proto__":{"polluted":true}},"finish_reason":"stop"}]}',
    ) as unknown;
    const res = parse(body);
    expect(Object.keys(res).sort()).toEqual(['choices', 'created', 'id', 'model', 'object', 'provider', 'usage']);
    expect((res as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(res.choices[0]?.message ?? {}).sort()).toEqual(['content', 'refusal', 'role']);
  });

  it('maps finish reasons: unknown → stop, model_length → length, insufficient_system_resource → ServerError', () => {
    const body = (finish: string) => ({ id: 'c', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: finish }] });
    expect(parse(body('weird')).choices[0]?.finish_reason).toBe('stop');
    expect(parse(body('model_length')).choices[0]?.finish_reason).toBe('length');
    const error = thrown(() => parse(body('insufficient_system_resource'), deepseek({ apiKey: 'k-123456' })));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).retryable).toBe(true);
  });

  it('a 200 carrying an error object throws the error its code states (OpenRouter)', () => {
    const error = thrown(() =>
      openrouter({ apiKey: 'k-123456' }).parseResponse(fixtureJson('openrouter', 'error-200.json'), context('openrouter', 'a/b'), headerLookup({ 'x-generation-id': 'gen-1' })),
    );
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).status).toBe(502);
    expect((error as ServerError).requestId).toBe('gen-1');
    expect((error as ServerError).message).toContain('openrouter 502: Provider returned error (Anthropic: {"type":"error"');
  });

  it('turns object arguments into JSON and empty arguments into {}', () => {
    const res = parse({
      id: 'c',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, tool_calls: [{ id: 'a', function: { name: 'f', arguments: { x: 1 } } }, { id: 'b', type: 'function', function: { name: 'g', arguments: '' } }] },
          finish_reason: 'stop',
        },
      ],
    });
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.choices[0]?.message.tool_calls?.map((c) => c.function.arguments)).toEqual(['{"x":1}', '{}']);
  });
});

describe('stream edge cases', () => {
  const mapperFor = (adapter: ProviderAdapter = openai({ apiKey: 'k-123456' })) => adapter.createStreamMapper(context(adapter.name, 'm', true));

  it('a malformed event is an InvalidResponseError giving size and position, never the payload', () => {
    const secret = 'sk-live-SECRET0123456789abcdefghij';
    const error = thrown(() => mapperFor().push({ data: `{"choices":[{"delta":{"content":"${secret}"}}]` }, []));
    expect(error).toBeInstanceOf(InvalidResponseError);
    const message = (error as Error).message;
    expect(message).toMatch(/\d+ characters/);
    expect(message).toMatch(/position \d+/);
    expect(message).not.toContain('SECRET');
    expect(message).not.toContain('choices');
  });

  it('an OpenRouter mid-stream error chunk throws the typed error, not a chunk', () => {
    const mapper = mapperFor(openrouter({ apiKey: 'k-123456' }));
    const error = thrown(() => runMapper(mapper, fixture('openrouter', 'stream-error.sse')));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).status).toBe(502);
    expect((error as ServerError).message).toBe('openrouter 502: Provider disconnected');
    const limited = thrown(() => mapper.push({ data: '{"error":{"code":429,"message":"Rate limited upstream"},"choices":[]}' }, []));
    expect((limited as ModelmuxError).code).toBe('rate_limit');
  });

  it('an `event: error` is thrown as a typed error', () => {
    const error = thrown(() => mapperFor().push({ event: 'error', data: '{"error":{"message":"The server had an error","type":"server_error"}}' }, []));
    expect(error).toBeInstanceOf(ServerError);
  });

  it('complete: only after [DONE] or a finish_reason on every open choice; later chunks still accepted', () => {
    const mapper = mapperFor();
    const out: unknown[] = [];
    const chunk = (choices: unknown[]) => ({ data: JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 5, model: 'm', choices }) });
    mapper.push(chunk([{ index: 0, delta: { content: 'a' }, finish_reason: null }, { index: 1, delta: { content: 'b' }, finish_reason: null }]), out as never[]);
    mapper.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]), out as never[]);
    expect(mapper.complete).toBe(false);
    mapper.push(chunk([{ index: 1, delta: {}, finish_reason: 'length' }]), out as never[]);
    expect(mapper.complete).toBe(true);
    mapper.push({ data: JSON.stringify({ id: 'c1', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }) }, out as never[]);
    expect(out).toHaveLength(3);
    expect(mapper.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, cost: null });
    expect(mapper.meta).toEqual({ id: 'c1', model: 'm', created: 5 });
  });

  it('a stream that stops before any finish is not complete', () => {
    const mapper = mapperFor();
    runMapper(mapper, fixture('openai', 'stream-text.sse').split('\n\n').slice(0, 3).join('\n\n') + '\n\n');
    expect(mapper.complete).toBe(false);
  });

  it('mistral magistral thinking chunks become reasoning_content deltas', () => {
    const out: Array<{ choices: Array<{ delta: Record<string, unknown> }> }> = [];
    mapperFor(mistral({ apiKey: 'k-123456' })).push(
      { data: '{"id":"x","object":"chat.completion.chunk","created":1,"model":"magistral-small-latest","choices":[{"index":0,"delta":{"content":[{"type":"thinking","thinking":[{"type":"text","text":"Hmm"}]}]},"finish_reason":null}]}' },
      out as never[],
    );
    expect(out[0]?.choices[0]?.delta).toEqual({ content: null, reasoning_content: 'Hmm' });
  });
});

describe('error edge cases', () => {
  const ctx = context('openai', 'gpt-4o-mini');
  const parse = (status: number, body: string, headers: Record<string, string> = {}) => openai({ apiKey: 'k-123456' }).parseError(status, body, headerLookup(headers), ctx);

  it('a non-JSON body (HTML 502) gives a short excerpt', () => {
    const html = `<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>${'<p>padding</p>'.repeat(100)}</body></html>`;
    const error = parse(502, html);
    expect(error.code).toBe('server_error');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('openai 502: 502 Bad Gateway');
    expect(error.message.length).toBeLessThan(240);
    expect(error.message).not.toContain('<');
  });

  it('x-should-retry overrides the default', () => {
    expect(parse(500, '{"error":{"message":"boom"}}', { 'x-should-retry': 'false' }).retryable).toBe(false);
    expect(parse(400, '{"error":{"message":"try later"}}', { 'x-should-retry': 'true' }).retryable).toBe(true);
  });

  it.each([
    [408, 'server_error', true],
    [409, 'server_error', true],
    [413, 'bad_request', false],
    [404, 'not_found', false],
    [403, 'permission_error', false],
    [529, 'overloaded', true],
    [503, 'server_error', true],
  ])('status %i → %s (retryable %s)', (status, code, retryable) => {
    const error = parse(status, '');
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toBe(`openai ${status}: (no error message)`);
  });

  it('429 without retry-after uses the reset of the exhausted rate-limit window', () => {
    const body = '{"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}';
    const error = parse(429, body, { 'x-ratelimit-remaining-requests': '12', 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '6m0s' });
    expect((error as unknown as { retryAfterMs: number }).retryAfterMs).toBe(360_000);
    const notExhausted = parse(429, body, { 'x-ratelimit-remaining-requests': '12', 'x-ratelimit-reset-requests': '1s' });
    expect((notExhausted as unknown as { retryAfterMs: number | undefined }).retryAfterMs).toBeUndefined();
  });

  it('never leaks the API key', () => {
    const key = 'sk-test-leaky-0123456789abcdef';
    const adapter = openai({ apiKey: key });
    build(adapter, {});
    const error = adapter.parseError(401, `{"error":{"message":"Incorrect API key provided: ${key}"}}`, headerLookup(), ctx);
    expect(error.message).not.toContain(key);
    expect(JSON.stringify(error)).not.toContain(key);
  });
});
