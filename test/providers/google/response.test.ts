/** Response and stream mapping edge cases, on the adapter directly. */
import { describe, expect, it } from 'vitest';
import { InvalidResponseError } from '../../../src/errors/index.js';
import { google } from '../../../src/providers/google/index.js';
import { GoogleStreamMapper } from '../../../src/providers/google/stream.js';
import type { ChatCompletionChunk } from '../../../src/request/types.js';
import { collect, context, fixture, fixtureJson, headerLookup, KEY, runMapper, sseEvents, thrown, TOOL_ID } from './helpers.js';

const adapter = google({ apiKey: KEY });
const ctx = () => context('google', 'gemini-2.5-flash');
const parse = (body: unknown, c = ctx()) => adapter.parseResponse(body, c, headerLookup());

function frames(...bodies: unknown[]): string {
  return bodies.map((body) => `data: ${JSON.stringify(body)}\r\n\r\n`).join('');
}

const part = (text: string) => ({ content: { parts: [{ text }], role: 'model' } });

describe('parseResponse', () => {
  it('maps every candidate to a choice', () => {
    const res = parse({
      candidates: [
        { ...part('One'), finishReason: 'STOP', index: 0 },
        { ...part('Two'), finishReason: 'MAX_TOKENS', index: 1 },
      ],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 4, totalTokenCount: 9 },
    });
    expect(res.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'One', 'stop'],
      [1, 'Two', 'length'],
    ]);
    expect(res.id).toMatch(/^chatcmpl-[A-Za-z0-9]{24}$/);
    expect(res.model).toBe('gemini-2.5-flash');
  });

  it.each([
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['SPII', 'content_filter'],
    ['IMAGE_SAFETY', 'content_filter'],
    ['LANGUAGE', 'stop'],
    ['OTHER', 'stop'],
    ['FINISH_REASON_UNSPECIFIED', 'stop'],
    [undefined, 'stop'],
  ])('finishReason %s → %s', (reason, finish) => {
    expect(parse({ candidates: [{ ...part('x'), finishReason: reason }], usageMetadata: {} }).choices[0]?.finish_reason).toBe(finish);
  });

  it.each(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS'])('%s is an InvalidResponseError', (reason) => {
    const error = thrown(() => parse({ candidates: [{ content: {}, finishReason: reason }] }));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as InvalidResponseError).providerCode).toBe(reason);
  });

  it('keeps an id Gemini sends, generates one otherwise, and gives {} for absent args', () => {
    const res = parse({
      candidates: [
        {
          content: { parts: [{ functionCall: { id: 'fc-7', name: 'a', args: { x: 1 } } }, { functionCall: { name: 'get_time' } }] },
          finishReason: 'STOP',
        },
      ],
      usageMetadata: {},
    });
    const calls = res.choices[0]?.message.tool_calls ?? [];
    expect(calls[0]).toEqual({ id: 'fc-7', type: 'function', function: { name: 'a', arguments: '{"x":1}' } });
    expect(calls[1]?.id).toMatch(TOOL_ID);
    expect(calls[1]?.function.arguments).toBe('{}');
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('adds tool-use prompt tokens to the prompt; total is prompt + completion', () => {
    const res = parse({
      candidates: [{ ...part('x'), finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 10, toolUsePromptTokenCount: 90, candidatesTokenCount: 5, thoughtsTokenCount: 3, totalTokenCount: 108 },
    });
    expect(res.usage).toEqual({ prompt_tokens: 100, completion_tokens: 8, total_tokens: 108, completion_tokens_details: { reasoning_tokens: 3 }, cost: null });
  });

  it('warns and gives zero usage when usageMetadata is missing', () => {
    const c = ctx();
    expect(parse({ candidates: [{ ...part('x'), finishReason: 'STOP' }] }, c).usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cost: null });
    expect(c.warnings).toEqual(['the provider reported no usage: usage is zero and cost unknown']);
  });

  it('maps logprobsResult to OpenAI logprobs', () => {
    const res = parse({
      candidates: [
        {
          ...part('Hi'),
          finishReason: 'STOP',
          logprobsResult: {
            topCandidates: [{ candidates: [{ token: 'Hi', logProbability: -0.1 }, { token: 'Hey', logProbability: -2.5 }] }],
            chosenCandidates: [{ token: 'Hi', logProbability: -0.1 }],
          },
        },
      ],
      usageMetadata: {},
    });
    expect(res.choices[0]?.logprobs).toEqual({
      content: [
        {
          token: 'Hi',
          logprob: -0.1,
          bytes: [72, 105],
          top_logprobs: [
            { token: 'Hi', logprob: -0.1, bytes: [72, 105] },
            { token: 'Hey', logprob: -2.5, bytes: [72, 101, 121] },
          ],
        },
      ],
      refusal: null,
    });
  });

  it('warns once per output part kind it cannot carry', () => {
    const c = ctx();
    parse(
      {
        candidates: [
          {
            content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'AA==' } }, { inlineData: { mimeType: 'image/png', data: 'AA==' } }, { text: 'x' }] },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: {},
      },
      c,
    );
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain('inlineData');
  });

  it('throws the typed error for a 200 carrying an error object', () => {
    const error = thrown(() => parse(fixtureJson('error-429.json')));
    expect((error as { code: string }).code).toBe('rate_limit');
    expect((error as { retryAfterMs: number }).retryAfterMs).toBe(34000);
  });

  it('rejects a body that is not an answer', () => {
    expect(thrown(() => parse([]))).toBeInstanceOf(InvalidResponseError);
    expect(thrown(() => parse({ candidates: [] }))).toBeInstanceOf(InvalidResponseError);
  });
});

describe('GoogleStreamMapper', () => {
  it('decodes CRLF-framed events', () => {
    const events = sseEvents(fixture('stream-text.sse'));
    expect(events).toHaveLength(2);
    for (const event of events) expect(() => JSON.parse(event.data) as unknown).not.toThrow();
  });

  it('is complete only once every candidate seen has finished', () => {
    const mapper = new GoogleStreamMapper(ctx());
    const out: ChatCompletionChunk[] = [];
    expect(mapper.complete).toBe(false);
    for (const event of sseEvents(
      frames(
        { candidates: [{ ...part('a'), index: 0 }, { ...part('b'), index: 1 }] },
        { candidates: [{ ...part('!'), finishReason: 'STOP', index: 0 }] },
      ),
    )) {
      mapper.push(event, out);
    }
    expect(mapper.complete).toBe(false);
    mapper.push(sseEvents(frames({ candidates: [{ ...part(''), finishReason: 'MAX_TOKENS', index: 1 }] }))[0] as never, out);
    expect(mapper.complete).toBe(true);
    expect(out.map((c) => c.choices.map((ch) => [ch.index, ch.delta.role, ch.delta.content, ch.finish_reason]))).toEqual([
      [
        [0, 'assistant', 'a', null],
        [1, 'assistant', 'b', null],
      ],
      [[0, undefined, '!', 'stop']],
      [[1, undefined, undefined, 'length']],
    ]);
  });

  it('takes the latest cumulative usage, never a sum, and emits no usage-only chunk', () => {
    const mapper = new GoogleStreamMapper(ctx());
    const chunks = runMapper(
      mapper,
      frames(
        { ...{ candidates: [{ ...part('a') }] }, usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 1, totalTokenCount: 11 } },
        { candidates: [{ ...part('b'), finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2, totalTokenCount: 12 } },
        { usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2, thoughtsTokenCount: 4, totalTokenCount: 16 } },
      ),
    );
    expect(chunks).toHaveLength(2);
    expect(mapper.usage).toEqual({ prompt_tokens: 10, completion_tokens: 6, total_tokens: 16, completion_tokens_details: { reasoning_tokens: 4 }, cost: null });
    for (const chunk of chunks) expect(chunk.usage).toBeUndefined();
  });

  it('keeps id, model and created stable, and generates an id when Gemini sends none', () => {
    const mapper = new GoogleStreamMapper(ctx());
    const chunks = runMapper(mapper, frames({ candidates: [part('a')] }, { candidates: [{ ...part('b'), finishReason: 'STOP' }], responseId: 'late' }));
    expect(chunks[0]?.id).toMatch(/^chatcmpl-/);
    expect(chunks[1]?.id).toBe(chunks[0]?.id);
    expect(mapper.meta).toEqual({ id: chunks[0]?.id, model: 'gemini-2.5-flash', created: chunks[0]?.created });
  });

  it('numbers tool calls across events, generating unique ids', () => {
    const mapper = new GoogleStreamMapper(ctx());
    const got = collect(runMapper(mapper, fixture('stream-tool-call.sse')));
    expect(got.toolCalls.map((c) => c.index)).toEqual([0, 1]);
    expect(new Set(got.toolCalls.map((c) => c.id)).size).toBe(2);
    expect(got.finishReason).toBe('tool_calls');
    expect(mapper.complete).toBe(true);
  });

  it.each([
    ['not JSON', 'data: {"candidates":\r\n\r\n'],
    ['not an object', 'data: [1]\r\n\r\n'],
  ])('rejects an event that is %s', (_, text) => {
    expect(thrown(() => runMapper(new GoogleStreamMapper(ctx()), text))).toBeInstanceOf(InvalidResponseError);
  });

  it('ignores blank events and frames without candidates', () => {
    const mapper = new GoogleStreamMapper(ctx());
    expect(runMapper(mapper, 'data: \r\n\r\n' + frames({ candidates: [{ index: 0 }] }, { modelVersion: 'x' }))).toEqual([]);
    expect(mapper.complete).toBe(false);
  });

  it('throws a function-call failure finish as InvalidResponseError', () => {
    expect(thrown(() => runMapper(new GoogleStreamMapper(ctx()), frames({ candidates: [{ finishReason: 'MALFORMED_FUNCTION_CALL' }] })))).toBeInstanceOf(
      InvalidResponseError,
    );
  });
});
