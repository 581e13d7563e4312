/** The unified request → Converse body, rule by rule. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/index.js';
import { buildConverseRequest, modelFamily } from '../../../src/providers/bedrock/request.js';
import { parseClaudeModel as claudeVersion } from '../../../src/providers/shared/claude-models.js';
import type { ChatCompletionCreateParams, ChatMessage, FunctionTool } from '../../../src/request/types.js';
import { context, type TestContext } from './helpers.js';

const CLAUDE = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';

function build(params: Partial<ChatCompletionCreateParams>, model = CLAUDE, provider = 'bedrock') {
  const ctx = context(model, false, provider);
  const plan = buildConverseRequest({ model, messages: [{ role: 'user', content: 'Hi' }], ...params } as ChatCompletionCreateParams, ctx);
  return { body: plan.body as Record<string, unknown>, jsonTool: plan.jsonTool, ctx };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function validationField(fn: () => unknown): string {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).field;
}

const HI = { role: 'user', content: [{ text: 'Hi' }] };
const WEATHER: FunctionTool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const WEATHER_SPEC = { toolSpec: { name: 'get_weather', inputSchema: { json: WEATHER.function.parameters } } };

describe('messages', () => {
  it.each<[string, ChatMessage[], unknown, unknown?]>([
    ['a string user message', [{ role: 'user', content: 'Hi' }], [HI]],
    [
      'system and developer messages, wherever they are, go to system in order',
      [
        { role: 'system', content: 'A' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: [{ type: 'text', text: 'B' }, { type: 'text', text: 'C' }] },
      ],
      [HI],
      [{ text: 'A' }, { text: 'B' }, { text: 'C' }],
    ],
    [
      'consecutive user messages merge',
      [
        { role: 'user', content: 'a' },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
      ],
      [{ role: 'user', content: [{ text: 'a' }, { text: 'b' }] }],
    ],
    [
      'an assistant text turn',
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Bye' },
      ],
      [HI, { role: 'assistant', content: [{ text: 'Hello' }] }, { role: 'user', content: [{ text: 'Bye' }] }],
    ],
    [
      'an assistant refusal is replayed as text',
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: null, refusal: 'No.' },
      ],
      [HI, { role: 'assistant', content: [{ text: 'No.' }] }],
    ],
    [
      'an empty assistant message is dropped (Bedrock refuses empty content)',
      [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: '' },
        { role: 'user', content: 'b' },
      ],
      [{ role: 'user', content: [{ text: 'a' }, { text: 'b' }] }],
    ],
    [
      'tool results go before the text of the user message they join',
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'user', content: 'and?' },
        { role: 'tool', tool_call_id: 't1', content: 'done' },
      ],
      [
        HI,
        { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: { a: 1 } } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'done' }] } }, { text: 'and?' }] },
      ],
    ],
    [
      'a cached tool result: a cache point after the toolResult block',
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 't1', content: [{ type: 'text', text: 'big', cache_control: { type: 'ephemeral' } }] },
      ],
      [
        HI,
        { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'big' }] } }, { cachePoint: { type: 'default' } }] },
      ],
    ],
  ])('%s', (_name, messages, expected, system) => {
    const { body } = build({ messages });
    expect(body.messages).toEqual(expected);
    expect(body.system).toEqual(system);
  });

  it('cache_control on any text part adds a cache point after it; a 1h ttl is dropped with a warning', () => {
    const { body, ctx } = build({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'user', content: [{ type: 'text', text: 'U', cache_control: { type: 'ephemeral' } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }] },
      ],
    });
    expect(body.system).toEqual([{ text: 'S' }, { cachePoint: { type: 'default' } }]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ text: 'U' }, { cachePoint: { type: 'default' } }] },
      { role: 'assistant', content: [{ text: 'A' }, { cachePoint: { type: 'default' } }] },
    ]);
    expect(ctx.warnings).toEqual(['bedrock cache points have one TTL: cache_control.ttl "1h" was not sent']);
  });

  it('tool call arguments that are not JSON are a ValidationError naming them', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{oops' } }] },
    ];
    expect(validationField(() => build({ messages }))).toBe('messages.1.tool_calls.0.function.arguments');
  });

  it.each<[string, string, unknown]>([
    ['gif', 'data:image/gif;base64,R0lGOD', { image: { format: 'gif', source: { bytes: 'R0lGOD' } } }],
    ['webp', 'data:image/webp;base64,UklGR', { image: { format: 'webp', source: { bytes: 'UklGR' } } }],
    ['image/jpg alias, parameters, upper case', 'data:IMAGE/JPG;name=a.jpg;base64,/9j/', { image: { format: 'jpeg', source: { bytes: '/9j/' } } }],
  ])('image %s', (_name, url, block) => {
    const { body } = build({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }] });
    expect(body.messages).toEqual([{ role: 'user', content: [block] }]);
  });

  it.each<[string, string]>([
    ['an https URL', 'https://example.com/a.png'],
    ['an unsupported type', 'data:image/svg+xml;base64,PHN2Zz4='],
    ['a data URL without base64', 'data:image/png,rawbytes'],
  ])('image: %s is a ValidationError naming the url', (_name, url) => {
    expect(validationField(() => build({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url } }] }] }))).toBe(
      'messages.0.content.1.image_url.url',
    );
  });

  it('image detail other than auto is dropped with a warning', () => {
    const { ctx } = build({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'high' } }] }] });
    expect(ctx.warnings).toEqual(['bedrock does not support image detail; "high" was not sent']);
  });

  it('files become document blocks (data URL or raw base64 with a known extension)', () => {
    const { body } = build({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'file', file: { filename: 'Q3 report (final).pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
            { type: 'file', file: { filename: 'data.csv', file_data: 'YSxiCjEsMg==' } },
            { type: 'file', file: { file_data: 'data:text/plain;base64,aGk=' } },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { document: { format: 'pdf', name: 'Q3 report (final)', source: { bytes: 'JVBERi0=' } } },
          { document: { format: 'csv', name: 'data', source: { bytes: 'YSxiCjEsMg==' } } },
          { document: { format: 'txt', name: 'document-0-2', source: { bytes: 'aGk=' } } },
        ],
      },
    ]);
  });

  it.each<[string, ChatMessage, string]>([
    ['a file_id', { role: 'user', content: [{ type: 'file', file: { file_id: 'file-123' } }] }, 'messages.0.content.0.file'],
    ['an unknown document type', { role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/zip;base64,UEs=' } }] }, 'messages.0.content.0.file.file_data'],
    ['audio', { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'UklGR', format: 'wav' } }] }, 'messages.0.content.0'],
  ])('%s is a ValidationError', (_name, message, field) => {
    expect(validationField(() => build({ messages: [message] }))).toBe(field);
  });
});

describe('inference settings and unsupported fields', () => {
  it('maps token limit, sampling and stop sequences', () => {
    expect(build({ max_tokens: 10, max_completion_tokens: 20, temperature: 0, top_p: 1, stop: 'END' }).body.inferenceConfig).toEqual({
      maxTokens: 20,
      temperature: 0,
      topP: 1,
      stopSequences: ['END'],
    });
    expect(build({ stop: [] }).body.inferenceConfig).toBeUndefined();
    expect(build({}).body).toEqual({ messages: [HI] });
  });

  it('n > 1 is a ValidationError; n = 1 is fine', () => {
    expect(validationField(() => build({ n: 2 }))).toBe('n');
    expect(build({ n: 1 }).ctx.warnings).toEqual([]);
  });

  it('fields Converse has no place for are dropped with a warning', () => {
    const { body, ctx } = build({
      seed: 1,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      logit_bias: { '1': 1 },
      logprobs: true,
      top_logprobs: 2,
      user: 'u1',
      parallel_tool_calls: false,
      service_tier: 'flex',
      store: true,
      verbosity: 'low',
    });
    expect(body).toEqual({ messages: [HI] });
    expect(ctx.warnings).toEqual(
      ['seed', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'top_logprobs', 'user', 'parallel_tool_calls', 'service_tier', 'store', 'verbosity', 'logprobs'].map(
        (f) => `bedrock does not support "${f}"; it was not sent`,
      ),
    );
    expect(build({ logprobs: false }).ctx.warnings).toEqual([]);
  });

  it('metadata → requestMetadata', () => {
    expect(build({ metadata: { team: 'search' } }).body.requestMetadata).toEqual({ team: 'search' });
  });
});

describe('tools', () => {
  it.each<[string, Partial<ChatCompletionCreateParams>, unknown]>([
    ['tools without tool_choice: no toolChoice', { tools: [WEATHER] }, { tools: [WEATHER_SPEC] }],
    ['auto', { tools: [WEATHER], tool_choice: 'auto' }, { tools: [WEATHER_SPEC], toolChoice: { auto: {} } }],
    ['required → any', { tools: [WEATHER], tool_choice: 'required' }, { tools: [WEATHER_SPEC], toolChoice: { any: {} } }],
    [
      'a named tool',
      { tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'get_weather' } } },
      { tools: [WEATHER_SPEC], toolChoice: { tool: { name: 'get_weather' } } },
    ],
    ['none without tool history: no toolConfig at all', { tools: [WEATHER], tool_choice: 'none' }, undefined],
    [
      'a tool without parameters gets an empty object schema; a description is kept',
      { tools: [{ type: 'function', function: { name: 'ping', description: 'Ping it' } }] },
      { tools: [{ toolSpec: { name: 'ping', description: 'Ping it', inputSchema: { json: { type: 'object', properties: {} } } } }] },
    ],
  ])('%s', (_name, params, expected) => {
    expect(build(params).body.toolConfig).toEqual(expected);
  });

  it('strict tools are sent without strict, with a warning', () => {
    const { ctx } = build({ tools: [{ type: 'function', function: { ...WEATHER.function, strict: true } }] });
    expect(ctx.warnings).toEqual(['bedrock does not support strict tool schemas; "strict" was not sent']);
  });

  it('tool history without tools synthesizes a toolConfig from the history (results only: none possible)', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 't1', content: 'ok' },
    ];
    expect(build({ messages }).body.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object', properties: {} } } } }] });
    // A history holding only results (its calls trimmed away) names no tool: nothing to declare.
    expect(build({ messages: [{ role: 'user', content: 'Hi' }, { role: 'tool', tool_call_id: 't1', content: 'ok' }] }).body.toolConfig).toBeUndefined();
  });
});

describe('response_format', () => {
  const schema = { type: 'object', properties: { a: { type: 'number' } } };

  it('json_schema → a forced tool named after the schema', () => {
    const { body, jsonTool } = build({ response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } } });
    expect(jsonTool).toBe('answer');
    expect(body.toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'answer', description: 'Respond with a JSON object: call this tool with the answer as its input.', inputSchema: { json: schema } } }],
      toolChoice: { tool: { name: 'answer' } },
    });
  });

  it('json_object → a forced `json` tool taking any object; text → nothing', () => {
    const { body, jsonTool } = build({ response_format: { type: 'json_object' } });
    expect(jsonTool).toBe('json');
    expect(body.toolConfig).toMatchObject({ tools: [{ toolSpec: { name: 'json', inputSchema: { json: { type: 'object' } } } }], toolChoice: { tool: { name: 'json' } } });
    expect(build({ response_format: { type: 'text' } }).jsonTool).toBeUndefined();
  });

  it('with other tools offered the model must call one of them or the JSON tool (any)', () => {
    const { body } = build({ tools: [WEATHER], response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } } });
    expect(body.toolConfig).toMatchObject({ tools: [WEATHER_SPEC, { toolSpec: { name: 'answer' } }], toolChoice: { any: {} } });
    const named = build({ tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'get_weather' } }, response_format: { type: 'json_object' } });
    expect(named.body.toolConfig).toMatchObject({ toolChoice: { tool: { name: 'get_weather' } } });
  });

  it('a tool with the schema name already is a ValidationError', () => {
    expect(validationField(() => build({ tools: [WEATHER], response_format: { type: 'json_schema', json_schema: { name: 'get_weather', schema } } }))).toBe(
      'response_format.json_schema.name',
    );
  });

  it('with Claude thinking the JSON tool is offered, not forced (Anthropic refuses forced tools with thinking)', () => {
    const { body, ctx } = build({ reasoning_effort: 'low', response_format: { type: 'json_object' } });
    expect(body.toolConfig).toMatchObject({ toolChoice: { auto: {} } });
    expect(ctx.warnings[0]).toContain('cannot be forced');
  });
});

describe('reasoning_effort', () => {
  it.each<[string, string, Partial<ChatCompletionCreateParams>, unknown, unknown]>([
    ['Claude 4.5, caller limit above the budget', CLAUDE, { reasoning_effort: 'low', max_tokens: 8000 }, { maxTokens: 8000 }, { thinking: { type: 'enabled', budget_tokens: 2048 } }],
    ['Claude, caller limit at or below the budget is raised by it', CLAUDE, { reasoning_effort: 'medium', max_tokens: 1000 }, { maxTokens: 9192 }, { thinking: { type: 'enabled', budget_tokens: 8192 } }],
    ['Claude, no limit: budget + 4096', CLAUDE, { reasoning_effort: 'high' }, { maxTokens: 28_672 }, { thinking: { type: 'enabled', budget_tokens: 24_576 } }],
    [
      'Claude Opus 4.1 (32k output), no limit: the budget fits the model',
      'anthropic.claude-opus-4-1-20250805-v1:0',
      { reasoning_effort: 'xhigh' },
      { maxTokens: 32_000 },
      { thinking: { type: 'enabled', budget_tokens: 27_904 } },
    ],
    ['Claude 3.7 Sonnet', 'anthropic.claude-3-7-sonnet-20250219-v1:0', { reasoning_effort: 'minimal' }, { maxTokens: 5120 }, { thinking: { type: 'enabled', budget_tokens: 1024 } }],
    [
      'Claude 4.6+: adaptive thinking with an effort',
      'global.anthropic.claude-opus-4-6-v1',
      { reasoning_effort: 'xhigh' },
      undefined,
      { thinking: { type: 'adaptive' }, output_config: { effort: 'max' } },
    ],
    ['Amazon Nova', 'us.amazon.nova-2-lite-v1:0', { reasoning_effort: 'minimal' }, undefined, { reasoningConfig: { type: 'enabled', maxReasoningEffort: 'low' } }],
    ['OpenAI gpt-oss', 'openai.gpt-oss-120b-1:0', { reasoning_effort: 'xhigh' }, undefined, { reasoning_effort: 'high' }],
    ['none: nothing', CLAUDE, { reasoning_effort: 'none' }, undefined, undefined],
  ])('%s', (_name, model, params, inference, extra) => {
    const { body } = build(params, model);
    expect(body.inferenceConfig).toEqual(inference);
    expect(body.additionalModelRequestFields).toEqual(extra);
  });

  it('other models: dropped with a warning', () => {
    const { body, ctx } = build({ reasoning_effort: 'high' }, 'mistral.mistral-large-2407-v1:0');
    expect(body.additionalModelRequestFields).toBeUndefined();
    expect(ctx.warnings).toEqual(['bedrock: reasoning_effort is not supported for "mistral.mistral-large-2407-v1:0"; it was not sent']);
  });

  it('Claude thinking with a temperature other than 1, or a forced tool_choice, is a ValidationError', () => {
    expect(validationField(() => build({ reasoning_effort: 'low', temperature: 0.2 }))).toBe('temperature');
    expect(build({ reasoning_effort: 'low', temperature: 1 }).body.inferenceConfig).toMatchObject({ temperature: 1 });
    expect(validationField(() => build({ reasoning_effort: 'low', tools: [WEATHER], tool_choice: 'required' }))).toBe('tool_choice');
  });

  it('replays reasoning_details as reasoningContent; unsigned text, summaries and other formats are not sent', () => {
    const { body } = build({
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: 'Hello',
          reasoning_content: 'thinking…',
          reasoning_details: [
            { type: 'reasoning.text', text: 'signed', signature: 'sig1', format: 'anthropic-claude-v1' },
            { type: 'reasoning.encrypted', data: 'UkVEQUNURUQ=' },
            { type: 'reasoning.text', text: 'unsigned' },
            { type: 'reasoning.summary', summary: 'a summary' },
            { type: 'reasoning.encrypted', data: 'gAAAA-openai', format: 'openai-responses-v1' },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      HI,
      {
        role: 'assistant',
        content: [
          { reasoningContent: { reasoningText: { text: 'signed', signature: 'sig1' } } },
          { reasoningContent: { redactedContent: 'UkVEQUNURUQ=' } },
          { text: 'Hello' },
        ],
      },
    ]);
  });

  it('model families and Claude versions from Bedrock ids', () => {
    expect(modelFamily('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0')).toBe('anthropic');
    expect(modelFamily('amazon.nova-pro-v1:0')).toBe('nova');
    expect(modelFamily('meta.llama3-70b-instruct-v1:0')).toBe('other');
    expect(claudeVersion('us.anthropic.claude-sonnet-4-20250514-v1:0')).toEqual({ family: 'sonnet', major: 4, minor: 0 });
    expect(claudeVersion('anthropic.claude-3-5-haiku-20241022-v1:0')).toEqual({ family: 'haiku', major: 3, minor: 5 });
    expect(claudeVersion('amazon.nova-pro-v1:0')).toBeUndefined();
  });
});

describe('providerOptions', () => {
  it('merged last: new keys added, additionalModelRequestFields and inferenceConfig merged one level, messages protected', () => {
    const { body, ctx }: { body: Record<string, unknown>; ctx: TestContext } = build({
      reasoning_effort: 'low',
      max_tokens: 9000,
      providerOptions: {
        bedrock: {
          guardrailConfig: { guardrailIdentifier: 'gr-1', guardrailVersion: '1', trace: 'enabled' },
          performanceConfig: { latency: 'optimized' },
          additionalModelRequestFields: { top_k: 40 },
          inferenceConfig: { temperature: 1 },
          messages: [],
        },
        other: { ignored: true },
      },
    });
    expect(body.guardrailConfig).toEqual({ guardrailIdentifier: 'gr-1', guardrailVersion: '1', trace: 'enabled' });
    expect(body.performanceConfig).toEqual({ latency: 'optimized' });
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 }, top_k: 40 });
    expect(body.inferenceConfig).toEqual({ maxTokens: 9000, temperature: 1 });
    expect(body.messages).toEqual([HI]);
    expect(body.ignored).toBeUndefined();
    expect(ctx.warnings).toEqual(['providerOptions.bedrock.messages cannot be overridden; it was ignored']);
  });

  it('keyed by the configured provider key', () => {
    expect(build({ providerOptions: { aws: { requestMetadata: { a: 'b' } } } }, CLAUDE, 'aws').body.requestMetadata).toEqual({ a: 'b' });
  });
});
