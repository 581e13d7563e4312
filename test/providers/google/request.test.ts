/** Request mapping: URL and auth, contents, tools, generationConfig, thinking, signatures, providerOptions. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthenticationError, ValidationError } from '../../../src/errors/index.js';
import { configuredFromEnv } from '../../../src/providers/google/env.js';
import { google } from '../../../src/providers/google/index.js';
import type { ChatCompletionCreateParams, ChatMessage, ReasoningEffort } from '../../../src/request/types.js';
import { build, context, HOST, KEY, thrown } from './helpers.js';

beforeEach(() => {
  vi.unstubAllEnvs();
  for (const name of ['GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'GOOGLE_API_KEY']) vi.stubEnv(name, '');
});

const adapter = google({ apiKey: KEY });

function body(params: Partial<ChatCompletionCreateParams>, model = 'gemini-2.5-flash') {
  return build(adapter, params, context('google', model));
}

function validation(fn: () => unknown): ValidationError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('endpoint and authentication', () => {
  it.each([
    ['gemini-2.5-flash', false, `${HOST}/v1beta/models/gemini-2.5-flash:generateContent`],
    ['models/gemini-2.5-flash', false, `${HOST}/v1beta/models/gemini-2.5-flash:generateContent`],
    ['gemini-2.5-flash', true, `${HOST}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`],
    ['tunedModels/my-tuned-model-42', false, `${HOST}/v1beta/tunedModels/my-tuned-model-42:generateContent`],
  ])('%s (stream %s) → %s', (model, stream, url) => {
    const { request } = build(adapter, {}, context('google', model, stream));
    expect(request.url).toBe(url);
    expect(request.method).toBe('POST');
    expect(request.headers).toEqual({ 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json', 'x-goog-api-key': KEY });
  });

  it('rejects a model id that would not fit the path', () => {
    expect(validation(() => build(adapter, {}, context('google', 'gemini:flash/../x'))).field).toBe('model');
  });

  it('takes baseURL (trailing slash removed) and apiVersion', () => {
    const { request } = build(google({ apiKey: KEY, baseURL: 'https://proxy.example.com/gemini/', apiVersion: 'v1' }), {});
    expect(request.url).toBe('https://proxy.example.com/gemini/v1/models/gemini-2.5-flash:generateContent');
  });

  it('lets the caller authenticate through headers: no key is looked up or added', () => {
    const custom = google({ headers: { Authorization: 'Bearer ya29.token-value', 'X-Goog-User-Project': 'my-project' } });
    expect(custom.hasCredentials()).toBe(true);
    const { request } = build(custom, {});
    expect(request.headers.authorization).toBe('Bearer ya29.token-value');
    expect(request.headers['x-goog-user-project']).toBe('my-project');
    expect(request.headers['x-goog-api-key']).toBeUndefined();
  });

  it('reads GEMINI_API_KEY, then GOOGLE_GENERATIVE_AI_API_KEY, then GOOGLE_API_KEY', () => {
    const env = google();
    expect(env.hasCredentials()).toBe(false);
    expect(thrown(() => build(env, {}))).toBeInstanceOf(AuthenticationError);
    vi.stubEnv('GOOGLE_API_KEY', 'AIza-third');
    expect(build(env, {}).request.headers['x-goog-api-key']).toBe('AIza-third');
    vi.stubEnv('GOOGLE_GENERATIVE_AI_API_KEY', 'AIza-second');
    expect(build(env, {}).request.headers['x-goog-api-key']).toBe('AIza-second');
    vi.stubEnv('GEMINI_API_KEY', 'AIza-first');
    expect(build(env, {}).request.headers['x-goog-api-key']).toBe('AIza-first');
    expect(env.hasCredentials()).toBe(true);
  });

  it('is configured from the environment exactly when google() would have a key', () => {
    for (const name of ['GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'GOOGLE_API_KEY']) vi.stubEnv(name, '');
    expect([configuredFromEnv(), google().hasCredentials()]).toEqual([false, false]);
    for (const name of ['GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'GOOGLE_API_KEY']) {
      vi.stubEnv(name, 'AIza-env');
      expect([configuredFromEnv(), google().hasCredentials()]).toEqual([true, true]);
      vi.stubEnv(name, '');
    }
  });
});

describe('contents', () => {
  it('gathers system and developer messages into systemInstruction and merges consecutive roles', () => {
    const { body: sent } = body({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: [{ type: 'text', text: 'How are you?' }] },
        { role: 'assistant', content: 'Bien.' },
        { role: 'assistant', content: [{ type: 'text', text: ' Et toi ?' }] },
      ],
    });
    expect(sent).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }, { text: 'How are you?' }] },
        { role: 'model', parts: [{ text: 'Bien.' }, { text: ' Et toi ?' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Answer in French.' }] },
    });
  });

  it('prepends the system text to the first user turn for Gemma (no system instruction)', () => {
    const { body: sent } = body({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }] }, 'gemma-3-27b-it');
    expect(sent).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Be brief.' }, { text: 'Hi' }] }] });
  });

  it.each([
    ['42', { result: 42 }],
    ['[1,2]', { result: [1, 2] }],
    ['sunny', { result: 'sunny' }],
    ['{"temp":18}', { temp: 18 }],
    ['', { result: '' }],
  ])('wraps tool content %j as %j', (content, response) => {
    const { body: sent } = body({
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
        { role: 'tool', tool_call_id: 't1', content },
      ],
    });
    const contents = sent.contents as Array<{ parts: unknown[] }>;
    expect(contents[1]?.parts).toEqual([{ functionCall: { name: 'get_weather', args: {} } }]);
    expect(contents[2]?.parts).toEqual([{ functionResponse: { name: 'get_weather', response } }]);
  });

  it('joins text parts of a tool message and merges a following user message into the same turn', () => {
    const { body: sent } = body({
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } }] },
        { role: 'tool', tool_call_id: 't1', content: [{ type: 'text', text: '{"temp":' }, { type: 'text', text: '18}' }] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    expect((sent.contents as unknown[])[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'get_weather', response: { temp: 18 } } }, { text: 'Thanks' }],
    });
  });

  it('names the field when a tool message answers no known call', () => {
    const error = validation(() =>
      body({ messages: [{ role: 'user', content: 'Hi' }, { role: 'tool', tool_call_id: 'call_missing', content: 'x' }] }),
    );
    expect(error.field).toBe('messages.1.tool_call_id');
  });

  it.each([
    ['{"city":', 'not valid JSON'],
    ['[1]', 'JSON object'],
  ])('names the field for tool-call arguments %j', (args, message) => {
    const error = validation(() =>
      body({
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: args } }] },
        ],
      }),
    );
    expect(error.field).toBe('messages.1.tool_calls.0.function.arguments');
    expect(error.message).toContain(message);
  });

  it('maps images, audio and files', () => {
    const { body: sent } = body({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'gs://bucket/cat.webp' } },
            { type: 'image_url', image_url: { url: 'https://example.com/render?id=7' } },
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
            { type: 'file', file: { file_data: 'JVBERi0=', filename: 'b.pdf' } },
            { type: 'file', file: { file_id: 'files/abc-123', filename: 'c.pdf' } },
            { type: 'file', file: { file_id: 'https://generativelanguage.googleapis.com/v1beta/files/xyz' } },
          ],
        },
      ],
    });
    expect((sent.contents as Array<{ parts: unknown[] }>)[0]?.parts).toEqual([
      { fileData: { mimeType: 'image/webp', fileUri: 'gs://bucket/cat.webp' } },
      { fileData: { fileUri: 'https://example.com/render?id=7' } },
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { fileData: { mimeType: 'application/pdf', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc-123' } },
      { fileData: { fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/xyz' } },
    ]);
  });

  it.each([
    [{ type: 'image_url', image_url: { url: 'ftp://example.com/a.png' } }, 'messages.0.content.0.image_url.url'],
    [{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }, 'messages.0.content.0.image_url.url'],
    [{ type: 'file', file: { file_data: 'JVBERi0=' } }, 'messages.0.content.0.file.file_data'],
    [{ type: 'file', file: { file_id: 'file-abc' } }, 'messages.0.content.0.file'],
  ])('names the field of a part Gemini cannot take: %j', (part, field) => {
    const error = validation(() => body({ messages: [{ role: 'user', content: [part] } as ChatMessage] }));
    expect(error.field).toBe(field);
  });

  it('warns once for cache_control and message names', () => {
    const { ctx } = body({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long prefix', cache_control: { type: 'ephemeral' } }], name: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }], name: 'alice' },
      ],
    });
    expect(ctx.warnings).toHaveLength(2);
    expect(ctx.warnings.join('\n')).toContain('cache_control');
    expect(ctx.warnings.join('\n')).toContain('"name"');
  });
});

describe('thought signatures in history', () => {
  const history = (assistant: ChatMessage): ChatMessage[] => [{ role: 'user', content: 'Weather?' }, assistant];

  it('puts each signature back on its part: thought, text and the matching function call', () => {
    const { body: sent } = body({
      messages: history({
        role: 'assistant',
        content: 'Checking.',
        reasoning_content: 'Need the weather.',
        reasoning_details: [
          { type: 'reasoning.encrypted', data: 'sig-thought', id: 'reasoning', format: 'google-gemini-v1' },
          { type: 'reasoning.encrypted', data: 'sig-text', id: 'text', format: 'google-gemini-v1' },
          { type: 'reasoning.encrypted', data: 'sig-call-2', id: 'call_2', format: 'google-gemini-v1' },
          { type: 'reasoning.encrypted', data: 'anthropic-sig', id: 'call_1', format: 'anthropic-claude-v1' },
          { type: 'reasoning.text', text: 'ignored', signature: 'x' },
        ],
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'a', arguments: '{}' } },
          { id: 'call_2', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
        ],
      }),
    });
    expect((sent.contents as unknown[])[1]).toEqual({
      role: 'model',
      parts: [
        { text: 'Need the weather.', thought: true, thoughtSignature: 'sig-thought' },
        { text: 'Checking.', thoughtSignature: 'sig-text' },
        { functionCall: { name: 'a', args: {} } },
        { functionCall: { name: 'b', args: { x: 1 } }, thoughtSignature: 'sig-call-2' },
      ],
    });
  });

  it('does not send reasoning_content without a signature, nor an empty assistant turn', () => {
    const { body: sent } = body({
      messages: [...history({ role: 'assistant', content: null, reasoning_content: 'thinking' }), { role: 'user', content: 'Again' }],
    });
    expect(sent.contents).toEqual([{ role: 'user', parts: [{ text: 'Weather?' }, { text: 'Again' }] }]);
  });

  it('gives Gemini 3 function calls without a signature the documented skip value (first call of the step only)', () => {
    const calls = [
      { id: 'c1', type: 'function' as const, function: { name: 'a', arguments: '{}' } },
      { id: 'c2', type: 'function' as const, function: { name: 'b', arguments: '{}' } },
    ];
    const three = body({ messages: history({ role: 'assistant', tool_calls: calls }) }, 'gemini-3-pro-preview').body;
    expect((three.contents as Array<{ parts: unknown[] }>)[1]?.parts).toEqual([
      { functionCall: { name: 'a', args: {} }, thoughtSignature: 'skip_thought_signature_validator' },
      { functionCall: { name: 'b', args: {} } },
    ]);
    const signed = body(
      {
        messages: history({
          role: 'assistant',
          tool_calls: calls,
          reasoning_details: [{ type: 'reasoning.encrypted', data: 'real', id: 'c1', format: 'google-gemini-v1' }],
        }),
      },
      'gemini-3-pro-preview',
    ).body;
    expect((signed.contents as Array<{ parts: unknown[] }>)[1]?.parts).toEqual([
      { functionCall: { name: 'a', args: {} }, thoughtSignature: 'real' },
      { functionCall: { name: 'b', args: {} } },
    ]);
    const older = body({ messages: history({ role: 'assistant', tool_calls: calls }) }).body;
    expect(JSON.stringify(older)).not.toContain('thoughtSignature');
  });
});

describe('tools', () => {
  it.each([
    ['auto', { functionCallingConfig: { mode: 'AUTO' } }],
    ['required', { functionCallingConfig: { mode: 'ANY' } }],
    ['none', { functionCallingConfig: { mode: 'NONE' } }],
    [{ type: 'function', function: { name: 'get_time' } }, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] } }],
  ] as const)('tool_choice %j → %j', (choice, config) => {
    expect(body({ tool_choice: choice }).body.toolConfig).toEqual(config);
  });

  it('omits parameters for a tool without arguments and drops strict', () => {
    const { body: sent } = body({
      tools: [
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {}, additionalProperties: false }, strict: true } },
        { type: 'function', function: { name: 'ping' } },
      ],
    });
    expect(sent.tools).toEqual([{ functionDeclarations: [{ name: 'get_time' }, { name: 'ping' }] }]);
  });

  it('names the field of a recursive tool schema', () => {
    const error = validation(() =>
      body({
        tools: [
          {
            type: 'function',
            function: {
              name: 'tree',
              parameters: { type: 'object', properties: { root: { $ref: '#/$defs/node' } }, $defs: { node: { type: 'object', properties: { child: { $ref: '#/$defs/node' } } } } },
            },
          },
        ],
      }),
    );
    expect(error.field).toBe('tools.0.function.parameters.properties.root.properties.child.$ref');
  });
});

describe('web search (:online)', () => {
  it('adds the googleSearch tool after the caller\'s functions when ctx.webSearch is set', () => {
    expect(adapter.nativeWebSearch).toBe(true);
    const { body: sent } = build(adapter, { tools: [{ type: 'function', function: { name: 'ping' } }] }, { ...context('google', 'gemini-2.5-flash'), webSearch: true });
    expect(sent.tools).toEqual([{ functionDeclarations: [{ name: 'ping' }] }, { googleSearch: {} }]);
    expect(body({}).body.tools).toBeUndefined();
  });
});

describe('generationConfig', () => {
  it('maps sampling fields', () => {
    const { body: sent, ctx } = body({
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 100,
      max_completion_tokens: 200,
      stop: 'END',
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      n: 2,
      logprobs: true,
      top_logprobs: 3,
    });
    expect(sent.generationConfig).toEqual({
      temperature: 0.7,
      topP: 0.9,
      maxOutputTokens: 200,
      stopSequences: ['END'],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      candidateCount: 2,
      responseLogprobs: true,
      logprobs: 3,
    });
    expect(ctx.warnings).toEqual([]);
  });

  it('sends nothing for neutral values', () => {
    expect(body({ n: 1, logprobs: false, top_logprobs: 2, stop: [], parallel_tool_calls: true }).body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });

  it('rejects more than five stop sequences, naming stop', () => {
    expect(validation(() => body({ stop: ['a', 'b', 'c', 'd', 'e', 'f'] })).field).toBe('stop');
  });

  it('json_object → responseMimeType only; text → nothing', () => {
    expect(body({ response_format: { type: 'json_object' } }).body.generationConfig).toEqual({ responseMimeType: 'application/json' });
    expect(body({ response_format: { type: 'text' } }).body.generationConfig).toBeUndefined();
  });

  it('names the schema field of a json_schema Gemini cannot take', () => {
    const error = validation(() =>
      body({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { $ref: 'https://example.com/a.json' } } } } } }),
    );
    expect(error.field).toBe('response_format.json_schema.schema.properties.a.$ref');
  });

  it('warns for fields Gemini has no equivalent of', () => {
    const { body: sent, ctx } = body({
      logit_bias: { '42': 1 },
      user: 'u-1',
      store: true,
      metadata: { a: 'b' },
      service_tier: 'flex',
      verbosity: 'low',
      parallel_tool_calls: false,
    });
    expect(ctx.warnings).toHaveLength(7);
    for (const field of ['logit_bias', 'user', 'store', 'metadata', 'service_tier', 'verbosity', 'parallel_tool_calls']) {
      expect(ctx.warnings.join('\n')).toContain(field);
    }
    expect(Object.keys(sent)).toEqual(['contents']);
  });
});

describe('reasoning_effort', () => {
  const cases: Array<[string, ReasoningEffort, unknown, number]> = [
    ['gemini-2.5-flash', 'none', { thinkingBudget: 0 }, 0],
    ['gemini-2.5-flash', 'minimal', { thinkingBudget: 512, includeThoughts: true }, 0],
    ['gemini-2.5-flash', 'low', { thinkingBudget: 2048, includeThoughts: true }, 0],
    ['gemini-2.5-flash', 'medium', { thinkingBudget: 8192, includeThoughts: true }, 0],
    ['gemini-2.5-flash', 'high', { thinkingBudget: 24576, includeThoughts: true }, 0],
    ['gemini-2.5-flash', 'xhigh', { thinkingBudget: 24576, includeThoughts: true }, 0],
    ['gemini-2.5-pro', 'xhigh', { thinkingBudget: 32768, includeThoughts: true }, 0],
    ['gemini-2.5-pro', 'none', { thinkingBudget: 128, includeThoughts: true }, 1],
    ['gemini-3-pro-preview', 'low', { thinkingLevel: 'low', includeThoughts: true }, 0],
    ['gemini-3-flash-preview', 'medium', { thinkingLevel: 'medium', includeThoughts: true }, 0],
    ['gemini-3-pro-preview', 'xhigh', { thinkingLevel: 'high', includeThoughts: true }, 0],
    ['gemini-3-flash-preview', 'none', { thinkingLevel: 'minimal', includeThoughts: true }, 1],
    ['gemini-2.0-flash', 'high', undefined, 1],
  ];
  it.each(cases)('%s %s → %j (%d warnings)', (model, effort, config, warnings) => {
    const { body: sent, ctx } = body({ reasoning_effort: effort }, model);
    expect((sent.generationConfig as Record<string, unknown> | undefined)?.thinkingConfig).toEqual(config);
    expect(ctx.warnings).toHaveLength(warnings);
  });
});

describe('providerOptions', () => {
  it('merges generation keys into generationConfig, appends tools, sets the rest on the body, protects contents', () => {
    const { body: sent, ctx } = body({
      temperature: 0.5,
      tools: [{ type: 'function', function: { name: 'ping' } }],
      reasoning_effort: 'low',
      providerOptions: {
        google: {
          topK: 40,
          generationConfig: { temperature: 0.9, responseModalities: ['TEXT'] },
          thinkingConfig: { thinkingBudget: -1 },
          safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
          cachedContent: 'cachedContents/abc123',
          tools: [{ googleSearch: {} }],
          contents: [],
        },
        openai: { ignored: true },
      },
    });
    expect(sent).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      tools: [{ functionDeclarations: [{ name: 'ping' }] }, { googleSearch: {} }],
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }],
      cachedContent: 'cachedContents/abc123',
      generationConfig: { temperature: 0.9, topK: 40, responseModalities: ['TEXT'], thinkingConfig: { thinkingBudget: -1 } },
    });
    expect(ctx.warnings).toEqual(['providerOptions.google.contents cannot be overridden; it was ignored']);
  });

  it('is keyed by the configured provider key', () => {
    const { body: sent } = build(adapter, { providerOptions: { gemini: { topK: 3 } } }, context('gemini', 'gemini-2.5-flash'));
    expect(sent.generationConfig).toEqual({ topK: 3 });
  });
});
