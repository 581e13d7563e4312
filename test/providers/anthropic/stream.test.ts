/** The stream mapper and response/error mapping at the adapter level. */
import { describe, expect, it } from 'vitest';
import {
  InvalidResponseError,
  ProviderOverloadedError,
  RateLimitError,
  ServerError,
  type ProviderError,
} from '../../../src/errors/classes.js';
import { anthropic } from '../../../src/providers/anthropic/index.js';
import type { ChatCompletionChunk } from '../../../src/request/types.js';
import { anthropicRetryAfter } from '../../../src/providers/anthropic/errors.js';
import { mapStopReason } from '../../../src/providers/anthropic/response.js';
import { API_KEY, collect, context, fixture, fixtureJson, headerLookup, runMapper, sseEvents } from './helpers.js';

const adapter = anthropic({ apiKey: API_KEY });

function event(type: string, data: Record<string, unknown>): { event: string; data: string } {
  return { event: type, data: JSON.stringify({ type, ...data }) };
}

const START = event('message_start', {
  message: { id: 'msg_1', model: 'claude-haiku-4-5-20251001', content: [], usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 1 } },
});

describe('stream mapper', () => {
  it('treats ping as keep-alive only', () => {
    const mapper = adapter.createStreamMapper(context('claude-haiku-4-5', true));
    const kinds = sseEvents(fixture('stream-text.sse')).map((e) => [e.event, mapper.isKeepAlive?.(e)]);
    expect(kinds.filter(([, keepAlive]) => keepAlive)).toEqual([
      ['ping', true],
      ['ping', true],
    ]);
    const out: never[] = [];
    mapper.push({ event: 'ping', data: '{"type":"ping"}' }, out);
    expect(out).toEqual([]);
  });

  it('is complete only after message_stop', () => {
    const mapper = adapter.createStreamMapper(context('claude-haiku-4-5', true));
    const events = sseEvents(fixture('stream-text.sse'));
    const out: ChatCompletionChunk[] = [];
    for (const e of events.slice(0, -1)) mapper.push(e, out);
    expect(mapper.complete).toBe(false);
    mapper.push(events[events.length - 1] as (typeof events)[number], out);
    expect(mapper.complete).toBe(true);
    expect(mapper.meta).toMatchObject({ id: 'msg_01XFDUDYJgAACzvnptvVoYEL', model: 'claude-haiku-4-5-20251001' });
  });

  it('takes usage as cumulative: the last output_tokens wins, nothing is summed', () => {
    const mapper = adapter.createStreamMapper(context('claude-haiku-4-5', true));
    const out: ChatCompletionChunk[] = [];
    mapper.push(START, out);
    expect(mapper.usage).toMatchObject({ prompt_tokens: 15, completion_tokens: 1 });
    mapper.push(event('message_delta', { delta: { stop_reason: null }, usage: { output_tokens: 5 } }), out);
    mapper.push(event('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 12, input_tokens: null } }), out);
    expect(mapper.usage).toEqual({ prompt_tokens: 15, completion_tokens: 12, total_tokens: 27, prompt_tokens_details: { cached_tokens: 5 }, cost: null });
    expect(collect(out).finishReason).toBe('length');
    // Only the message_start role chunk and the finish chunk: no usage-only chunk.
    expect(out).toHaveLength(2);
    expect(out.every((chunk) => chunk.usage === undefined)).toBe(true);
  });

  it('numbers tool calls among tool calls only, not content blocks', () => {
    const chunks = runMapper(adapter.createStreamMapper(context('claude-sonnet-4-5', true)), fixture('stream-thinking-tools.sse'));
    const indexes = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls?.map((call) => call.index) ?? []);
    expect(new Set(indexes)).toEqual(new Set([0, 1]));
    // The signature arrives once, with the whole thinking block, when the block stops.
    const details = chunks.filter((chunk) => chunk.choices[0]?.delta.reasoning_details !== undefined);
    expect(details).toHaveLength(2);
  });

  it('gives the same message streamed as not streamed', () => {
    const streamed = collect(runMapper(adapter.createStreamMapper(context('claude-sonnet-4-5', true)), fixture('stream-thinking-tools.sse')));
    expect(streamed.finishReason).toBe('tool_calls');
    const text = collect(runMapper(adapter.createStreamMapper(context('claude-haiku-4-5', true)), fixture('stream-text.sse')));
    const mapper = adapter.createStreamMapper(context('claude-haiku-4-5', true));
    runMapper(mapper, fixture('stream-text.sse'));
    const whole = adapter.parseResponse(fixtureJson('text.json'), context(), headerLookup());
    expect(text.content).toBe(whole.choices[0]?.message.content);
    expect(mapper.usage).toEqual(whole.usage);
  });

  it.each([
    ['overloaded_error', ProviderOverloadedError, true],
    ['rate_limit_error', RateLimitError, true],
    ['api_error', ServerError, true],
  ] as const)('throws the typed error of an in-band %s', (type, Class, retryable) => {
    const mapper = adapter.createStreamMapper(context('claude-haiku-4-5', true));
    mapper.push(START, []);
    let error: unknown;
    try {
      mapper.push({ event: 'error', data: JSON.stringify({ type: 'error', error: { type, message: 'boom' } }) }, []);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(Class);
    expect((error as ProviderError).retryable).toBe(retryable);
    expect((error as ProviderError).providerCode).toBe(type);
    expect((error as ProviderError).message).toBe('anthropic error: boom');
  });

  it.each([
    ['not json', '{"type":'],
    ['a delta for a block never started', JSON.stringify({ type: 'content_block_delta', index: 7, delta: { type: 'text_delta', text: 'x' } })],
    ['a block event without index', JSON.stringify({ type: 'content_block_start', content_block: { type: 'text', text: '' } })],
  ])('rejects %s as an invalid response', (_what, data) => {
    const mapper = adapter.createStreamMapper(context('claude-haiku-4-5', true));
    mapper.push(START, []);
    expect(() => mapper.push({ event: 'x', data }, [])).toThrow(InvalidResponseError);
  });

  it('ignores event types it does not know and citation deltas', () => {
    const mapper = adapter.createStreamMapper(context('claude-haiku-4-5', true));
    const out: ChatCompletionChunk[] = [];
    mapper.push(START, out);
    mapper.push(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }), out);
    mapper.push(event('content_block_delta', { index: 0, delta: { type: 'citations_delta', citation: {} } }), out);
    mapper.push(event('future_event', {}), out);
    expect(out).toHaveLength(1);
  });
});

describe('response', () => {
  it.each([
    ['end_turn', false, 'stop'],
    ['stop_sequence', false, 'stop'],
    ['pause_turn', false, 'stop'],
    ['max_tokens', false, 'length'],
    ['model_context_window_exceeded', false, 'length'],
    ['tool_use', true, 'tool_calls'],
    ['end_turn', true, 'tool_calls'],
    ['refusal', false, 'content_filter'],
    [null, false, 'stop'],
  ] as const)('maps stop_reason %s (tool calls: %s) to %s', (raw, tools, expected) => {
    expect(mapStopReason(raw, tools)).toBe(expected);
  });

  it('sums the 5m/1h cache-write split when the total is absent', () => {
    const res = adapter.parseResponse(
      { id: 'msg_1', type: 'message', model: 'm', content: [], stop_reason: 'end_turn', usage: { input_tokens: 1, cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 4 }, output_tokens: 2 } },
      context(),
      headerLookup(),
    );
    expect(res.usage).toEqual({ prompt_tokens: 8, completion_tokens: 2, total_tokens: 10, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 7 }, cost: null });
  });

  it('throws the typed error for a 200 body that is an error object', () => {
    expect(() => adapter.parseResponse(fixtureJson('error-529.json'), context(), headerLookup())).toThrow(ProviderOverloadedError);
  });

  it('rejects a body without content', () => {
    expect(() => adapter.parseResponse({ id: 'msg_1', type: 'message' }, context(), headerLookup())).toThrow(InvalidResponseError);
  });

  it('warns when usage is missing', () => {
    const ctx = context();
    const res = adapter.parseResponse({ id: 'msg_1', type: 'message', content: [{ type: 'text', text: 'x' }] }, ctx, headerLookup());
    expect(res.usage.total_tokens).toBe(0);
    expect(ctx.warnings).toHaveLength(1);
  });
});

describe('errors', () => {
  it('honours x-should-retry', () => {
    const error = adapter.parseError(529, fixture('error-529.json'), headerLookup({ 'x-should-retry': 'false' }), context());
    expect(error).toBeInstanceOf(ProviderOverloadedError);
    expect(error.retryable).toBe(false);
  });

  it('maps a non-JSON body by status', () => {
    const error = adapter.parseError(502, '<html><body>Bad gateway</body></html>', headerLookup(), context());
    expect(error).toBeInstanceOf(ServerError);
    expect(error.message).toContain('Bad gateway');
  });

  it('prefers retry-after over the rate-limit reset headers, and ignores windows not exhausted', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(anthropicRetryAfter(headerLookup({ 'retry-after': '2' }), now)).toBe(2000);
    expect(
      anthropicRetryAfter(
        headerLookup({
          'anthropic-ratelimit-input-tokens-remaining': '0',
          'anthropic-ratelimit-input-tokens-reset': '2026-01-01T00:00:12Z',
          'anthropic-ratelimit-output-tokens-remaining': '0',
          'anthropic-ratelimit-output-tokens-reset': '2026-01-01T00:00:04Z',
          'anthropic-ratelimit-requests-remaining': '3',
          'anthropic-ratelimit-requests-reset': '2026-01-01T00:01:00Z',
        }),
        now,
      ),
    ).toBe(12_000);
    expect(anthropicRetryAfter(headerLookup({ 'anthropic-ratelimit-requests-reset': '2026-01-01T00:01:00Z' }), now)).toBeUndefined();
  });
});
