/**
 * The Anthropic adapter through the public API (`createGateway` + `chat.completions.create`)
 * against msw, with fixtures in the Messages API's wire format. Each scenario asserts the unified
 * result and the exact request sent (URL, headers, body).
 */
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ChatCompletionCreateParams,
  type ChatMessage,
  type CompletionUsage,
  createGateway,
  ModelmuxError,
  ProviderOverloadedError,
  StreamError,
  type WarningEvent,
} from '../../../src/index.js';
import { anthropic } from '../../../src/providers/anthropic/index.js';
import { API_KEY, collect, drain, fixture, jsonResponse, MESSAGES_URL, sseResponse } from './helpers.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());
beforeEach(() => {
  vi.unstubAllEnvs();
  vi.stubEnv('ANTHROPIC_BASE_URL', '');
  vi.stubEnv('ANTHROPIC_API_KEY', '');
});

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Serves the given answers in order (the last one repeats) and records every request. */
function serve(...answers: Array<() => Response>): Sent[] {
  const sent: Sent[] = [];
  server.use(
    http.post(MESSAGES_URL, async ({ request }) => {
      sent.push({ url: request.url, headers: Object.fromEntries(request.headers), body: (await request.json()) as Record<string, unknown> });
      const answer = answers[Math.min(sent.length - 1, answers.length - 1)] as () => Response;
      return answer();
    }),
  );
  return sent;
}

function gateway(maxRetries = 0, warnings: WarningEvent[] = []) {
  return createGateway({
    providers: { anthropic: anthropic({ apiKey: API_KEY }) },
    retry: { maxRetries },
    hooks: { onWarning: (event) => warnings.push(event) },
  });
}

function only(sent: Sent[]): Sent {
  expect(sent).toHaveLength(1);
  return sent[0] as Sent;
}

function expectHeaders(request: Sent, stream: boolean): void {
  expect(request.url).toBe(MESSAGES_URL);
  expect(request.headers['x-api-key']).toBe(API_KEY);
  expect(request.headers['anthropic-version']).toBe('2023-06-01');
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers.accept).toBe(stream ? 'text/event-stream' : 'application/json');
  expect(request.headers['anthropic-beta']).toBeUndefined();
  expect(request.headers.authorization).toBeUndefined();
}

const MODEL = 'anthropic/claude-haiku-4-5';

const TEXT_REQUEST = {
  model: MODEL,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ],
  temperature: 0.2,
  stop: 'END',
  user: 'u_42',
} satisfies ChatCompletionCreateParams;

const TEXT_BODY = {
  model: 'claude-haiku-4-5',
  max_tokens: 64000,
  system: 'Be brief.',
  messages: [{ role: 'user', content: 'Hi' }],
  temperature: 0.2,
  stop_sequences: ['END'],
  metadata: { user_id: 'u_42' },
};

/** Token counts only: `usage.cost` is the core's job (the price catalog), not the adapter's. */
function tokens(usage: CompletionUsage | null | undefined): Omit<CompletionUsage, 'cost'> | undefined {
  if (usage == null) return undefined;
  const { cost: _cost, ...rest } = usage;
  return rest;
}

const TEXT_USAGE = {
  prompt_tokens: 4521,
  completion_tokens: 12,
  total_tokens: 4533,
  prompt_tokens_details: { cached_tokens: 3000, cache_write_tokens: 1500 },
};

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
  },
} as const;
const TIME_TOOL = { type: 'function', function: { name: 'get_time' } } as const;

const WEATHER_TOOL_BODY = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
};
const TIME_TOOL_BODY = { name: 'get_time', input_schema: { type: 'object', properties: {} } };

describe('anthropic: text', () => {
  it('answers a text request with cache usage', async () => {
    const sent = serve(() => jsonResponse(fixture('text.json')));
    const res = await gateway().chat.completions.create(TEXT_REQUEST);
    const request = only(sent);
    expectHeaders(request, false);
    expect(request.body).toEqual(TEXT_BODY);
    expect(res).toMatchObject({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      object: 'chat.completion',
      model: 'claude-haiku-4-5-20251001',
      provider: 'anthropic',
    });
    expect(res.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?', refusal: null }, finish_reason: 'stop', logprobs: null },
    ]);
    expect(tokens(res.usage)).toEqual(TEXT_USAGE);
  });

  it('streams the same answer with the same usage (ping events ignored)', async () => {
    const sent = serve(() => sseResponse(fixture('stream-text.sse')));
    const stream = await gateway().chat.completions.create({ ...TEXT_REQUEST, stream: true, stream_options: { include_usage: true } });
    const got = collect(await drain(stream));
    const request = only(sent);
    expectHeaders(request, true);
    expect(request.body).toEqual({ ...TEXT_BODY, stream: true });
    expect(got.content).toBe('Hello! How can I help you today?');
    expect(got.finishReason).toBe('stop');
    expect(tokens(got.usage)).toEqual(TEXT_USAGE);
    expect(got.chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    for (const chunk of got.chunks) {
      expect(chunk).toMatchObject({ id: 'msg_01XFDUDYJgAACzvnptvVoYEL', object: 'chat.completion.chunk', model: 'claude-haiku-4-5-20251001', provider: 'anthropic' });
      expect(chunk.created).toBe(got.chunks[0]?.created);
    }
    // The usage chunk comes last and only once; no mapper chunk carries usage.
    expect(got.chunks.filter((chunk) => chunk.usage != null)).toHaveLength(1);
    expect(got.chunks[got.chunks.length - 1]?.choices).toEqual([]);
  });

  it('gives identical unified usage streamed and not streamed (cost included)', async () => {
    serve(
      () => jsonResponse(fixture('text.json')),
      () => sseResponse(fixture('stream-text.sse')),
    );
    const mux = gateway();
    const whole = await mux.chat.completions.create(TEXT_REQUEST);
    const streamed = collect(await drain(await mux.chat.completions.create({ ...TEXT_REQUEST, stream: true, stream_options: { include_usage: true } })));
    expect(streamed.usage).toEqual(whole.usage);
  });

  it('maps a refusal with no content to content_filter', async () => {
    serve(() => jsonResponse(fixture('refusal.json')));
    const res = await gateway().chat.completions.create({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0]?.finish_reason).toBe('content_filter');
    expect(res.choices[0]?.message.content).toBeNull();
  });
});

describe('anthropic: tools', () => {
  it('answers a tool call', async () => {
    const sent = serve(() => jsonResponse(fixture('tool-call.json')));
    const res = await gateway().chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Lyon?' }],
      tools: [WEATHER_TOOL],
      tool_choice: 'auto',
    });
    expect(only(sent).body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 64000,
      messages: [{ role: 'user', content: 'Weather in Lyon?' }],
      tools: [WEATHER_TOOL_BODY],
      tool_choice: { type: 'auto' },
    });
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.choices[0]?.message.content).toBe("I'll check the weather in Lyon.");
    expect(res.choices[0]?.message.tool_calls).toEqual([
      { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon","unit":"celsius"}' } },
    ]);
    expect(tokens(res.usage)).toEqual({ prompt_tokens: 412, completion_tokens: 61, total_tokens: 473, prompt_tokens_details: { cached_tokens: 0 } });
  });

  it('answers parallel tool calls (a call without input has arguments "{}")', async () => {
    const sent = serve(() => jsonResponse(fixture('parallel-tool-calls.json')));
    const res = await gateway().chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Lyon and Paris, and the time?' }],
      tools: [WEATHER_TOOL, TIME_TOOL],
      tool_choice: 'required',
    });
    expect(only(sent).body).toMatchObject({ tools: [WEATHER_TOOL_BODY, TIME_TOOL_BODY], tool_choice: { type: 'any' } });
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.choices[0]?.message.content).toBeNull();
    expect(res.choices[0]?.message.tool_calls?.map((call) => [call.id, call.function.name, call.function.arguments])).toEqual([
      ['toolu_01Lyon4kT9bW2cXqZ7mNpR', 'get_weather', '{"city":"Lyon"}'],
      ['toolu_01Paris8HvL3dYrW5sJkQe', 'get_weather', '{"city":"Paris"}'],
      ['toolu_01Time2Gq6NfX9aBvC4uTm', 'get_time', '{}'],
    ]);
  });

  it('replays a tool call made on Anthropic: the tool_result references the same toolu_ id', async () => {
    const sent = serve(
      () => jsonResponse(fixture('tool-call.json')),
      () => jsonResponse(fixture('text.json')),
    );
    const mux = gateway();
    const messages: ChatMessage[] = [{ role: 'user', content: 'Weather in Lyon?' }];
    const first = await mux.chat.completions.create({ model: MODEL, messages, tools: [WEATHER_TOOL] });
    const assistant = first.choices[0]?.message;
    if (assistant === undefined) throw new Error('no message');
    const call = assistant.tool_calls?.[0];
    if (call === undefined) throw new Error('no tool call');
    await mux.chat.completions.create({
      model: MODEL,
      messages: [...messages, assistant, { role: 'tool', tool_call_id: call.id, content: '18°C, sunny' }],
      tools: [WEATHER_TOOL],
    });
    expect(sent).toHaveLength(2);
    expect(sent[1]?.body.messages).toEqual([
      { role: 'user', content: 'Weather in Lyon?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: "I'll check the weather in Lyon." },
          { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { city: 'Lyon', unit: 'celsius' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '18°C, sunny' }] },
    ]);
  });

  it('merges the results of parallel calls into one user message, before the user text', async () => {
    const sent = serve(() => jsonResponse(fixture('text.json')));
    await gateway().chat.completions.create({
      model: MODEL,
      tools: [WEATHER_TOOL, TIME_TOOL],
      messages: [
        { role: 'user', content: 'Weather in Lyon and Paris, and the time?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_01Lyon4kT9bW2cXqZ7mNpR', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
            { id: 'call.paris:2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'toolu_01Time2Gq6NfX9aBvC4uTm', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01Lyon4kT9bW2cXqZ7mNpR', content: '18°C' },
        { role: 'tool', tool_call_id: 'call.paris:2', content: [{ type: 'text', text: '21°C' }] },
        { role: 'tool', tool_call_id: 'toolu_01Time2Gq6NfX9aBvC4uTm', content: '14:05' },
        { role: 'user', content: 'Answer in French.' },
      ],
    });
    const messages = only(sent).body.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    expect(messages).toHaveLength(3);
    const rewritten = messages[1]?.content[1]?.id;
    expect(rewritten).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 'toolu_01Lyon4kT9bW2cXqZ7mNpR', name: 'get_weather', input: { city: 'Lyon' } },
        { type: 'tool_use', id: rewritten, name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_01Time2Gq6NfX9aBvC4uTm', name: 'get_time', input: {} },
      ],
    });
    expect(messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_01Lyon4kT9bW2cXqZ7mNpR', content: '18°C' },
        { type: 'tool_result', tool_use_id: rewritten, content: [{ type: 'text', text: '21°C' }] },
        { type: 'tool_result', tool_use_id: 'toolu_01Time2Gq6NfX9aBvC4uTm', content: '14:05' },
        { type: 'text', text: 'Answer in French.' },
      ],
    });
  });

  it('streams a tool call with argument fragments over several events', async () => {
    serve(() => sseResponse(fixture('stream-tool-call.sse')));
    const stream = await gateway().chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Lyon?' }],
      tools: [WEATHER_TOOL],
      stream: true,
      stream_options: { include_usage: true },
    });
    const got = collect(await drain(stream));
    expect(got.content).toBe('Checking Lyon now.');
    expect(got.toolCalls).toEqual([
      { index: 0, id: 'toolu_01Fx2nJq8WcY4tLb7VsK3mDe', type: 'function', name: 'get_weather', arguments: '{"city": "Lyon", "unit": "celsius"}' },
    ]);
    // The first fragment names the call with empty arguments; three argument fragments follow.
    const fragments = got.chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(fragments.map((f) => f.function?.arguments)).toEqual(['', '{"city": "Ly', 'on", "unit"', ': "celsius"}']);
    expect(got.finishReason).toBe('tool_calls');
    expect(got.usage).toMatchObject({ prompt_tokens: 412, completion_tokens: 61, total_tokens: 473 });
  });
});

describe('anthropic: reasoning', () => {
  it('streams thinking, its signature and two tool calls indexed 0 and 1', async () => {
    const sent = serve(() => sseResponse(fixture('stream-thinking-tools.sse')));
    const stream = await gateway().chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Weather and time in Lyon?' }],
      tools: [WEATHER_TOOL, TIME_TOOL],
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
    });
    const got = collect(await drain(stream));
    expect(only(sent).body).toMatchObject({ max_tokens: 64000, thinking: { type: 'enabled', budget_tokens: 2048 }, stream: true });
    expect(got.reasoning).toBe('The user asks about Lyon. I should call get_weather, and get_time.');
    expect(got.reasoningDetails).toEqual([
      {
        type: 'reasoning.text',
        text: 'The user asks about Lyon. I should call get_weather, and get_time.',
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds8jnGFa2pQnVzS3eW1pJfCk4sNqL',
        format: 'anthropic-claude-v1',
        index: 0,
      },
      {
        type: 'reasoning.encrypted',
        data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPfhE',
        format: 'anthropic-claude-v1',
        index: 1,
      },
    ]);
    expect(got.content).toBe('Let me look that up.');
    expect(got.toolCalls).toEqual([
      { index: 0, id: 'toolu_01Lyon4kT9bW2cXqZ7mNpR', type: 'function', name: 'get_weather', arguments: '{"city": "Lyon"}' },
      { index: 1, id: 'toolu_01Time2Gq6NfX9aBvC4uTm', type: 'function', name: 'get_time', arguments: '{}' },
    ]);
    expect(got.finishReason).toBe('tool_calls');
    expect(got.usage).toMatchObject({ prompt_tokens: 602, completion_tokens: 240 });
  });

  it('sends the thinking signature back, before text and tool_use, on the next turn', async () => {
    const sent = serve(
      () => jsonResponse(fixture('thinking-tool.json')),
      () => jsonResponse(fixture('text.json')),
    );
    const mux = gateway();
    const messages: ChatMessage[] = [{ role: 'user', content: 'Weather in Lyon?' }];
    const request = { model: 'anthropic/claude-sonnet-4-5', tools: [WEATHER_TOOL], reasoning_effort: 'medium' as const };
    const first = await mux.chat.completions.create({ ...request, messages });
    const assistant = first.choices[0]?.message;
    if (assistant === undefined) throw new Error('no message');
    expect(assistant.reasoning_content).toBe('The user asks about Lyon. I should call get_weather.');
    expect(assistant.reasoning_details).toHaveLength(2);
    await mux.chat.completions.create({
      ...request,
      messages: [...messages, assistant, { role: 'tool', tool_call_id: 'toolu_01Fx2nJq8WcY4tLb7VsK3mDe', content: '18°C' }],
    });
    expect(sent[0]?.body).toMatchObject({ max_tokens: 64000, thinking: { type: 'enabled', budget_tokens: 8192 } });
    expect(sent[1]?.body.messages).toEqual([
      { role: 'user', content: 'Weather in Lyon?' },
      {
        role: 'assistant',
        content: [
          {
            type: 'thinking',
            thinking: 'The user asks about Lyon. I should call get_weather.',
            signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds8jnGFa2pQnVzS3eW1pJfCk4sNqL',
          },
          { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPfhE' },
          { type: 'text', text: 'Let me look that up.' },
          { type: 'tool_use', id: 'toolu_01Fx2nJq8WcY4tLb7VsK3mDe', name: 'get_weather', input: { city: 'Lyon' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01Fx2nJq8WcY4tLb7VsK3mDe', content: '18°C' }] },
    ]);
  });
});

describe('anthropic: inputs and outputs', () => {
  it('sends images: data URLs as base64 sources, https URLs as url sources', async () => {
    const sent = serve(() => jsonResponse(fixture('text.json')));
    await gateway().chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
          ],
        },
      ],
    });
    expect(only(sent).body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUg==' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
  });

  it('maps response_format json_schema to output_config.format', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, population: { type: 'integer' } }, required: ['city', 'population'], additionalProperties: false };
    const sent = serve(() => jsonResponse(fixture('json-schema.json')));
    const res = await gateway().chat.completions.create({
      model: 'anthropic/claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Largest city of the Rhône?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
    });
    const request = only(sent);
    expect(request.headers['anthropic-beta']).toBeUndefined();
    expect(request.body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 64000,
      messages: [{ role: 'user', content: 'Largest city of the Rhône?' }],
      output_config: { format: { type: 'json_schema', schema } },
    });
    expect(JSON.parse(res.choices[0]?.message.content ?? '')).toEqual({ city: 'Lyon', population: 522250 });
    expect(res.choices[0]?.finish_reason).toBe('stop');
  });

  it('passes prompt-cache breakpoints: part cache_control, and system/tools through providerOptions', async () => {
    const sent = serve(() => jsonResponse(fixture('text.json')));
    const res = await gateway().chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are a meteorologist.' },
        { role: 'user', content: [{ type: 'text', text: 'A long shared document…', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Summarise it.' }] },
      ],
      tools: [WEATHER_TOOL],
      providerOptions: { anthropic: { cacheControl: { system: '1h', tools: true }, top_k: 40 } },
    });
    expect(only(sent).body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 64000,
      system: [{ type: 'text', text: 'You are a meteorologist.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'A long shared document…', cache_control: { type: 'ephemeral' } },
            { type: 'text', text: 'Summarise it.' },
          ],
        },
      ],
      tools: [{ ...WEATHER_TOOL_BODY, cache_control: { type: 'ephemeral' } }],
      top_k: 40,
    });
    expect(res.usage.prompt_tokens_details).toEqual({ cached_tokens: 3000, cache_write_tokens: 1500 });
  });

  it('reports dropped settings through onWarning', async () => {
    serve(() => jsonResponse(fixture('text.json')));
    const warnings: WarningEvent[] = [];
    await gateway(0, warnings).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], seed: 7, frequency_penalty: 0.5 });
    expect(warnings.map((w) => w.message)).toEqual([
      'Anthropic does not support "seed"; it was not sent',
      'Anthropic does not support "frequency_penalty"; it was not sent',
    ]);
  });
});

interface ErrorRow {
  file: string;
  status: number;
  headers?: Record<string, string>;
  name: string;
  code: string;
  retryable: boolean;
  providerCode: string;
  retryAfterMs?: number;
}

const ERRORS: ErrorRow[] = [
  { file: 'error-400.json', status: 400, name: 'BadRequestError', code: 'bad_request', retryable: false, providerCode: 'invalid_request_error' },
  { file: 'error-400-context.json', status: 400, name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, providerCode: 'invalid_request_error' },
  { file: 'error-400-context-limit.json', status: 400, name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, providerCode: 'invalid_request_error' },
  { file: 'error-401.json', status: 401, name: 'AuthenticationError', code: 'authentication_error', retryable: false, providerCode: 'authentication_error' },
  { file: 'error-402.json', status: 402, name: 'QuotaExceededError', code: 'quota_exceeded', retryable: false, providerCode: 'billing_error' },
  { file: 'error-403.json', status: 403, name: 'PermissionError', code: 'permission_error', retryable: false, providerCode: 'permission_error' },
  { file: 'error-404.json', status: 404, name: 'NotFoundError', code: 'not_found', retryable: false, providerCode: 'not_found_error' },
  { file: 'error-413.json', status: 413, name: 'BadRequestError', code: 'bad_request', retryable: false, providerCode: 'request_too_large' },
  {
    file: 'error-429.json',
    status: 429,
    headers: { 'retry-after': '7', 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2099-01-01T00:00:00Z' },
    name: 'RateLimitError',
    code: 'rate_limit',
    retryable: true,
    providerCode: 'rate_limit_error',
    retryAfterMs: 7000,
  },
  { file: 'error-429-spend.json', status: 429, name: 'QuotaExceededError', code: 'quota_exceeded', retryable: false, providerCode: 'enforced_spend_limit_reached' },
  { file: 'error-500.json', status: 500, name: 'ServerError', code: 'server_error', retryable: true, providerCode: 'api_error' },
  { file: 'error-504.json', status: 504, name: 'ServerError', code: 'server_error', retryable: true, providerCode: 'timeout_error' },
  { file: 'error-529.json', status: 529, name: 'ProviderOverloadedError', code: 'overloaded', retryable: true, providerCode: 'overloaded_error' },
];

describe('anthropic: errors', () => {
  it.each(ERRORS)('$file ($status) → $name', async (row) => {
    const body = fixture(row.file);
    serve(() => jsonResponse(body, row.status, { 'request-id': 'req_from_header', ...row.headers }));
    const error: unknown = await gateway()
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .then(() => undefined, (err: unknown) => err);
    expect(ModelmuxError.isInstance(error)).toBe(true);
    if (!ModelmuxError.isInstance(error)) return;
    expect(error.name).toBe(row.name);
    expect(error.code).toBe(row.code);
    expect(error.retryable).toBe(row.retryable);
    expect(error.status).toBe(row.status);
    expect(error.provider).toBe('anthropic');
    expect(error.model).toBe('claude-haiku-4-5');
    expect(error.requestId).toBe('req_from_header');
    expect(error.providerCode).toBe(row.providerCode);
    expect(error.message).toContain((JSON.parse(body) as { error: { message: string } }).error.message);
    if (row.retryAfterMs !== undefined) expect((error as { retryAfterMs?: number }).retryAfterMs).toBe(row.retryAfterMs);
    expect(JSON.stringify(error)).not.toContain(API_KEY);
  });

  it('uses an exhausted anthropic-ratelimit-*-reset as the wait when there is no retry-after', async () => {
    const reset = new Date(Date.now() + 30_000).toISOString();
    serve(() =>
      jsonResponse(fixture('error-429.json'), 429, {
        'anthropic-ratelimit-tokens-remaining': '0',
        'anthropic-ratelimit-tokens-reset': reset,
        'anthropic-ratelimit-requests-remaining': '12',
        'anthropic-ratelimit-requests-reset': new Date(Date.now() + 50_000).toISOString(),
      }),
    );
    const error = (await gateway()
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((err: unknown) => err)) as { code: string; retryAfterMs: number };
    expect(error.code).toBe('rate_limit');
    expect(error.retryAfterMs).toBeGreaterThan(25_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('takes the request id from the body when the header is absent', async () => {
    serve(() => jsonResponse(fixture('error-401.json'), 401));
    const error = (await gateway()
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((err: unknown) => err)) as ModelmuxError;
    expect(error.requestId).toBe('req_011CSHq1aBcDeFgHiJkLmNoP');
  });

  it('throws a retryable ProviderOverloadedError for an in-band error before any content', async () => {
    const sent = serve(() => sseResponse(fixture('stream-error-before-content.sse')));
    const error: unknown = await gateway()
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .then(() => undefined, (err: unknown) => err);
    expect(sent).toHaveLength(1);
    expect(error).toBeInstanceOf(ProviderOverloadedError);
    expect((error as ProviderOverloadedError).retryable).toBe(true);
    expect((error as ProviderOverloadedError).providerCode).toBe('overloaded_error');
  });

  it('retries an in-band overload before any content, and the caller sees one clean stream', async () => {
    const sent = serve(
      () => sseResponse(fixture('stream-error-before-content.sse')),
      () => sseResponse(fixture('stream-text.sse')),
    );
    const stream = await gateway(1).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const got = collect(await drain(stream));
    expect(sent).toHaveLength(2);
    expect(got.content).toBe('Hello! How can I help you today?');
  });

  it('throws a StreamError carrying the partial content for an in-band error after content', async () => {
    serve(() => sseResponse(fixture('stream-error-after-content.sse')));
    const stream = await gateway().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const error: unknown = await drain(stream).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('Partial answer');
    expect((error as { cause?: unknown }).cause).toBeInstanceOf(ProviderOverloadedError);
  });

  it('treats a stream without message_stop as failed, never as a short answer', async () => {
    serve(() => sseResponse(fixture('stream-truncated.sse')));
    const stream = await gateway().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const error: unknown = await drain(stream).then(() => undefined, (err: unknown) => err);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('Hello');
  });

  it('needs a key: AuthenticationError naming ANTHROPIC_API_KEY, nothing sent', async () => {
    const sent = serve(() => jsonResponse(fixture('text.json')));
    const mux = createGateway({ providers: { anthropic: anthropic() }, retry: { maxRetries: 0 } });
    const error = (await mux.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] }).catch((err: unknown) => err)) as ModelmuxError;
    expect(error.code).toBe('authentication_error');
    expect(error.message).toContain('ANTHROPIC_API_KEY');
    expect(sent).toHaveLength(0);
  });
});

describe('anthropic: configuration', () => {
  it('reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL lazily', async () => {
    const base = 'https://anthropic-proxy.example.com';
    const sent: Sent[] = [];
    server.use(
      http.post(`${base}/v1/messages`, async ({ request }) => {
        sent.push({ url: request.url, headers: Object.fromEntries(request.headers), body: (await request.json()) as Record<string, unknown> });
        return jsonResponse(fixture('text.json'));
      }),
    );
    const adapter = anthropic();
    expect(adapter.hasCredentials()).toBe(false);
    vi.stubEnv('ANTHROPIC_API_KEY', 'sk-ant-from-env-abcdef0123456789');
    vi.stubEnv('ANTHROPIC_BASE_URL', `${base}/`);
    expect(adapter.hasCredentials()).toBe(true);
    await createGateway({ providers: { anthropic: adapter } }).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] });
    expect(sent[0]?.url).toBe(`${base}/v1/messages`);
    expect(sent[0]?.headers['x-api-key']).toBe('sk-ant-from-env-abcdef0123456789');
  });

  it('serves a bare claude- model id and sends betas and user headers', async () => {
    const sent = serve(() => jsonResponse(fixture('text.json')));
    const mux = createGateway({
      providers: { anthropic: anthropic({ apiKey: API_KEY, version: '2024-01-01', headers: { 'anthropic-beta': 'context-1m-2025-08-07', 'X-Team': 'search' } }) },
    });
    await mux.chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hi' }],
      providerOptions: { anthropic: { betas: ['interleaved-thinking-2025-05-14'] } },
    });
    const request = only(sent);
    expect(request.headers['anthropic-version']).toBe('2024-01-01');
    expect(request.headers['anthropic-beta']).toBe('context-1m-2025-08-07,interleaved-thinking-2025-05-14');
    expect(request.headers['x-team']).toBe('search');
    expect(request.body).not.toHaveProperty('betas');
  });
});
