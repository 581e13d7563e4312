/**
 * Bedrock through the public API (`createGateway` + `chat.completions.create`) against msw, with
 * fixtures in Converse's wire format (JSON answers, binary event-stream transcripts). Every
 * scenario asserts the unified result and the exact URL, headers (SigV4 signature included) and
 * body sent.
 */
import { createHash } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChatCompletionChunk, type ChatCompletionCreateParams, createGateway, ModelmuxError } from '../../../src/index.js';
import { bedrock, type BedrockSettings } from '../../../src/providers/bedrock/index.js';
import type { ChatMessage, CompletionUsage, FunctionTool } from '../../../src/request/types.js';
import { authorizationFor, collect, eventStreamResponse, expectedBedrockAuthorization, fixture, transcript } from './helpers.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const AWS_ENV = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK'];
beforeEach(() => {
  vi.unstubAllEnvs();
  for (const name of AWS_ENV) vi.stubEnv(name, '');
});

const CREDS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSecretKey01',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue0123456789',
};
const NOW = new Date('2026-03-15T12:00:00.250Z');
const STAMP = '20260315T120000Z';
const REGION = 'us-east-1';
const MODEL = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';
const BASE = 'https://bedrock-runtime.us-east-1.amazonaws.com';
const CONVERSE = `${BASE}/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse`;
const CONVERSE_STREAM = `${CONVERSE}-stream`;

interface Sent {
  url: string;
  headers: Record<string, string>;
  text: string;
  body: unknown;
}

/** Serves one answer for every Converse / ConverseStream call and records what was sent. */
function serve(respond: (n: number) => Response): Sent[] {
  const sent: Sent[] = [];
  server.use(
    http.post(/\/model\/[^/]+\/converse(-stream)?$/, async ({ request }) => {
      const text = await request.text();
      sent.push({ url: request.url, headers: Object.fromEntries(request.headers), text, body: JSON.parse(text) as unknown });
      return respond(sent.length);
    }),
  );
  return sent;
}

function json(name: string, status = 200, headers: Record<string, string> = {}): Response {
  return new HttpResponse(fixture(name), {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'c1b9e5a0-6f0e-4d61-9a1e-0d3c2b1a0f9e', ...headers },
  });
}

function gateway(settings: BedrockSettings = {}) {
  return createGateway({
    providers: { bedrock: bedrock({ region: REGION, credentials: CREDS, now: () => NOW, ...settings }) },
    retry: { maxRetries: 0 },
  });
}

/** The request was signed with SigV4 for these exact bytes, and carries nothing else unexpected. */
function expectSigned(sent: Sent[], stream: boolean): Sent {
  expect(sent).toHaveLength(1);
  const request = sent[0]!;
  expect(request.url).toBe(stream ? CONVERSE_STREAM : CONVERSE);
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers['x-amz-date']).toBe(STAMP);
  expect(request.headers['x-amz-security-token']).toBe(CREDS.sessionToken);
  expect(request.headers.authorization).toBe(expectedBedrockAuthorization(request.url, request.text, STAMP, REGION, CREDS));
  return request;
}

/** Usage without `cost`: cost is the core's job (the price catalog), not the adapter's. */
function tokens(usage: CompletionUsage | undefined): Omit<CompletionUsage, 'cost'> | undefined {
  if (usage === undefined) return undefined;
  const { cost: _cost, ...rest } = usage;
  return rest;
}

async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Chunk invariants: one id/created/model, provider, role on the first chunk, usage chunk last. */
function expectWellFormed(chunks: ChatCompletionChunk[]): void {
  expect(chunks.length).toBeGreaterThan(1);
  const first = chunks[0]!;
  expect(first.choices[0]?.delta.role).toBe('assistant');
  for (const chunk of chunks) {
    expect(chunk.id).toBe(first.id);
    expect(chunk.created).toBe(first.created);
    expect(chunk.model).toBe(MODEL);
    expect(chunk.provider).toBe('bedrock');
    expect(chunk.object).toBe('chat.completion.chunk');
  }
  expect(first.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
  const last = chunks[chunks.length - 1]!;
  expect(last.choices).toEqual([]);
}

const WEATHER: FunctionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
  },
};
const TIME: FunctionTool = { type: 'function', function: { name: 'get_time' } };
const WEATHER_SPEC = {
  toolSpec: { name: 'get_weather', description: 'Current weather for a city', inputSchema: { json: WEATHER.function.parameters } },
};
const TIME_SPEC = { toolSpec: { name: 'get_time', inputSchema: { json: { type: 'object', properties: {} } } } };

const model = `bedrock/${MODEL}`;

const USAGE_TEXT = { prompt_tokens: 21, completion_tokens: 12, total_tokens: 33 };

describe('bedrock through the public API', () => {
  const textRequest: ChatCompletionCreateParams = {
    model,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Météo à Lyon ?' },
    ],
    max_tokens: 256,
    temperature: 0.3,
    top_p: 0.9,
    stop: ['END'],
  };
  const textBody = {
    messages: [{ role: 'user', content: [{ text: 'Météo à Lyon ?' }] }],
    system: [{ text: 'You are terse.' }],
    inferenceConfig: { maxTokens: 256, temperature: 0.3, topP: 0.9, stopSequences: ['END'] },
  };

  it('answers a text request (signed request, exact body)', async () => {
    const sent = serve(() => json('text.json'));
    const res = await gateway().chat.completions.create({ ...textRequest, stream: false });
    expect(expectSigned(sent, false).body).toEqual(textBody);
    expect(res).toEqual({
      id: 'chatcmpl-c1b9e5a0-6f0e-4d61-9a1e-0d3c2b1a0f9e',
      object: 'chat.completion',
      created: expect.any(Number),
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: "Bonjour ! Il fait beau à Lyon aujourd'hui.", refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { ...USAGE_TEXT, cost: res.usage.cost },
      provider: 'bedrock',
    });
  });

  it('streams text; usage from metadata (after messageStop) equals the non-streamed usage', async () => {
    const sent = serve(() => eventStreamResponse(transcript('stream-text.events')));
    const stream = await gateway().chat.completions.create({ ...textRequest, stream: true, stream_options: { include_usage: true } });
    const chunks = await drain(stream);
    expect(expectSigned(sent, true).body).toEqual(textBody);
    expectWellFormed(chunks);
    const got = collect(chunks);
    expect(got.content).toBe("Bonjour ! Il fait beau à Lyon aujourd'hui.");
    expect(got.finishReason).toBe('stop');
    expect(tokens(got.usage)).toEqual(USAGE_TEXT);
  });

  it('answers a tool call (tools and tool_choice auto → toolConfig)', async () => {
    const sent = serve(() => json('tool-call.json'));
    const res = await gateway().chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in Lyon?' }],
      tools: [WEATHER, TIME],
      tool_choice: 'auto',
    });
    expect(expectSigned(sent, false).body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Weather in Lyon?' }] }],
      toolConfig: { tools: [WEATHER_SPEC, TIME_SPEC], toolChoice: { auto: {} } },
    });
    expect(res.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: 'Je regarde la météo à Lyon.',
        refusal: null,
        tool_calls: [{ id: 'tooluse_Qm3xT8vLk2RdYp5wZa1Nc0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon","unit":"celsius"}' } }],
      },
      finish_reason: 'tool_calls',
      logprobs: null,
    });
    expect(tokens(res.usage)).toEqual({ prompt_tokens: 402, completion_tokens: 38, total_tokens: 440 });
  });

  it('streams a tool call with argument fragments over several events; usage identical', async () => {
    const sent = serve(() => eventStreamResponse(transcript('stream-tool-call.events'), 5));
    const stream = await gateway().chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather in Lyon?' }],
      tools: [WEATHER],
      tool_choice: 'required',
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await drain(stream);
    expect(expectSigned(sent, true).body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Weather in Lyon?' }] }],
      toolConfig: { tools: [WEATHER_SPEC], toolChoice: { any: {} } },
    });
    expectWellFormed(chunks);
    const got = collect(chunks);
    expect(got.content).toBe('Je regarde la météo à Lyon.');
    expect(got.toolCalls).toEqual([
      { index: 0, id: 'tooluse_Qm3xT8vLk2RdYp5wZa1Nc0', type: 'function', name: 'get_weather', arguments: '{"city":"Lyon","unit":"celsius"}' },
    ]);
    // The arguments arrived in three fragments, the first fragment carried id and name.
    const fragments = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(fragments.map((f) => f.function?.arguments)).toEqual(['', '{"city":"Lyo', 'n","unit":', '"celsius"}']);
    expect(got.finishReason).toBe('tool_calls');
    expect(tokens(got.usage)).toEqual({ prompt_tokens: 402, completion_tokens: 38, total_tokens: 440 });
  });

  it('answers and streams parallel tool calls (a call without arguments is {})', async () => {
    const request: ChatCompletionCreateParams = { model, messages: [{ role: 'user', content: 'Weather and time in Lyon?' }], tools: [WEATHER, TIME] };
    const calls = [
      { id: 'tooluse_Lyon0aBcDeFgHiJkLmNoPq', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
      { id: 'tooluse_Time1aBcDeFgHiJkLmNoPq', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ];
    const sent = serve((n) => (n === 1 ? json('parallel-tool-calls.json') : eventStreamResponse(transcript('stream-parallel-tool-calls.events'))));
    const res = await gateway().chat.completions.create({ ...request, stream: false });
    expect(sent[0]!.body).toEqual({ messages: [{ role: 'user', content: [{ text: 'Weather and time in Lyon?' }] }], toolConfig: { tools: [WEATHER_SPEC, TIME_SPEC] } });
    expect(res.choices[0]?.message.tool_calls).toEqual(calls);
    expect(res.choices[0]?.message.content).toBeNull();
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');

    const got = collect(await drain(await gateway().chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })));
    expect(got.toolCalls).toEqual(calls.map((c, index) => ({ index, id: c.id, type: 'function', name: c.function.name, arguments: c.function.arguments })));
    expect(got.finishReason).toBe('tool_calls');
    expect(got.usage).toEqual(res.usage);
  });

  const history: ChatMessage[] = [
    { role: 'system', content: 'Use the tools.' },
    { role: 'user', content: 'Weather and time in Lyon?' },
    {
      role: 'assistant',
      content: '',
      tool_calls: [
        { id: 'tooluse_Lyon0aBcDeFgHiJkLmNoPq', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
        { id: 'tooluse_Time1aBcDeFgHiJkLmNoPq', type: 'function', function: { name: 'get_time', arguments: '' } },
      ],
    },
    { role: 'tool', tool_call_id: 'tooluse_Lyon0aBcDeFgHiJkLmNoPq', content: '{"temperature_c":18}' },
    { role: 'tool', tool_call_id: 'tooluse_Time1aBcDeFgHiJkLmNoPq', content: [{ type: 'text', text: '10:00' }] },
    { role: 'user', content: 'Answer in French.' },
  ];
  const historyMessages = [
    { role: 'user', content: [{ text: 'Weather and time in Lyon?' }] },
    {
      role: 'assistant',
      content: [
        { toolUse: { toolUseId: 'tooluse_Lyon0aBcDeFgHiJkLmNoPq', name: 'get_weather', input: { city: 'Lyon' } } },
        { toolUse: { toolUseId: 'tooluse_Time1aBcDeFgHiJkLmNoPq', name: 'get_time', input: {} } },
      ],
    },
    {
      role: 'user',
      content: [
        { toolResult: { toolUseId: 'tooluse_Lyon0aBcDeFgHiJkLmNoPq', content: [{ text: '{"temperature_c":18}' }] } },
        { toolResult: { toolUseId: 'tooluse_Time1aBcDeFgHiJkLmNoPq', content: [{ text: '10:00' }] } },
        { text: 'Answer in French.' },
      ],
    },
  ];

  it('replays tool results in history: grouped first in one user message, with the request tools', async () => {
    const sent = serve(() => json('text.json'));
    await gateway().chat.completions.create({ model, messages: history, tools: [WEATHER, TIME] });
    expect(expectSigned(sent, false).body).toEqual({
      messages: historyMessages,
      system: [{ text: 'Use the tools.' }],
      toolConfig: { tools: [WEATHER_SPEC, TIME_SPEC] },
    });
  });

  it('tool history without tools in the request still sends a toolConfig (synthesized from the history)', async () => {
    const sent = serve(() => json('text.json'));
    const warnings: string[] = [];
    const mux = createGateway({
      providers: { bedrock: bedrock({ region: REGION, credentials: CREDS, now: () => NOW }) },
      retry: { maxRetries: 0 },
      hooks: { onWarning: (e) => warnings.push(e.message) },
    });
    await mux.chat.completions.create({ model, messages: history });
    await mux.chat.completions.create({ model, messages: history, tools: [WEATHER], tool_choice: 'none' });
    const synthesized = { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object', properties: {} } } } }, TIME_SPEC] };
    expect(sent[0]!.body).toEqual({ messages: historyMessages, system: [{ text: 'Use the tools.' }], toolConfig: synthesized });
    // With tool_choice none the request's own definitions are used where they exist; no toolChoice.
    expect(sent[1]!.body).toEqual({ messages: historyMessages, system: [{ text: 'Use the tools.' }], toolConfig: { tools: [WEATHER_SPEC, TIME_SPEC] } });
    expect(warnings.some((w) => w.includes('tool_choice "none"'))).toBe(true);
  });

  it('sends image input as bytes from a data: URL', async () => {
    const sent = serve(() => json('text.json'));
    await gateway().chat.completions.create({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' } },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==' } },
          ],
        },
      ],
    });
    expect(expectSigned(sent, false).body).toEqual({
      messages: [
        {
          role: 'user',
          content: [
            { text: 'What is in this picture?' },
            { image: { format: 'png', source: { bytes: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' } } },
            { image: { format: 'jpeg', source: { bytes: '/9j/4AAQSkZJRgABAQ==' } } },
          ],
        },
      ],
    });
  });

  it('refuses an https image URL with a ValidationError naming the field, before sending', async () => {
    const sent = serve(() => json('text.json'));
    const error: unknown = await gateway()
      .chat.completions.create({
        model,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
      })
      .catch((e: unknown) => e);
    expect(ModelmuxError.isInstance(error) && error.code).toBe('validation_error');
    expect((error as { field: string }).field).toBe('messages.0.content.1.image_url.url');
    expect(sent).toHaveLength(0);
  });

  describe('json_schema output', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, temperature_c: { type: 'number' }, sky: { type: 'string' } },
      required: ['city', 'temperature_c', 'sky'],
      additionalProperties: false,
    };
    const request: ChatCompletionCreateParams = {
      model,
      messages: [{ role: 'user', content: 'Weather in Lyon as JSON.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather_report', description: 'A weather report', schema, strict: true } },
    };
    const body = {
      messages: [{ role: 'user', content: [{ text: 'Weather in Lyon as JSON.' }] }],
      toolConfig: {
        tools: [{ toolSpec: { name: 'weather_report', description: 'A weather report', inputSchema: { json: schema } } }],
        toolChoice: { tool: { name: 'weather_report' } },
      },
    };
    const answer = '{"city":"Lyon","temperature_c":18,"sky":"clear"}';

    it('non-streamed: a forced tool whose input becomes the content', async () => {
      const sent = serve(() => json('json-schema.json'));
      const res = await gateway().chat.completions.create({ ...request, stream: false });
      expect(expectSigned(sent, false).body).toEqual(body);
      expect(res.choices[0]?.message).toEqual({ role: 'assistant', content: answer, refusal: null });
      expect(res.choices[0]?.finish_reason).toBe('stop');
    });

    it('streamed: the tool input fragments are content', async () => {
      const sent = serve(() => eventStreamResponse(transcript('stream-json-schema.events')));
      const got = collect(await drain(await gateway().chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })));
      expect(expectSigned(sent, true).body).toEqual(body);
      expect(got.content).toBe(answer);
      expect(got.toolCalls).toEqual([]);
      expect(got.finishReason).toBe('stop');
      expect(tokens(got.usage)).toEqual({ prompt_tokens: 230, completion_tokens: 41, total_tokens: 271 });
    });
  });

  describe('reasoning', () => {
    const request: ChatCompletionCreateParams = {
      model,
      messages: [{ role: 'user', content: 'Weather in Lyon?' }],
      tools: [WEATHER],
      reasoning_effort: 'low',
      max_tokens: 4000,
    };
    const body = {
      messages: [{ role: 'user', content: [{ text: 'Weather in Lyon?' }] }],
      inferenceConfig: { maxTokens: 4000 },
      toolConfig: { tools: [WEATHER_SPEC] },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } },
    };
    const signature = 'EqQBCkgIARABGAIiQL8vZ0c2t4Q3eXhhbXBsZS1zaWduYXR1cmU=';
    const details = [{ type: 'reasoning.text', text: 'Lyon is in France; I need the weather tool.', signature, format: 'anthropic-claude-v1' }];

    it('reasoning_effort → thinking; the signature is sent back on the next turn', async () => {
      const sent = serve((n) => json(n === 1 ? 'reasoning.json' : 'text.json'));
      const mux = gateway();
      const res = await mux.chat.completions.create({ ...request, stream: false });
      expect(sent[0]!.body).toEqual(body);
      const message = res.choices[0]!.message;
      expect(message.reasoning_content).toBe('Lyon is in France; I need the weather tool.');
      expect(message.reasoning_details).toEqual(details);
      expect(message.content).toBe('Let me check.');
      expect(res.choices[0]?.finish_reason).toBe('tool_calls');

      await mux.chat.completions.create({
        ...request,
        stream: false,
        messages: [...request.messages, message, { role: 'tool', tool_call_id: 'tooluse_Rsn2aBcDeFgHiJkLmNoPqR', content: '18°C, clear' }],
      });
      expect((sent[1]!.body as { messages: unknown[] }).messages).toEqual([
        { role: 'user', content: [{ text: 'Weather in Lyon?' }] },
        {
          role: 'assistant',
          content: [
            { reasoningContent: { reasoningText: { text: 'Lyon is in France; I need the weather tool.', signature } } },
            { text: 'Let me check.' },
            { toolUse: { toolUseId: 'tooluse_Rsn2aBcDeFgHiJkLmNoPqR', name: 'get_weather', input: { city: 'Lyon' } } },
          ],
        },
        { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_Rsn2aBcDeFgHiJkLmNoPqR', content: [{ text: '18°C, clear' }] } }] },
      ]);
    });

    it('streamed: reasoning_content deltas, the whole signed detail at the block stop, usage identical', async () => {
      const sent = serve((n) => (n === 1 ? json('reasoning.json') : eventStreamResponse(transcript('stream-reasoning.events'), 3)));
      const res = await gateway().chat.completions.create({ ...request, stream: false });
      const got = collect(await drain(await gateway().chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })));
      expect(sent[1]!.body).toEqual(body);
      expect(got.reasoning).toBe(res.choices[0]!.message.reasoning_content);
      expect(got.reasoningDetails).toEqual(details);
      expect(got.content).toBe('Let me check.');
      expect(got.toolCalls.map((c) => [c.id, c.name, c.arguments])).toEqual([['tooluse_Rsn2aBcDeFgHiJkLmNoPqR', 'get_weather', '{"city":"Lyon"}']]);
      expect(got.finishReason).toBe('tool_calls');
      expect(got.usage).toEqual(res.usage);
    });
  });

  describe('prompt caching', () => {
    const request: ChatCompletionCreateParams = {
      model,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Contract text…', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'text', text: 'What does article 3 cover?', cache_control: { type: 'ephemeral' } }] },
      ],
    };
    const body = {
      messages: [{ role: 'user', content: [{ text: 'What does article 3 cover?' }, { cachePoint: { type: 'default' } }] }],
      system: [{ text: 'Contract text…' }, { cachePoint: { type: 'default' } }],
    };
    const usage = {
      prompt_tokens: 14 + 3200 + 336,
      completion_tokens: 9,
      total_tokens: 3559,
      prompt_tokens_details: { cached_tokens: 3200, cache_write_tokens: 336 },
    };

    it('cache_control → cachePoint; cache reads and writes in the unified usage, streamed or not', async () => {
      const sent = serve((n) => (n === 1 ? json('cache-usage.json') : eventStreamResponse(transcript('stream-cache-usage.events'))));
      const res = await gateway().chat.completions.create({ ...request, stream: false });
      expect(sent[0]!.body).toEqual(body);
      expect(tokens(res.usage)).toEqual(usage);
      const got = collect(await drain(await gateway().chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })));
      expect(sent[1]!.body).toEqual(body);
      expect(got.usage).toEqual(res.usage);
      expect(tokens(got.usage)).toEqual(usage);
    });
  });

  it('maps guardrail_intervened to content_filter', async () => {
    serve(() => json('guardrail.json'));
    const res = await gateway().chat.completions.create({ ...textRequest, stream: false });
    expect(res.choices[0]?.finish_reason).toBe('content_filter');
  });

  it('streams max_tokens as length', async () => {
    serve(() => eventStreamResponse(transcript('stream-max-tokens.events')));
    const got = collect(await drain(await gateway().chat.completions.create({ ...textRequest, stream: true })));
    expect(got.finishReason).toBe('length');
    expect(got.chunks.every((c) => c.choices.length === 1)).toBe(true); // no usage chunk without include_usage
  });
});

describe('bedrock authentication through the public API', () => {
  it('signs with the exact authorization header for a fixed date and credentials', async () => {
    const sent = serve(() => json('text.json'));
    await gateway({ credentials: { accessKeyId: CREDS.accessKeyId, secretAccessKey: CREDS.secretAccessKey } }).chat.completions.create({
      model: 'bedrock/amazon.nova-lite-v1:0',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const body = '{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}';
    // The canonical request, written out: the model id's ":" is %3A in the URL and %253A here.
    const canonical = [
      'POST',
      '/model/amazon.nova-lite-v1%253A0/converse',
      '',
      'content-type:application/json',
      'host:bedrock-runtime.us-east-1.amazonaws.com',
      `x-amz-date:${STAMP}`,
      '',
      'content-type;host;x-amz-date',
      createHash('sha256').update(body).digest('hex'),
    ];
    expect(sent[0]!.url).toBe(`${BASE}/model/amazon.nova-lite-v1%3A0/converse`);
    expect(sent[0]!.text).toBe(body);
    expect(sent[0]!.headers.authorization).toBe(authorizationFor(canonical.join('\n'), 'content-type;host;x-amz-date', STAMP, REGION, CREDS));
    expect(sent[0]!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20260315\/us-east-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(sent[0]!.headers['x-amz-security-token']).toBeUndefined();
  });

  it('the fetch transport sends the same signed request and decodes the same stream', async () => {
    const sent = serve((n) => (n === 1 ? json('text.json') : eventStreamResponse(transcript('stream-text.events'), 11)));
    const mux = gateway({ fetch: (input, init) => globalThis.fetch(input, init) });
    await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
    expect(sent[0]!.headers.authorization).toBe(expectedBedrockAuthorization(CONVERSE, sent[0]!.text, STAMP, REGION, CREDS));
    const got = collect(await drain(await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true })));
    expect(sent[1]!.url).toBe(CONVERSE_STREAM);
    expect(sent[1]!.headers.authorization).toBe(expectedBedrockAuthorization(CONVERSE_STREAM, sent[1]!.text, STAMP, REGION, CREDS));
    expect(got.content).toBe("Bonjour ! Il fait beau à Lyon aujourd'hui.");
  });

  it('keeps an inference-profile ARN intact: one encoded path segment, signed double-encoded', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6';
    const sent = serve(() => json('text.json'));
    await gateway().chat.completions.create({ model: `bedrock/${arn}`, messages: [{ role: 'user', content: 'Hi' }] });
    expect(sent[0]!.url).toBe(`${BASE}/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3d4e5f6/converse`);
    expect(sent[0]!.headers.authorization).toBe(expectedBedrockAuthorization(sent[0]!.url, sent[0]!.text, STAMP, REGION, CREDS));
  });

  it('reads credentials and region from the environment', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-3');
    vi.stubEnv('AWS_ACCESS_KEY_ID', CREDS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', CREDS.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', CREDS.sessionToken);
    const sent = serve(() => json('text.json'));
    const mux = createGateway({ providers: { bedrock: bedrock({ now: () => NOW }) }, retry: { maxRetries: 0 } });
    await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
    const url = 'https://bedrock-runtime.eu-west-3.amazonaws.com/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse';
    expect(sent[0]!.url).toBe(url);
    expect(sent[0]!.headers['x-amz-security-token']).toBe(CREDS.sessionToken);
    expect(sent[0]!.headers.authorization).toBe(expectedBedrockAuthorization(url, sent[0]!.text, STAMP, 'eu-west-3', CREDS));
  });

  it('a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) is sent as a bearer token, unsigned', async () => {
    vi.stubEnv('AWS_REGION', 'us-west-2');
    vi.stubEnv('AWS_BEARER_TOKEN_BEDROCK', 'ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlMTIzNDU2Nzg5MA==');
    const sent = serve(() => json('text.json'));
    const mux = createGateway({ providers: { bedrock: bedrock() }, retry: { maxRetries: 0 } });
    await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
    expect(sent[0]!.url).toBe('https://bedrock-runtime.us-west-2.amazonaws.com/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse');
    expect(sent[0]!.headers.authorization).toBe('Bearer ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlMTIzNDU2Nzg5MA==');
    expect(sent[0]!.headers['x-amz-date']).toBeUndefined();
  });

  it('a custom baseURL (e.g. a VPC endpoint) is used as given; the region still scopes the signature', async () => {
    const base = 'https://vpce-0a1b2c3d-bedrock.bedrock-runtime.us-east-1.vpce.amazonaws.com';
    const sent = serve(() => json('text.json'));
    await gateway({ baseURL: `${base}/` }).chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
    expect(sent[0]!.url).toBe(`${base}/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse`);
    expect(sent[0]!.headers.authorization).toBe(expectedBedrockAuthorization(sent[0]!.url, sent[0]!.text, STAMP, REGION, CREDS));
  });

  it('no region → ValidationError naming region; no credentials → AuthenticationError; nothing sent', async () => {
    const sent = serve(() => json('text.json'));
    const noRegion: unknown = await createGateway({ providers: { bedrock: bedrock({ credentials: CREDS }) } })
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(noRegion).toMatchObject({ code: 'validation_error', field: 'region' });
    const noCreds: unknown = await createGateway({ providers: { bedrock: bedrock({ region: REGION }) } })
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(noCreds).toMatchObject({ code: 'authentication_error', provider: 'bedrock' });
    expect((noCreds as Error).message).toContain('AWS_ACCESS_KEY_ID');
    expect(sent).toHaveLength(0);
  });
});

interface ErrorCase {
  file: string;
  status: number;
  type: string;
  expect: { name: string; code: string; retryable: boolean; messageIncludes: string };
}

const ERROR_CASES: ErrorCase[] = [
  { file: 'error-throttling.json', status: 429, type: 'ThrottlingException', expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, messageIncludes: 'Too many tokens' } },
  { file: 'error-quota.json', status: 400, type: 'ServiceQuotaExceededException', expect: { name: 'QuotaExceededError', code: 'quota_exceeded', retryable: false, messageIncludes: 'service quota' } },
  { file: 'error-access-denied.json', status: 403, type: 'AccessDeniedException', expect: { name: 'PermissionError', code: 'permission_error', retryable: false, messageIncludes: "don't have access" } },
  { file: 'error-unrecognized-client.json', status: 403, type: 'UnrecognizedClientException', expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'security token' } },
  { file: 'error-invalid-signature.json', status: 403, type: 'InvalidSignatureException', expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'signature we calculated' } },
  { file: 'error-expired-token.json', status: 403, type: 'ExpiredTokenException', expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'expired' } },
  { file: 'error-validation.json', status: 400, type: 'ValidationException', expect: { name: 'BadRequestError', code: 'bad_request', retryable: false, messageIncludes: 'roles must alternate' } },
  { file: 'error-context.json', status: 400, type: 'ValidationException', expect: { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, messageIncludes: 'Input is too long' } },
  { file: 'error-not-found.json', status: 404, type: 'ResourceNotFoundException', expect: { name: 'NotFoundError', code: 'not_found', retryable: false, messageIncludes: 'model identifier' } },
  { file: 'error-model-timeout.json', status: 408, type: 'ModelTimeoutException', expect: { name: 'ServerError', code: 'server_error', retryable: true, messageIncludes: 'timed out' } },
  { file: 'error-model-not-ready.json', status: 429, type: 'ModelNotReadyException', expect: { name: 'ServerError', code: 'server_error', retryable: true, messageIncludes: 'not ready' } },
  { file: 'error-model-error.json', status: 424, type: 'ModelErrorException', expect: { name: 'ServerError', code: 'server_error', retryable: true, messageIncludes: 'Model error' } },
  { file: 'error-internal.json', status: 500, type: 'InternalServerException', expect: { name: 'ServerError', code: 'server_error', retryable: true, messageIncludes: 'unexpected error' } },
  { file: 'error-unavailable.json', status: 503, type: 'ServiceUnavailableException', expect: { name: 'ProviderOverloadedError', code: 'overloaded', retryable: true, messageIncludes: 'unable to process' } },
];

describe('bedrock errors through the public API', () => {
  it.each(ERROR_CASES)('$status $type → $expect.name', async (c) => {
    serve(() =>
      json(c.file, c.status, { 'x-amzn-errortype': `${c.type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': 'req-err-42' }),
    );
    const error: unknown = await gateway()
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(ModelmuxError.isInstance(error)).toBe(true);
    if (!ModelmuxError.isInstance(error)) return;
    expect(error.name).toBe(c.expect.name);
    expect(error.code).toBe(c.expect.code);
    expect(error.retryable).toBe(c.expect.retryable);
    expect(error.status).toBe(c.status);
    expect(error.provider).toBe('bedrock');
    expect(error.model).toBe(MODEL);
    expect(error.requestId).toBe('req-err-42');
    expect(error.providerCode).toBe(c.type);
    expect(error.message).toContain(c.expect.messageIncludes);
    if ('retryAfterMs' in error) expect(error.retryAfterMs).toBeUndefined(); // no Retry-After on Bedrock: backoff
    const everything = `${error.message}\n${error.stack}\n${JSON.stringify(error)}`;
    expect(everything).not.toContain(CREDS.secretAccessKey);
    expect(everything).not.toContain(CREDS.sessionToken);
  });

  it('the type in the body (__type) when the header is missing; a 500 is retried', async () => {
    serve(() => json('error-context-type-in-body.json', 400, {}));
    const error: unknown = await gateway()
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'context_window_exceeded', providerCode: 'ValidationException', status: 400 });

    const sent = serve((n) => (n === 1 ? json('error-internal.json', 500, { 'x-amzn-errortype': 'InternalServerException' }) : json('text.json')));
    const mux = createGateway({ providers: { bedrock: bedrock({ region: REGION, credentials: CREDS, now: () => NOW }) }, retry: { maxRetries: 1 } });
    const res = await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.choices[0]?.message.content).toContain('Bonjour');
    expect(sent).toHaveLength(2);
  });

  it('a non-JSON 502 → ServerError', async () => {
    serve(() => new HttpResponse(fixture('error-502.html'), { status: 502, headers: { 'content-type': 'text/html' } }));
    const error: unknown = await gateway()
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ServerError', status: 502 });
    expect((error as Error).message).toContain('502 Bad Gateway');
  });

  it.each<[string, string, { name: string; code: string; retryable: boolean; status: number | undefined }]>([
    ['stream-throttling-before-content.events', 'throttlingException', { name: 'RateLimitError', code: 'rate_limit', retryable: true, status: 429 }],
    ['stream-model-error.events', 'modelStreamErrorException', { name: 'ServerError', code: 'server_error', retryable: true, status: 424 }],
    ['stream-validation.events', 'validationException', { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, status: 400 }],
    ['stream-unavailable.events', 'serviceUnavailableException', { name: 'ProviderOverloadedError', code: 'overloaded', retryable: true, status: 503 }],
    ['stream-internal.events', 'internalServerException', { name: 'ServerError', code: 'server_error', retryable: true, status: 500 }],
    ['stream-error-message.events', 'InternalFailure', { name: 'ServerError', code: 'server_error', retryable: true, status: undefined }],
  ])('an in-stream %s before content → the typed error from create()', async (file, type, expected) => {
    serve(() => eventStreamResponse(transcript(file)));
    const error: unknown = await gateway()
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ ...expected, provider: 'bedrock', model: MODEL });
    expect((error as { providerCode?: string }).providerCode?.toLowerCase()).toBe(type.toLowerCase());
  });

  it('an in-stream internalServerException before content is retried', async () => {
    const sent = serve((n) => eventStreamResponse(transcript(n === 1 ? 'stream-internal.events' : 'stream-text.events')));
    const mux = createGateway({ providers: { bedrock: bedrock({ region: REGION, credentials: CREDS, now: () => NOW }) }, retry: { maxRetries: 1 } });
    const got = collect(await drain(await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true })));
    expect(got.content).toBe("Bonjour ! Il fait beau à Lyon aujourd'hui.");
    expect(sent).toHaveLength(2);
  });

  it('an in-stream throttlingException after content → StreamError with the typed cause', async () => {
    serve(() => eventStreamResponse(transcript('stream-throttling-after-content.events')));
    const stream = await gateway().chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const error: unknown = await drain(stream).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StreamError', code: 'stream_error', partialContent: 'Bonjour' });
    expect((error as { cause?: unknown }).cause).toMatchObject({ name: 'RateLimitError', code: 'rate_limit' });
  });

  it('a stream ending after messageStop without metadata is not complete', async () => {
    serve(() => eventStreamResponse(transcript('stream-no-metadata.events')));
    const stream = await gateway().chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const error: unknown = await drain(stream).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StreamError', partialContent: 'Bonjour' });
    expect((error as { cause?: unknown }).cause).toMatchObject({ code: 'invalid_response' });
  });

  it('a corrupted frame (bad CRC) before content → InvalidResponseError from create()', async () => {
    const bytes = transcript('stream-text.events');
    bytes[20]! ^= 0x01;
    serve(() => eventStreamResponse(bytes));
    const error: unknown = await gateway()
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_response', provider: 'bedrock' });
    expect((error as Error).message).toContain('CRC');
  });

  it('JSON where an event stream was asked → the typed error of the JSON', async () => {
    serve(() => json('error-throttling.json', 200));
    const error: unknown = await gateway()
      .chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], stream: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_response' });
  });
});
