import { describe, expect, it } from 'vitest';
import {
  cacheControlTtl,
  DEFAULT_MAX_OUTPUT_TOKENS,
  estimateInputTokens,
  estimateOutputTokens,
  estimateRequestCost,
  estimateTextTokens,
  IMAGE_TOKEN_ESTIMATE,
} from '../../src/pricing/estimate.js';
import type { ChatMessage } from '../../src/request/types.js';

describe('estimateTextTokens', () => {
  it('ASCII at 4 characters per token, other UTF-16 units at one each', () => {
    expect(estimateTextTokens('')).toBe(0);
    expect(estimateTextTokens('abcd'.repeat(100))).toBe(100);
    expect(estimateTextTokens('abcde')).toBe(2);
    expect(estimateTextTokens('你好世界')).toBe(4);
    expect(estimateTextTokens('café')).toBe(1 + 1);
  });
});

describe('estimateInputTokens', () => {
  const text = 'x'.repeat(400); // 100 tokens

  it('messages: text + 4 per message + 3 priming, plus a 10 % margin', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: text },
      { role: 'user', content: text },
    ];
    expect(estimateInputTokens({ messages })).toBe(Math.ceil((3 + 2 * (4 + 100)) * 1.1));
    expect(estimateInputTokens({ messages }, { margin: 0 })).toBe(3 + 2 * 104);
  });

  it('images at a flat amount, whatever their size; parts summed', () => {
    const messages: ChatMessage[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,' + 'A'.repeat(100_000) } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        ],
      },
    ];
    expect(estimateInputTokens({ messages }, { margin: 0 })).toBe(3 + 4 + 100 + 2 * IMAGE_TOKEN_ESTIMATE);
    expect(estimateInputTokens({ messages }, { margin: 0, imageTokens: 85 })).toBe(3 + 4 + 100 + 2 * 85);
  });

  it('counts tools, JSON schemas, tool calls and reasoning as text', () => {
    const base = estimateInputTokens({ messages: [{ role: 'user', content: 'hi' }] }, { margin: 0 });
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    expect(estimateInputTokens({ messages: [{ role: 'user', content: 'hi' }], tools }, { margin: 0 })).toBe(base + estimateTextTokens(JSON.stringify(tools)));
    const withCall = estimateInputTokens(
      {
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: null, reasoning_content: 'abcd', tool_calls: [{ id: '1', type: 'function', function: { name: 'abcd', arguments: '{"a":1}' } }] },
        ],
      },
      { margin: 0 },
    );
    expect(withCall).toBe(base + 4 + 1 + 1 + 2);
  });
});

describe('estimateOutputTokens', () => {
  it('max_completion_tokens, else max_tokens, else the model maximum, else 4 096; times n', () => {
    const messages: ChatMessage[] = [];
    expect(estimateOutputTokens({ messages, max_completion_tokens: 100, max_tokens: 50 })).toBe(100);
    expect(estimateOutputTokens({ messages, max_tokens: 50, n: 3 })).toBe(150);
    expect(estimateOutputTokens({ messages }, { maxOutput: 64_000 })).toBe(64_000);
    expect(estimateOutputTokens({ messages })).toBe(DEFAULT_MAX_OUTPUT_TOKENS);
  });
});

describe('estimateRequestCost', () => {
  const info = { price: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 }, maxOutput: 64_000 };
  const content = 'x'.repeat(4000); // 1 000 tokens

  it('input estimate × input price + output budget × output price', () => {
    const request = { messages: [{ role: 'user' as const, content }], max_tokens: 1000 };
    const input = estimateInputTokens(request);
    expect(estimateRequestCost(request, info)).toBe((input * 3 + 1000 * 15) / 1e6);
  });

  it('prices every input token as a cache write when the request sets cache_control (worst case)', () => {
    const request = {
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: content, cache_control: { type: 'ephemeral' as const } }] }],
      max_tokens: 1000,
    };
    const input = estimateInputTokens(request);
    expect(cacheControlTtl(request)).toBe('5m');
    expect(estimateRequestCost(request, info)).toBe((input * 3.75 + 1000 * 15) / 1e6);
    const oneHour = {
      ...request,
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: content, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }] }],
    };
    expect(estimateRequestCost(oneHour, info)).toBe((input * 6 + 1000 * 15) / 1e6);
  });
});
