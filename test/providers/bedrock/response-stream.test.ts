/** Converse answers and ConverseStream events → unified results, and their agreement. */
import { describe, expect, it } from 'vitest';
import { InvalidResponseError, ServerError } from '../../../src/errors/index.js';
import { BEDROCK_FINISH_REASONS, bedrockUsage, mapStopReason, parseConverseResponse } from '../../../src/providers/bedrock/response.js';
import { BedrockStreamMapper } from '../../../src/providers/bedrock/stream.js';
import type { ChatCompletionChunk } from '../../../src/request/types.js';
import { collect, context, fixtureJson, headerLookup, runMapper } from './helpers.js';

const NO_HEADERS = headerLookup();

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('non-streaming answers', () => {
  it('id from x-amzn-RequestId, else generated', () => {
    const ctx = context();
    expect(parseConverseResponse(fixtureJson('text.json'), ctx, headerLookup({ 'x-amzn-RequestId': 'abc-123' }), undefined).id).toBe('chatcmpl-abc-123');
    expect(parseConverseResponse(fixtureJson('text.json'), ctx, NO_HEADERS, undefined).id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
  });

  it.each(Object.entries(BEDROCK_FINISH_REASONS).filter(([, v]) => v !== 'error'))('stopReason %s → %s', (raw, mapped) => {
    expect(mapStopReason(raw, raw === 'tool_use', context())).toBe(mapped);
  });

  it('unknown or missing stopReason → stop (tool_calls with tool calls); tool_use with only the JSON tool → stop', () => {
    expect(mapStopReason('something_new', false, context())).toBe('stop');
    expect(mapStopReason(undefined, true, context())).toBe('tool_calls');
    expect(mapStopReason('tool_use', false, context())).toBe('stop');
  });

  it.each(['malformed_model_output', 'malformed_tool_use'])('%s is a retryable ServerError', (raw) => {
    const body = { output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: raw, usage: { inputTokens: 1, outputTokens: 1 } };
    const error = thrown(() => parseConverseResponse(body, context(), NO_HEADERS, undefined));
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ retryable: true, providerCode: raw, provider: 'bedrock' });
  });

  it('redacted reasoning → a reasoning.encrypted detail (format only for Claude models)', () => {
    const claude = parseConverseResponse(fixtureJson('redacted-reasoning.json'), context(), NO_HEADERS, undefined);
    expect(claude.choices[0]?.message.reasoning_details).toEqual([{ type: 'reasoning.encrypted', data: 'RXhhbXBsZSByZWRhY3RlZCB0aGlua2luZw==', format: 'anthropic-claude-v1' }]);
    expect(claude.choices[0]?.message.reasoning_content).toBeUndefined();
    const other = parseConverseResponse(fixtureJson('redacted-reasoning.json'), context('deepseek.r1-v1:0'), NO_HEADERS, undefined);
    expect(other.choices[0]?.message.reasoning_details).toEqual([{ type: 'reasoning.encrypted', data: 'RXhhbXBsZSByZWRhY3RlZCB0aGlua2luZw==' }]);
  });

  it('no usage: zeros and a warning', () => {
    const ctx = context();
    const res = parseConverseResponse({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason: 'end_turn' }, ctx, NO_HEADERS, undefined);
    expect(res.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost: null });
    expect(ctx.warnings).toEqual(['the provider reported no usage: usage is zero and cost unknown']);
  });

  it.each<[string, unknown]>([
    ['not an object', [1, 2]],
    ['no output', { stopReason: 'end_turn' }],
    ['no content array', { output: { message: { role: 'assistant' } } }],
  ])('%s → InvalidResponseError', (_name, body) => {
    expect(thrown(() => parseConverseResponse(body, context(), NO_HEADERS, undefined))).toBeInstanceOf(InvalidResponseError);
  });

  it('usage: inputTokens excludes the cache, so prompt = input + reads + writes; zero writes are omitted', () => {
    expect(bedrockUsage({ inputTokens: 10, outputTokens: 5, totalTokens: 115, cacheReadInputTokens: 100, cacheWriteInputTokens: 0 })).toEqual({
      prompt_tokens: 110,
      completion_tokens: 5,
      total_tokens: 115,
      prompt_tokens_details: { cached_tokens: 100 },
      cost: null,
    });
    expect(bedrockUsage('nope')).toBeUndefined();
  });
});

describe('stream mapper', () => {
  it('is complete only after messageStop AND metadata', () => {
    const mapper = new BedrockStreamMapper(context(undefined, true), undefined);
    const out: ChatCompletionChunk[] = [];
    mapper.push({ event: 'messageStart', data: '{"role":"assistant"}' }, out);
    mapper.push({ event: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"text":"x"}}' }, out);
    mapper.push({ event: 'messageStop', data: '{"stopReason":"end_turn"}' }, out);
    expect(mapper.complete).toBe(false);
    expect(mapper.usage).toBeUndefined();
    mapper.push({ event: 'metadata', data: '{"usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":5}}' }, out);
    expect(mapper.complete).toBe(true);
    expect(mapper.usage).toEqual({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, cost: null });
    expect(mapper.meta).toEqual({ id: out[0]!.id, model: 'anthropic.claude-haiku-4-5-20251001-v1:0', created: out[0]!.created });
    // Never a usage-only chunk.
    expect(out.every((c) => c.usage === undefined && c.choices.length === 1)).toBe(true);
  });

  it.each<[string, string]>([
    ['invalid JSON', '{"contentBlockIndex":'],
    ['not an object', '[1]'],
  ])('%s → InvalidResponseError', (_name, data) => {
    const mapper = new BedrockStreamMapper(context(), undefined);
    expect(thrown(() => mapper.push({ event: 'contentBlockDelta', data }, []))).toBeInstanceOf(InvalidResponseError);
  });

  it('tool input for a block that never started → InvalidResponseError; unknown events are ignored', () => {
    const mapper = new BedrockStreamMapper(context(), undefined);
    const out: ChatCompletionChunk[] = [];
    mapper.push({ event: 'somethingNew', data: '{"x":1}' }, out);
    expect(out).toEqual([]);
    expect(thrown(() => mapper.push({ event: 'contentBlockDelta', data: '{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}}' }, out))).toBeInstanceOf(
      InvalidResponseError,
    );
  });

  it('the first chunk carries the role even without messageStart', () => {
    const out: ChatCompletionChunk[] = [];
    new BedrockStreamMapper(context(), undefined).push({ event: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"text":"Hi"}}' }, out);
    expect(out[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: 'Hi' });
  });

  it('streamed redacted reasoning → one encrypted detail at the block stop', () => {
    const mapper = new BedrockStreamMapper(context(), undefined);
    const out: ChatCompletionChunk[] = [];
    mapper.push({ event: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"UkVE"}}}' }, out);
    expect(out).toEqual([]);
    mapper.push({ event: 'contentBlockStop', data: '{"contentBlockIndex":0}' }, out);
    expect(out[0]?.choices[0]?.delta.reasoning_details).toEqual([{ type: 'reasoning.encrypted', data: 'UkVE', format: 'anthropic-claude-v1' }]);
  });

  it('a malformed_model_output stop in a stream is a ServerError', () => {
    const mapper = new BedrockStreamMapper(context(), undefined);
    expect(thrown(() => mapper.push({ event: 'messageStop', data: '{"stopReason":"malformed_model_output"}' }, []))).toBeInstanceOf(ServerError);
  });
});

/** Each answer fixture and its streamed transcript must give the same unified result. */
describe.each<[string, string, string | undefined]>([
  ['text.json', 'stream-text.events', undefined],
  ['tool-call.json', 'stream-tool-call.events', undefined],
  ['parallel-tool-calls.json', 'stream-parallel-tool-calls.events', undefined],
  ['reasoning.json', 'stream-reasoning.events', undefined],
  ['cache-usage.json', 'stream-cache-usage.events', undefined],
  ['json-schema.json', 'stream-json-schema.events', 'weather_report'],
])('%s and %s agree', (answer, transcriptName, jsonTool) => {
  it('same content, reasoning, tool calls, finish reason and usage', () => {
    const res = parseConverseResponse(fixtureJson(answer), context(), NO_HEADERS, jsonTool);
    const mapper = new BedrockStreamMapper(context(undefined, true), jsonTool);
    const got = collect(runMapper(mapper, transcriptName), mapper.usage);
    const message = res.choices[0]!.message;
    expect(mapper.complete).toBe(true);
    expect(got.content).toBe(message.content ?? '');
    expect(got.reasoning).toBe(message.reasoning_content ?? '');
    expect(got.reasoningDetails).toEqual(message.reasoning_details ?? []);
    expect(got.toolCalls.map((c) => ({ id: c.id, type: c.type, function: { name: c.name, arguments: c.arguments } }))).toEqual(message.tool_calls ?? []);
    expect(got.finishReason).toBe(res.choices[0]!.finish_reason);
    expect(got.usage).toEqual(res.usage);
  });
});
