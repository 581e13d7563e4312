/**
 * Gemini through the public API (`createGateway` + `chat.completions.create`) against msw, with
 * fixtures in Gemini's wire format (SSE framed with CRLF, no `[DONE]`). Each scenario asserts the
 * unified result and the exact request sent.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChatCompletionChunk, type ChatCompletionCreateParams, type ChatMessage, type CompletionUsage, createGateway, ModelmuxError, StreamError } from '../../../src/index.js';
import { google } from '../../../src/providers/google/index.js';
import { assistantFromStream, collect, fixture, HOST, KEY, PARALLEL_SIGNATURE, TEXT_SIGNATURE, TOOL_ID, TOOL_SIGNATURE } from './helpers.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());
beforeEach(() => {
  vi.unstubAllEnvs();
  for (const name of ['GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'GOOGLE_API_KEY']) vi.stubEnv(name, '');
});

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Serves answers in order (the last one repeats) and records what was sent. */
function serve(...answers: Array<() => Response>): Sent[] {
  const sent: Sent[] = [];
  server.use(
    http.post(`${HOST}/*`, async ({ request }) => {
      sent.push({ url: request.url, headers: Object.fromEntries(request.headers), body: (await request.json()) as Record<string, unknown> });
      const answer = answers[Math.min(sent.length - 1, answers.length - 1)] as () => Response;
      return answer();
    }),
  );
  return sent;
}

/** An SSE body delivered in uneven pieces (CRLF pairs split across reads), as a network would. */
function sse(text: string): Response {
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 61) controller.enqueue(bytes.subarray(at, at + 61));
      controller.close();
    },
  });
  return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
}

function json(text: string, status = 200, headers: Record<string, string> = {}): Response {
  return new HttpResponse(text, { status, headers: { 'content-type': 'application/json; charset=UTF-8', ...headers } });
}

const warnings: string[] = [];
function gateway() {
  warnings.length = 0;
  return createGateway({
    providers: { google: google({ apiKey: KEY }) },
    retry: { maxRetries: 0 },
    hooks: { onWarning: (event) => warnings.push(event.message) },
  });
}

const GENERATE = `${HOST}/v1beta/models/gemini-2.5-flash:generateContent`;
const STREAM = `${HOST}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`;

function expectHeaders(request: Sent, stream: boolean): void {
  expect(request.headers['x-goog-api-key']).toBe(KEY);
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers.accept).toBe(stream ? 'text/event-stream' : 'application/json');
  expect(request.headers.authorization).toBeUndefined();
  expect(request.url).not.toContain(KEY);
}

async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function failure(promise: Promise<unknown>): Promise<ModelmuxError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!ModelmuxError.isInstance(error)) throw new Error(`expected a ModelmuxError, got ${String(error)}`);
  return error;
}

const TEXT_REQUEST = {
  model: 'google/gemini-2.5-flash',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'What is the weather in Lyon?' },
  ] as ChatMessage[],
  temperature: 0.2,
  max_tokens: 256,
};
const TEXT_BODY = {
  contents: [{ role: 'user', parts: [{ text: 'What is the weather in Lyon?' }] }],
  systemInstruction: { parts: [{ text: 'Be brief.' }] },
  generationConfig: { temperature: 0.2, maxOutputTokens: 256 },
};
/** text.json's usage: 2 048 of the 2 081 prompt tokens read from the cache, 64 thinking tokens. */
const TEXT_USAGE = {
  prompt_tokens: 2081,
  completion_tokens: 76,
  total_tokens: 2157,
  prompt_tokens_details: { cached_tokens: 2048 },
  completion_tokens_details: { reasoning_tokens: 64 },
};

/** Token counts only: `usage.cost` is the core's (price catalog), not the adapter's. */
function tokens(usage: CompletionUsage | undefined): Omit<CompletionUsage, 'cost'> | undefined {
  if (usage === undefined) return undefined;
  const { cost: _cost, ...rest } = usage;
  return rest;
}

const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['celsius', 'fahrenheit', null], default: 'celsius' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};
const WEATHER_DECLARATION = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'], nullable: true } },
    required: ['city'],
  },
};
const TOOL_REQUEST = {
  model: 'google/gemini-2.5-flash',
  messages: [{ role: 'user', content: 'Weather in Lyon and Paris?' }] as ChatMessage[],
  tools: [WEATHER_TOOL],
  tool_choice: 'auto' as const,
};
const TOOL_BODY = {
  contents: [{ role: 'user', parts: [{ text: 'Weather in Lyon and Paris?' }] }],
  tools: [{ functionDeclarations: [WEATHER_DECLARATION] }],
  toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
};

describe('google through the public API', () => {
  it('answers a text request, with prompt-cache and thinking usage', async () => {
    const sent = serve(() => json(fixture('text.json')));
    const res = await gateway().chat.completions.create(TEXT_REQUEST);
    expect(sent).toHaveLength(1);
    const [request] = sent as [Sent];
    expect(request.url).toBe(GENERATE);
    expectHeaders(request, false);
    expect(request.body).toEqual(TEXT_BODY);
    expect(res).toMatchObject({ id: 'p8ZlaeKbDMyQ1MkPnt2XoAg', object: 'chat.completion', model: 'gemini-2.5-flash', provider: 'google' });
    expect(res.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'Lyon is mild today, around 14°C.', refusal: null }, finish_reason: 'stop', logprobs: null },
    ]);
    expect(tokens(res.usage)).toEqual(TEXT_USAGE);
  });

  it('streams text framed with CRLF and no [DONE]; usage identical to the non-streamed answer', async () => {
    const transcript = fixture('stream-text.sse');
    expect(transcript).toContain('\r\n\r\n');
    expect(transcript.replace(/\r\n/g, '')).not.toContain('\n');
    expect(transcript).not.toContain('[DONE]');
    const sent = serve(() => sse(transcript));
    const stream = await gateway().chat.completions.create({ ...TEXT_REQUEST, stream: true, stream_options: { include_usage: true } });
    const got = collect(await drain(stream));
    const [request] = sent as [Sent];
    expect(request.url).toBe(STREAM);
    expectHeaders(request, true);
    expect(request.body).toEqual(TEXT_BODY);
    expect(got.content).toBe('Lyon is mild today, around 14°C.');
    expect(got.finishReason).toBe('stop');
    expect(got.chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    for (const chunk of got.chunks) {
      expect(chunk).toMatchObject({ id: 'p8ZlaeKbDMyQ1MkPnt2XoAg', object: 'chat.completion.chunk', model: 'gemini-2.5-flash', provider: 'google' });
      expect(chunk.created).toBe(got.chunks[0]?.created);
    }
    const last = got.chunks[got.chunks.length - 1];
    expect(last?.choices).toEqual([]);
    expect(tokens(got.usage)).toEqual(TEXT_USAGE);
  });

  it('answers a tool call: generated id, arguments, tool_calls finish, reduced schema sent', async () => {
    const sent = serve(() => json(fixture('tool-call.json')));
    const res = await gateway().chat.completions.create(TOOL_REQUEST);
    expect((sent[0] as Sent).body).toEqual(TOOL_BODY);
    const choice = res.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0];
    expect(call?.id).toMatch(TOOL_ID);
    expect(call).toEqual({ id: call?.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } });
    expect(choice?.message.reasoning_details).toEqual([{ type: 'reasoning.encrypted', data: TOOL_SIGNATURE, id: call?.id, format: 'google-gemini-v1' }]);
    expect(res.usage).toMatchObject({ prompt_tokens: 74, completion_tokens: 127, total_tokens: 201 });
  });

  it('answers parallel tool calls of the same function with unique ids, also across turns', async () => {
    serve(() => json(fixture('parallel-tool-calls.json')));
    const mux = gateway();
    const first = await mux.chat.completions.create(TOOL_REQUEST);
    const second = await mux.chat.completions.create(TOOL_REQUEST);
    const calls = first.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => [c.function.name, c.function.arguments])).toEqual([
      ['get_weather', '{"city":"Lyon"}'],
      ['get_weather', '{"city":"Paris","unit":"celsius"}'],
    ]);
    const ids = [...calls, ...(second.choices[0]?.message.tool_calls ?? [])].map((c) => c.id);
    expect(ids).toHaveLength(4);
    for (const id of ids) expect(id).toMatch(TOOL_ID);
    expect(new Set(ids).size).toBe(4);
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('streams tool calls arriving whole over several events as indexed tool-call deltas', async () => {
    const sent = serve(() => sse(fixture('stream-tool-call.sse')));
    const stream = await gateway().chat.completions.create({ ...TOOL_REQUEST, stream: true, stream_options: { include_usage: true } });
    const got = collect(await drain(stream));
    expect((sent[0] as Sent).url).toBe(STREAM);
    expect((sent[0] as Sent).body).toEqual(TOOL_BODY);
    expect(got.content).toBe('Let me check both cities.');
    expect(got.toolCalls).toEqual([
      { index: 0, id: got.toolCalls[0]?.id, type: 'function', name: 'get_weather', arguments: '{"city":"Lyon"}' },
      { index: 1, id: got.toolCalls[1]?.id, type: 'function', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
    ]);
    expect(got.toolCalls[0]?.id).toMatch(TOOL_ID);
    expect(got.toolCalls[1]?.id).toMatch(TOOL_ID);
    expect(got.toolCalls[0]?.id).not.toBe(got.toolCalls[1]?.id);
    expect(got.finishReason).toBe('tool_calls');
    // Each call arrives in one delta carrying id, type, name and the full arguments.
    const deltas = got.chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    expect(deltas).toHaveLength(2);
  });

  it('streamed and non-streamed tool-call answers give identical usage', async () => {
    serve(() => json(fixture('parallel-tool-calls.json')), () => sse(fixture('stream-tool-call.sse')));
    const mux = gateway();
    const plain = await mux.chat.completions.create(TOOL_REQUEST);
    const got = collect(await drain(await mux.chat.completions.create({ ...TOOL_REQUEST, stream: true, stream_options: { include_usage: true } })));
    expect(got.usage).toEqual(plain.usage);
    expect(tokens(plain.usage)).toEqual({ prompt_tokens: 80, completion_tokens: 174, total_tokens: 254, completion_tokens_details: { reasoning_tokens: 143 } });
  });

  it('sends tool results from history as functionResponse parts named after the call, grouped in one user turn', async () => {
    const sent = serve(() => json(fixture('text.json')));
    await gateway().chat.completions.create({
      ...TOOL_REQUEST,
      messages: [
        { role: 'user', content: 'Weather in Lyon and Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '18°C and sunny' },
        { role: 'tool', tool_call_id: 'call_b', content: '{"temperature":15,"sky":"cloudy"}' },
      ],
    });
    expect((sent[0] as Sent).body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Lyon and Paris?' }] },
      {
        role: 'model',
        parts: [{ functionCall: { name: 'get_weather', args: { city: 'Lyon' } } }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { result: '18°C and sunny' } } },
          { functionResponse: { name: 'get_weather', response: { temperature: 15, sky: 'cloudy' } } },
        ],
      },
    ]);
  });

  it('round-trips the function call signature exactly on the next turn, streamed or not', async () => {
    serve(() => json(fixture('parallel-tool-calls.json')), () => sse(fixture('stream-tool-call.sse')), () => json(fixture('text.json')));
    const mux = gateway();
    const plain = await mux.chat.completions.create(TOOL_REQUEST);
    const streamed = assistantFromStream(
      collect(await drain(await mux.chat.completions.create({ ...TOOL_REQUEST, stream: true, stream_options: { include_usage: true } }))),
    );
    const sent = serve(() => json(fixture('text.json')));
    for (const assistant of [plain.choices[0]?.message, streamed]) {
      const calls = assistant?.tool_calls ?? [];
      await mux.chat.completions.create({
        ...TOOL_REQUEST,
        messages: [
          ...TOOL_REQUEST.messages,
          assistant as ChatMessage,
          { role: 'tool', tool_call_id: calls[0]?.id ?? '', content: '18°C' },
          { role: 'tool', tool_call_id: calls[1]?.id ?? '', content: '15°C' },
        ],
      });
    }
    expect(sent).toHaveLength(2);
    const replay = (sent[0] as Sent).body.contents as unknown[];
    expect(replay[1]).toEqual({
      role: 'model',
      parts: [
        { functionCall: { name: 'get_weather', args: { city: 'Lyon' } }, thoughtSignature: PARALLEL_SIGNATURE },
        { functionCall: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } } },
      ],
    });
    // The streamed turn's replay differs only by the text the stream had before its calls.
    const streamedReplay = (sent[1] as Sent).body.contents as Array<{ parts: unknown[] }>;
    expect(streamedReplay[1]?.parts).toEqual([{ text: 'Let me check both cities.' }, ...((replay[1] as { parts: unknown[] }).parts)]);
    expect(streamedReplay[2]).toEqual(replay[2]);
    expect(replay[2]).toEqual({
      role: 'user',
      parts: [
        { functionResponse: { name: 'get_weather', response: { result: '18°C' } } },
        { functionResponse: { name: 'get_weather', response: { result: '15°C' } } },
      ],
    });
  });

  it('sends images: data: URLs inline, https URLs as fileData', async () => {
    const sent = serve(() => json(fixture('image.json')));
    const res = await gateway().chat.completions.create({
      model: 'google/gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe both images.' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' } },
            { type: 'image_url', image_url: { url: 'https://example.com/photos/bike.jpg?size=large', detail: 'high' } },
          ],
        },
      ],
    });
    expect((sent[0] as Sent).body).toEqual({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'Describe both images.' },
            { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' } },
            { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/photos/bike.jpg?size=large' } },
          ],
        },
      ],
    });
    expect(res.choices[0]?.message.content).toBe('A red bicycle leaning against a stone wall.');
    expect(res.usage.prompt_tokens).toBe(1041);
  });

  it('asks for JSON with a reduced responseSchema for json_schema output', async () => {
    const sent = serve(() => json(fixture('json-schema.json')));
    const res = await gateway().chat.completions.create({
      model: 'google/gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Weather in Lyon as JSON' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'weather',
          strict: true,
          schema: {
            type: 'object',
            $defs: { conditions: { anyOf: [{ type: 'string', enum: ['sunny', 'cloudy', 'rain'] }, { type: 'null' }] } },
            properties: {
              city: { type: 'string', examples: ['Lyon'] },
              temperature_c: { type: 'integer', format: 'int32', exclusiveMinimum: -100 },
              conditions: { $ref: '#/$defs/conditions' },
            },
            required: ['city', 'temperature_c', 'conditions'],
            additionalProperties: false,
          },
        },
      },
    });
    expect((sent[0] as Sent).body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          temperature_c: { type: 'integer', format: 'int32' },
          conditions: { type: 'string', enum: ['sunny', 'cloudy', 'rain'], nullable: true },
        },
        required: ['city', 'temperature_c', 'conditions'],
      },
    });
    expect(JSON.parse(res.choices[0]?.message.content ?? '')).toEqual({ city: 'Lyon', temperature_c: 14, conditions: null });
  });

  it('returns thoughts as reasoning_content and sends the text signature back exactly, streamed or not', async () => {
    const request: ChatCompletionCreateParams = {
      model: 'google/gemini-2.5-pro',
      messages: [{ role: 'user', content: 'How far is Lyon from Paris by road?' }],
      reasoning_effort: 'high',
    };
    const sent = serve(
      () => json(fixture('reasoning.json')),
      () => sse(fixture('stream-reasoning.sse')),
      () => json(fixture('text.json')),
    );
    const mux = gateway();
    const plain = await mux.chat.completions.create({ ...request, stream: false });
    expect((sent[0] as Sent).url).toBe(`${HOST}/v1beta/models/gemini-2.5-pro:generateContent`);
    expect((sent[0] as Sent).body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 24576, includeThoughts: true } });
    const message = plain.choices[0]?.message;
    expect(message?.content).toBe('About 465 km by road.');
    expect(message?.reasoning_content).toBe('**Estimating the distance**\n\nLyon to Paris by road follows the A6, roughly 465 km.\n');
    expect(message?.reasoning_details).toEqual([{ type: 'reasoning.encrypted', data: TEXT_SIGNATURE, id: 'text', format: 'google-gemini-v1' }]);
    expect(tokens(plain.usage)).toEqual({ prompt_tokens: 14, completion_tokens: 319, total_tokens: 333, completion_tokens_details: { reasoning_tokens: 312 } });

    const got = collect(await drain(await mux.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } })));
    expect(got.reasoning).toBe(message?.reasoning_content);
    expect(got.content).toBe(message?.content);
    expect(got.usage).toEqual(plain.usage);
    const streamed = assistantFromStream(got);
    expect(streamed.reasoning_details).toEqual(message?.reasoning_details);

    for (const assistant of [message as ChatMessage, streamed]) {
      await mux.chat.completions.create({ ...request, messages: [...request.messages, assistant, { role: 'user', content: 'And by train?' }] });
    }
    const replays = sent.slice(2).map((s) => s.body.contents);
    expect(replays[0]).toEqual([
      { role: 'user', parts: [{ text: 'How far is Lyon from Paris by road?' }] },
      { role: 'model', parts: [{ text: 'About 465 km by road.', thoughtSignature: TEXT_SIGNATURE }] },
      { role: 'user', parts: [{ text: 'And by train?' }] },
    ]);
    expect(replays[1]).toEqual(replays[0]);
  });

  it('maps a SAFETY finish to content_filter, streamed or not', async () => {
    serve(() => json(fixture('safety.json')), () => sse(fixture('stream-safety.sse')));
    const mux = gateway();
    const res = await mux.chat.completions.create(TEXT_REQUEST);
    expect(res.choices[0]).toEqual({ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: 'content_filter', logprobs: null });
    expect(tokens(res.usage)).toEqual({ prompt_tokens: 12, completion_tokens: 0, total_tokens: 12 });
    const got = collect(await drain(await mux.chat.completions.create({ ...TEXT_REQUEST, stream: true })));
    expect(got.content).toBe('Step one is to');
    expect(got.finishReason).toBe('content_filter');
  });

  it.each([
    ['non-streamed', 'blocked.json', false],
    ['streamed', 'stream-blocked.sse', true],
  ] as const)('throws ContentPolicyError for a blocked prompt (%s)', async (_, file, stream) => {
    serve(() => (stream ? sse(fixture(file)) : json(fixture(file))));
    const error = await failure(gateway().chat.completions.create({ ...TEXT_REQUEST, stream }));
    expect(error.code).toBe('content_policy');
    expect(error.providerCode).toBe('PROHIBITED_CONTENT');
    expect(error.message).toContain('PROHIBITED_CONTENT');
  });

  it('throws InvalidResponseError for a MALFORMED_FUNCTION_CALL finish', async () => {
    serve(() => json(fixture('malformed-function-call.json')));
    const error = await failure(gateway().chat.completions.create(TOOL_REQUEST));
    expect(error.code).toBe('invalid_response');
    expect(error.providerCode).toBe('MALFORMED_FUNCTION_CALL');
    expect(error.retryable).toBe(true);
  });

  it('throws the typed error for an in-band stream error before any content (RetryInfo → retryAfterMs)', async () => {
    serve(() => sse(fixture('stream-error-429.sse')));
    const error = await failure(gateway().chat.completions.create({ ...TEXT_REQUEST, stream: true }));
    expect(error.code).toBe('rate_limit');
    expect(error.status).toBe(429);
    expect((error as ModelmuxError & { retryAfterMs?: number }).retryAfterMs).toBe(34000);
  });

  it('throws StreamError carrying the typed cause for an in-band error after content', async () => {
    serve(() => sse(fixture('stream-error-after-content.sse')));
    const stream = await gateway().chat.completions.create({ ...TEXT_REQUEST, stream: true });
    const error = await failure(drain(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('Lyon is mild');
    expect(ModelmuxError.isInstance(error.cause) && error.cause.code).toBe('server_error');
  });

  it('treats a stream that ends without any finishReason as an error, never a short answer', async () => {
    serve(() => sse(fixture('stream-no-finish.sse')));
    const stream = await gateway().chat.completions.create({ ...TEXT_REQUEST, stream: true });
    const error = await failure(drain(stream));
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).partialContent).toBe('Lyon is mild today');
    expect(ModelmuxError.isInstance(error.cause) && error.cause.code).toBe('invalid_response');
  });

  const ERRORS = [
    { file: 'error-400.json', status: 400, code: 'bad_request', providerCode: 'INVALID_ARGUMENT' },
    { file: 'error-400-api-key.json', status: 400, code: 'authentication_error', providerCode: 'API_KEY_INVALID' },
    { file: 'error-400-context.json', status: 400, code: 'context_window_exceeded', providerCode: 'INVALID_ARGUMENT' },
    { file: 'error-400-location.json', status: 400, code: 'permission_error', providerCode: 'FAILED_PRECONDITION' },
    { file: 'error-400-billing.json', status: 400, code: 'quota_exceeded', providerCode: 'FAILED_PRECONDITION' },
    { file: 'error-401.json', status: 401, code: 'authentication_error', providerCode: 'ACCESS_TOKEN_TYPE_UNSUPPORTED' },
    { file: 'error-403.json', status: 403, code: 'permission_error', providerCode: 'PERMISSION_DENIED' },
    { file: 'error-404.json', status: 404, code: 'not_found', providerCode: 'NOT_FOUND' },
    { file: 'error-429.json', status: 429, code: 'rate_limit', providerCode: 'RESOURCE_EXHAUSTED', retryAfterMs: 34000 },
    { file: 'error-429-daily.json', status: 429, code: 'quota_exceeded', providerCode: 'RESOURCE_EXHAUSTED' },
    { file: 'error-500.json', status: 500, code: 'server_error', providerCode: 'INTERNAL' },
    { file: 'error-503.json', status: 503, code: 'overloaded', providerCode: 'UNAVAILABLE' },
    { file: 'error-504.json', status: 504, code: 'server_error', providerCode: 'DEADLINE_EXCEEDED' },
  ];

  it.each(ERRORS)('throws $code for $file', async (e) => {
    serve(() => json(fixture(e.file), e.status));
    const error = await failure(gateway().chat.completions.create(TEXT_REQUEST));
    expect(error.code).toBe(e.code);
    expect(error.status).toBe(e.status);
    expect(error.provider).toBe('google');
    expect(error.providerCode).toBe(e.providerCode);
    const message = (JSON.parse(fixture(e.file)) as { error: { message: string } }).error.message.split('\n')[0] as string;
    expect(error.message).toContain(message);
    if (e.retryAfterMs !== undefined) expect((error as ModelmuxError & { retryAfterMs?: number }).retryAfterMs).toBe(e.retryAfterMs);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(error.message).not.toContain(KEY);
  });

  it('reads the key from GEMINI_API_KEY first, never puts it in the URL, and names the variables when none is set', async () => {
    vi.stubEnv('GOOGLE_API_KEY', 'AIzaSy-google-api-key-fallback-000000');
    vi.stubEnv('GEMINI_API_KEY', 'AIzaSy-gemini-api-key-preferred-00000');
    const sent = serve(() => json(fixture('text.json')));
    const mux = createGateway({ providers: { google: google() }, retry: { maxRetries: 0 } });
    await mux.chat.completions.create({ ...TEXT_REQUEST, model: 'google/models/gemini-2.5-flash' });
    expect((sent[0] as Sent).url).toBe(GENERATE);
    expect((sent[0] as Sent).headers['x-goog-api-key']).toBe('AIzaSy-gemini-api-key-preferred-00000');
    vi.stubEnv('GOOGLE_API_KEY', '');
    vi.stubEnv('GEMINI_API_KEY', '');
    const error = await failure(mux.chat.completions.create(TEXT_REQUEST));
    expect(error.code).toBe('authentication_error');
    expect(error.message).toContain('GEMINI_API_KEY or GOOGLE_GENERATIVE_AI_API_KEY or GOOGLE_API_KEY');
  });

  it(':online turns on Google Search grounding and maps its sources to url_citation annotations', async () => {
    const sent = serve(() => json(fixture('grounding.json')));
    const res = await gateway().chat.completions.create({ model: 'google/gemini-2.5-flash:online', messages: [{ role: 'user', content: 'Weather in Lyon and Paris today?' }] });
    expect((sent[0] as Sent).url).toBe(GENERATE);
    expect((sent[0] as Sent).body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Weather in Lyon and Paris today?' }] }], tools: [{ googleSearch: {} }] });
    const text = res.choices[0]?.message.content ?? '';
    const lyon = 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/AbF9wXGk2lyon';
    const paris = 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/AbF9wXGk7paris';
    expect(res.choices[0]?.message.annotations).toEqual([
      { type: 'url_citation', url_citation: { start_index: 0, end_index: 29, title: 'meteofrance.com', url: lyon } },
      { type: 'url_citation', url_citation: { start_index: 30, end_index: 46, title: 'weather.com', url: paris } },
      { type: 'url_citation', url_citation: { start_index: 30, end_index: 46, title: 'meteofrance.com', url: lyon } },
    ]);
    // Offsets are characters of the text ("°" is two bytes in Gemini's byte offsets).
    expect(text.slice(0, 29)).toBe('Lyon is 14°C and sunny today.');
    expect(text.slice(30, 46)).toBe('Paris is cloudy.');
    // The search results Gemini read are input: toolUsePromptTokenCount is in prompt_tokens.
    expect(tokens(res.usage)).toEqual({ prompt_tokens: 310, completion_tokens: 51, total_tokens: 361, completion_tokens_details: { reasoning_tokens: 37 } });
  });

  it('serves a bare gemini-* model id', async () => {
    const sent = serve(() => json(fixture('text.json')));
    const res = await gateway().chat.completions.create({ ...TEXT_REQUEST, model: 'gemini-2.5-flash' });
    expect((sent[0] as Sent).url).toBe(GENERATE);
    expect(res.provider).toBe('google');
  });
});
