/** The helpers in src/providers/shared, meant for reuse by every adapter. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readErrorBody } from '../../../src/providers/shared/error-body.js';
import { mapFinishReason } from '../../../src/providers/shared/finish-reason.js';
import { excerpt, parseJson } from '../../../src/providers/shared/json.js';
import { rateLimitWait, retryAfterFromMessage } from '../../../src/providers/shared/retry-hints.js';
import { toAlphanumericId, toMistralToolCallId } from '../../../src/providers/shared/tool-call-ids.js';
import { buildUsage, normalizeOpenAIUsage } from '../../../src/providers/shared/usage.js';
import { headerLookup } from './helpers.js';

describe('tool-call ids', () => {
  it('are deterministic, 9 alphanumeric characters, and keep ids already in shape', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (id) => {
        const out = toMistralToolCallId(id);
        expect(out).toMatch(/^[a-zA-Z0-9]{9}$/);
        expect(toMistralToolCallId(id)).toBe(out);
        if (/^[a-zA-Z0-9]{9}$/.test(id)) expect(out).toBe(id);
      }),
    );
  });

  it('rarely collide', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `call_${i.toString(36)}_${(i * 7919).toString(16)}`);
    expect(new Set(ids.map(toMistralToolCallId)).size).toBe(ids.length);
  });

  it('support other lengths', () => {
    expect(toAlphanumericId('toolu_01A09q90qw90lq917835lq9', 16)).toMatch(/^[a-zA-Z0-9]{16}$/);
  });
});

describe('usage', () => {
  it('normalizes OpenAI usage: totals recomputed, zero extras dropped', () => {
    expect(
      normalizeOpenAIUsage({
        prompt_tokens: 100,
        completion_tokens: 50,
        total_tokens: 999,
        prompt_tokens_details: { cached_tokens: 40, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 30, audio_tokens: 0, accepted_prediction_tokens: 2 },
      }),
    ).toEqual({
      prompt_tokens: 100,
      completion_tokens: 50,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 40 },
      completion_tokens_details: { reasoning_tokens: 30, accepted_prediction_tokens: 2 },
      cost: null,
    });
  });

  it('DeepSeek: cached from prompt_cache_hit_tokens when details are absent', () => {
    expect(normalizeOpenAIUsage({ prompt_tokens: 20, completion_tokens: 2, prompt_cache_hit_tokens: 16, prompt_cache_miss_tokens: 4 })?.prompt_tokens_details).toEqual({ cached_tokens: 16 });
  });

  it('xAI: reasoning added to completion; OpenRouter: cost and cache writes kept', () => {
    expect(normalizeOpenAIUsage({ prompt_tokens: 1, completion_tokens: 2, completion_tokens_details: { reasoning_tokens: 5 } }, { completionExcludesReasoning: true })?.completion_tokens).toBe(7);
    const routed = normalizeOpenAIUsage({ prompt_tokens: 10, completion_tokens: 1, cost: 0.5, prompt_tokens_details: { cache_write_tokens: 0 } }, { providerCost: true });
    expect(routed?.cost).toBe(0.5);
    expect(routed?.prompt_tokens_details).toBeUndefined();
    expect(normalizeOpenAIUsage({ prompt_tokens: 10, completion_tokens: 1, cost: 0.5 })?.cost).toBeNull();
  });

  it('ignores garbage: negative, NaN, strings', () => {
    expect(normalizeOpenAIUsage({ prompt_tokens: -4, completion_tokens: 'x' })).toEqual(buildUsage({ prompt: 0, completion: 0 }));
    expect(normalizeOpenAIUsage(null)).toBeUndefined();
  });
});

describe('finish reasons', () => {
  it.each([
    ['stop', false, 'stop'],
    ['stop', true, 'tool_calls'],
    [null, true, 'tool_calls'],
    ['length', true, 'length'],
    ['model_length', false, 'length'],
    ['content_filter', false, 'content_filter'],
    ['something_new', false, 'stop'],
    ['insufficient_system_resource', false, 'error'],
    ['error', false, 'error'],
  ] as const)('%s (tool calls: %s) → %s', (raw, tools, expected) => {
    expect(mapFinishReason(raw, tools)).toBe(expected);
  });
});

describe('retry hints', () => {
  it.each([
    ['Please try again in 210ms.', 210],
    ['Please try again in 1.5s. Visit …', 1500],
    ['Please try again in 6m0s.', 360_000],
    ['Please retry after 6 seconds.', 6000],
    ['Retry in 2 minutes', 120_000],
    ['Please try again later.', undefined],
  ])('%s → %s', (message, ms) => {
    expect(retryAfterFromMessage(message)).toBe(ms);
  });

  it('headers win over the message', () => {
    expect(rateLimitWait(headerLookup({ 'retry-after': '3' }), 'Please try again in 210ms')).toBe(3000);
    expect(rateLimitWait(headerLookup({ 'retry-after-ms': '0' }), '')).toBe(0);
  });
});

describe('error bodies and JSON', () => {
  it('reads the common shapes', () => {
    expect(readErrorBody('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}')).toMatchObject({ message: 'Overloaded', type: 'overloaded_error', requestId: 'req_1' });
    expect(readErrorBody('{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}')).toMatchObject({ status: 429, type: 'RESOURCE_EXHAUSTED' });
    expect(readErrorBody('{"detail":"Not Found"}').message).toBe('Not Found');
    expect(readErrorBody('{"error":"model \\"x\\" not found"}').message).toBe('model "x" not found');
    expect(readErrorBody('').message).toBe('');
  });

  it('parse failures never include the text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (text) => {
        const result = parseJson(`{"k":"${text}`);
        if (!result.ok) expect(result.message).toMatch(/^not valid JSON \(\d+ characters(, error at position \d+)?\)$/);
      }),
    );
  });

  it('excerpts are single-line and bounded', () => {
    expect(excerpt('a\n\n  b'.repeat(200)).length).toBeLessThanOrEqual(201);
    expect(excerpt('<h1>Bad   Gateway</h1>')).toBe('Bad Gateway');
  });
});
