/** The request mapping, table-driven, through the adapter's `buildRequest`. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors/classes.js';
import { anthropic } from '../../../src/providers/anthropic/index.js';
import { anthropicToolId } from '../../../src/providers/anthropic/messages.js';
import { defaultMaxTokens } from '../../../src/providers/shared/claude-models.js';
import type { ChatCompletionCreateParams, ChatMessage } from '../../../src/request/types.js';
import { API_KEY, context, type TestContext } from './helpers.js';

type Params = Omit<ChatCompletionCreateParams, 'model' | 'messages'> & { messages?: ChatMessage[] };

const HI: ChatMessage[] = [{ role: 'user', content: 'Hi' }];

async function build(params: Params, ctx: TestContext = context(), settings: Parameters<typeof anthropic>[0] = { apiKey: API_KEY }) {
  const request = await anthropic(settings).buildRequest({ model: `anthropic/${ctx.model}`, messages: HI, ...params } as ChatCompletionCreateParams, ctx);
  return { request, body: JSON.parse(String(request.body)) as Record<string, unknown>, warnings: ctx.warnings };
}

async function fails(params: Params, ctx: TestContext = context()): Promise<ValidationError> {
  const error: unknown = await build(params, ctx).then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('max_tokens', () => {
  it.each([
    ['claude-opus-4-1-20250805', 32000],
    ['claude-opus-4-20250514', 32000],
    ['claude-opus-4-5', 64000],
    ['claude-opus-4-6', 64000],
    ['claude-sonnet-4-20250514', 64000],
    ['claude-sonnet-4-5-20250929', 64000],
    ['claude-haiku-4-5', 64000],
    ['claude-3-7-sonnet-20250219', 64000],
    ['claude-3-5-haiku-20241022', 8192],
    ['claude-3-5-sonnet-20241022', 8192],
    ['claude-3-haiku-20240307', 4096],
    ['claude-3-opus-20240229', 4096],
    ['claude-opus-5', 64000],
    ['claude-instant-1.2', 4096],
    ['my-fine-tune', 4096],
  ])('defaults to the model table: %s → %i', async (model, expected) => {
    expect(defaultMaxTokens(model)).toBe(expected);
    expect((await build({}, context(model))).body.max_tokens).toBe(expected);
  });

  it('sends max_completion_tokens, else max_tokens', async () => {
    expect((await build({ max_tokens: 300 })).body.max_tokens).toBe(300);
    expect((await build({ max_tokens: 300, max_completion_tokens: 500 })).body.max_tokens).toBe(500);
  });
});

describe('sampling and unsupported settings', () => {
  it('rejects temperature above 1 (never clamps)', async () => {
    const error = await fails({ temperature: 1.5 });
    expect(error.field).toBe('temperature');
  });

  it('sends temperature 1, top_p, stop sequences and the user id', async () => {
    const { body } = await build({ temperature: 1, top_p: 0.9, stop: ['A', 'B'], user: 'u_1' });
    expect(body).toMatchObject({ temperature: 1, top_p: 0.9, stop_sequences: ['A', 'B'], metadata: { user_id: 'u_1' } });
  });

  it('rejects n > 1; n = 1 and logprobs: false pass silently', async () => {
    expect((await fails({ n: 2 })).field).toBe('n');
    const { body, warnings } = await build({ n: 1, logprobs: false });
    expect(body).not.toHaveProperty('n');
    expect(warnings).toEqual([]);
  });

  it('drops harmless unsupported settings with a warning each', async () => {
    const { body, warnings } = await build({
      seed: 1,
      presence_penalty: 0.1,
      frequency_penalty: 0.1,
      logit_bias: { '1': 1 },
      logprobs: true,
      top_logprobs: 2,
      store: true,
      service_tier: 'flex',
      metadata: { a: 'b' },
      verbosity: 'low',
    });
    expect(warnings.map((w) => /"(\w+)"/.exec(w)?.[1])).toEqual([
      'seed',
      'presence_penalty',
      'frequency_penalty',
      'logit_bias',
      'logprobs',
      'top_logprobs',
      'store',
      'service_tier',
      'metadata',
      'verbosity',
    ]);
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model']);
  });
});

describe('conversation', () => {
  it('hoists system and developer messages, one mid-conversation too, in order, with a warning', async () => {
    const { body, warnings } = await build({
      messages: [
        { role: 'system', content: 'Rule one.' },
        { role: 'developer', content: [{ type: 'text', text: 'Rule two.' }] },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'system', content: 'Rule three.' },
        { role: 'user', content: 'Go on.' },
      ],
    });
    expect(body.system).toBe('Rule one.\n\nRule two.\n\nRule three.');
    expect(body.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: 'Go on.' },
    ]);
    expect(warnings).toEqual(['Anthropic has no mid-conversation system messages: messages.4 moved into the top-level system prompt']);
  });

  it('sends system as blocks when a part has cache_control', async () => {
    const { body } = await build({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long rules.', cache_control: { type: 'ephemeral', ttl: '1h' } }] },
        { role: 'system', content: 'Short rule.' },
        ...HI,
      ],
    });
    expect(body.system).toEqual([
      { type: 'text', text: 'Long rules.', cache_control: { type: 'ephemeral', ttl: '1h' } },
      { type: 'text', text: 'Short rule.' },
    ]);
  });

  it('merges consecutive messages of the same role (message names dropped with a warning)', async () => {
    const { body, warnings } = await build({
      messages: [
        { role: 'user', content: 'One.', name: 'ann' },
        { role: 'user', content: [{ type: 'text', text: 'Two.' }] },
        { role: 'assistant', content: 'Three.' },
        { role: 'assistant', content: 'Four.' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'One.' }, { type: 'text', text: 'Two.' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Three.' }, { type: 'text', text: 'Four.' }] },
    ]);
    expect(warnings).toEqual(['Anthropic does not support "name" on messages; it was not sent']);
  });

  it('inserts a user turn when the conversation starts with the assistant, and trims a final prefill', async () => {
    const { body, warnings } = await build({
      messages: [
        { role: 'system', content: 'Be nice.' },
        { role: 'assistant', content: 'How can I help?' },
        { role: 'user', content: 'Write JSON.' },
        { role: 'assistant', content: '{"a": ' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: '.' },
      { role: 'assistant', content: 'How can I help?' },
      { role: 'user', content: 'Write JSON.' },
      { role: 'assistant', content: '{"a":' },
    ]);
    expect(warnings).toEqual(['Anthropic requires the conversation to start with a user message: a user message "." was inserted first']);
  });

  it('rewrites tool-call ids Anthropic would reject, the same way in tool_use and tool_result', async () => {
    const id = 'call.abc:1/x';
    const { body } = await build({
      messages: [
        ...HI,
        { role: 'assistant', tool_calls: [{ id, type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: id, content: 'ok' },
      ],
    });
    const rewritten = anthropicToolId(id);
    expect(rewritten).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(anthropicToolId(id)).toBe(rewritten);
    expect(anthropicToolId('toolu_01ABC-def_9')).toBe('toolu_01ABC-def_9');
    expect(body.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: [{ type: 'tool_use', id: rewritten, name: 'f', input: { a: 1 } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: rewritten, content: 'ok' }] },
    ]);
  });

  it.each(['{"a":', '[1,2]', '"text"'])('rejects tool-call arguments %s that are not a JSON object, naming the field', async (args) => {
    const error = await fails({
      messages: [
        ...HI,
        {
          role: 'assistant',
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } },
            { id: 'b', type: 'function', function: { name: 'f', arguments: args } },
          ],
        },
      ],
    });
    expect(error.field).toBe('messages.1.tool_calls.1.function.arguments');
  });

  it('replays only Claude reasoning details it can send back, before the text', async () => {
    const { body } = await build({
      messages: [
        ...HI,
        {
          role: 'assistant',
          content: 'Answer.',
          reasoning_content: 'thought',
          reasoning_details: [
            { type: 'reasoning.text', text: 'unsigned' },
            { type: 'reasoning.text', text: 'signed', signature: 'sig', format: 'anthropic-claude-v1' },
            { type: 'reasoning.encrypted', data: 'gemini-state', format: 'google-gemini-v1' },
            { type: 'reasoning.summary', summary: 'summary' },
            { type: 'reasoning.encrypted', data: 'redacted' },
          ],
        },
        { role: 'user', content: 'More.' },
      ],
    });
    expect((body.messages as unknown[])[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'signed', signature: 'sig' },
        { type: 'redacted_thinking', data: 'redacted' },
        { type: 'text', text: 'Answer.' },
      ],
    });
  });
});

describe('content parts', () => {
  it('sends a PDF data URL as a document', async () => {
    const { body } = await build({
      messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'report.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQ=' } }] }],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQ=' }, title: 'report.pdf' }] },
    ]);
  });

  it.each([
    [{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }, 'messages.0.content.0.image_url.url'],
    [{ type: 'image_url', image_url: { url: 'ftp://example.com/a.png' } }, 'messages.0.content.0.image_url.url'],
    [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }, 'messages.0.content.0'],
    [{ type: 'file', file: { file_id: 'file-abc' } }, 'messages.0.content.0.file'],
  ] as const)('rejects a part Anthropic cannot take: %j', async (part, field) => {
    expect((await fails({ messages: [{ role: 'user', content: [part] }] })).field).toBe(field);
  });
});

describe('tools', () => {
  const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } }] as const;

  it.each([
    [{}, undefined],
    [{ tool_choice: 'auto' }, { type: 'auto' }],
    [{ tool_choice: 'required' }, { type: 'any' }],
    [{ tool_choice: 'none' }, { type: 'none' }],
    [{ tool_choice: { type: 'function', function: { name: 'f' } } }, { type: 'tool', name: 'f' }],
    [{ parallel_tool_calls: false }, { type: 'auto', disable_parallel_tool_use: true }],
    [{ tool_choice: 'required', parallel_tool_calls: false }, { type: 'any', disable_parallel_tool_use: true }],
    [{ tool_choice: 'none', parallel_tool_calls: false }, { type: 'none' }],
    [{ parallel_tool_calls: true }, undefined],
  ] as const)('maps %j to tool_choice %j', async (params, expected) => {
    const { body } = await build({ tools: [...tools], ...params } as Params);
    expect(body.tool_choice).toEqual(expected);
    expect(body.tools).toEqual([{ name: 'f', input_schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true }]);
  });

  it('sends no tool_choice without tools', async () => {
    const { body } = await build({ tool_choice: 'none', parallel_tool_calls: false });
    expect(body).not.toHaveProperty('tool_choice');
    expect(body).not.toHaveProperty('tools');
  });
});

describe('reasoning_effort', () => {
  it.each([
    ['minimal', 1024],
    ['low', 2048],
    ['medium', 8192],
    ['high', 24576],
    ['xhigh', 32768],
  ] as const)('%s → budget %i on budgeted-thinking models', async (effort, budget) => {
    const { body } = await build({ reasoning_effort: effort }, context('claude-sonnet-4-5'));
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: budget });
    expect(body.max_tokens).toBe(64000);
  });

  it('raises a caller max_tokens that does not exceed the budget to budget + max_tokens', async () => {
    expect((await build({ reasoning_effort: 'high', max_tokens: 1000 }, context('claude-sonnet-4-5'))).body).toMatchObject({
      max_tokens: 25576,
      thinking: { type: 'enabled', budget_tokens: 24576 },
    });
    expect((await build({ reasoning_effort: 'low', max_tokens: 10000 }, context('claude-sonnet-4-5'))).body.max_tokens).toBe(10000);
  });

  it('keeps room for the answer under a small default max_tokens', async () => {
    expect((await build({ reasoning_effort: 'xhigh' }, context('claude-opus-4-1'))).body).toMatchObject({
      max_tokens: 32000,
      thinking: { type: 'enabled', budget_tokens: 27904 },
    });
    expect((await build({ reasoning_effort: 'low' }, context('some-claude-proxy-model'))).body).toMatchObject({
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
  });

  it.each([
    ['claude-opus-4-6', 'high', 'high'],
    ['claude-sonnet-4-6', 'minimal', 'low'],
    ['claude-opus-4-7', 'xhigh', 'max'],
  ] as const)('uses adaptive thinking on %s (%s → effort %s)', async (model, effort, expected) => {
    const { body } = await build({ reasoning_effort: effort }, context(model));
    expect(body.thinking).toEqual({ type: 'adaptive' });
    expect(body.output_config).toEqual({ effort: expected });
  });

  it('sends no thinking for none', async () => {
    const { body } = await build({ reasoning_effort: 'none' });
    expect(body).not.toHaveProperty('thinking');
    expect(body).not.toHaveProperty('output_config');
  });

  it('rejects what thinking does not allow: temperature other than 1, forced tools, top_k', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'f' } }];
    expect((await fails({ reasoning_effort: 'low', temperature: 0.5 })).field).toBe('temperature');
    expect((await build({ reasoning_effort: 'low', temperature: 1 })).body.temperature).toBe(1);
    expect((await fails({ reasoning_effort: 'low', tools, tool_choice: 'required' })).field).toBe('tool_choice');
    expect((await fails({ reasoning_effort: 'low', providerOptions: { anthropic: { top_k: 5 } } })).field).toBe('providerOptions.anthropic.top_k');
  });

  it('combines adaptive effort and a json_schema format in output_config', async () => {
    const schema = { type: 'object', properties: {}, additionalProperties: false };
    const { body } = await build(
      { reasoning_effort: 'medium', response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } },
      context('claude-opus-4-6'),
    );
    expect(body.output_config).toEqual({ effort: 'medium', format: { type: 'json_schema', schema } });
  });
});

describe('response_format', () => {
  it('rejects json_object and a json_schema without a schema', async () => {
    expect((await fails({ response_format: { type: 'json_object' } })).field).toBe('response_format');
    expect((await fails({ response_format: { type: 'json_schema', json_schema: { name: 'x' } } })).field).toBe('response_format.json_schema.schema');
  });

  it('sends nothing for text', async () => {
    expect((await build({ response_format: { type: 'text' } })).body).not.toHaveProperty('output_config');
  });
});

describe('providerOptions', () => {
  it('merges other keys into the body under the configured provider key only', async () => {
    const { body, warnings } = await build(
      { providerOptions: { claude: { top_k: 3, service_tier: 'standard_only', model: 'other', stream: true }, anthropic: { top_k: 99 } } },
      context('claude-haiku-4-5', false, 'claude'),
    );
    expect(body).toMatchObject({ model: 'claude-haiku-4-5', top_k: 3, service_tier: 'standard_only' });
    expect(body).not.toHaveProperty('stream');
    expect(warnings).toEqual([
      'providerOptions.claude.model cannot be overridden; it was ignored',
      'providerOptions.claude.stream cannot be overridden; it was ignored',
    ]);
  });

  it('validates cacheControl and betas', async () => {
    expect((await fails({ providerOptions: { anthropic: { cacheControl: { system: 'forever' } } } })).field).toBe('providerOptions.anthropic.cacheControl');
    expect((await fails({ providerOptions: { anthropic: { cacheControl: { messages: true } } } })).field).toBe('providerOptions.anthropic.cacheControl');
    expect((await fails({ providerOptions: { anthropic: { betas: 'x' } } })).field).toBe('providerOptions.anthropic.betas');
  });

  it('ignores a system breakpoint when there is no system prompt', async () => {
    const { body } = await build({ providerOptions: { anthropic: { cacheControl: { system: true, tools: '5m' } } } });
    expect(body).not.toHaveProperty('system');
  });
});

describe('headers and URL', () => {
  it('uses the caller credential header instead of looking up a key', async () => {
    const { request } = await build({}, context(), { headers: { Authorization: 'Bearer oauth-token-123456789', 'X-Api-Key': 'sk-ant-user-header-0123456789' } });
    expect(request.headers['x-api-key']).toBe('sk-ant-user-header-0123456789');
    expect(request.headers.authorization).toBe('Bearer oauth-token-123456789');
  });

  it('removes a trailing slash from baseURL', async () => {
    const { request } = await build({}, context(), { apiKey: API_KEY, baseURL: 'http://127.0.0.1:8080/anthropic/' });
    expect(request.url).toBe('http://127.0.0.1:8080/anthropic/v1/messages');
    expect(request.method).toBe('POST');
  });

  it('never mutates the caller request', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Prefill  ' },
    ];
    const tools = [{ type: 'function' as const, function: { name: 'f' } }];
    const snapshot = JSON.stringify({ messages, tools });
    await build({ messages, tools, providerOptions: { anthropic: { cacheControl: { system: true, tools: true } } } });
    expect(JSON.stringify({ messages, tools })).toBe(snapshot);
  });
});

describe(':online (ctx.webSearch)', () => {
  it("adds Anthropic's web_search server tool before the caller's own tools", async () => {
    const alone = await build({}, { ...context(), webSearch: true });
    expect(alone.body.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }]);
    const withTools = await build(
      { tools: [{ type: 'function', function: { name: 'ping', parameters: { type: 'object', properties: {} } } }] },
      { ...context(), webSearch: true },
    );
    expect((withTools.body.tools as Array<{ name: string }>).map((t) => t.name)).toEqual(['web_search', 'ping']);
    const off = await build({});
    expect(off.body.tools).toBeUndefined();
  });
});
