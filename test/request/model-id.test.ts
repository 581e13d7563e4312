import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitProvider, splitVariant, VARIANTS } from '../../src/request/model-id.js';

const idChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-._/:@'.split(''));
const nativeId = fc.string({ unit: idChar, minLength: 1, maxLength: 60 });
const providerKey = fc.constantFrom('openai', 'openrouter', 'ollama', 'bedrock', 'my-llama');
const variant = fc.option(fc.constantFrom(...VARIANTS), { nil: undefined });

describe('model ids', () => {
  it.each([
    ['openrouter/meta-llama/llama-3.3-70b-instruct:free', 'openrouter/meta-llama/llama-3.3-70b-instruct', 'free'],
    ['ollama/llama3:8b', 'ollama/llama3:8b', undefined],
    ['bedrock/anthropic.claude-haiku-4-5-20251001-v1:0', 'bedrock/anthropic.claude-haiku-4-5-20251001-v1:0', undefined],
    ['anthropic/claude-haiku-4-5:nitro', 'anthropic/claude-haiku-4-5', 'nitro'],
    ['gpt-5:thinking', 'gpt-5', 'thinking'],
    ['x:extended:online', 'x:extended', 'online'],
    [':free', ':free', undefined],
  ])('splitVariant(%s)', (id, base, expected) => {
    const parts = splitVariant(id);
    expect(parts).toEqual({ base, variant: expected });
  });

  it('keeps native ids with slashes and colons intact after the provider key', () => {
    const isProvider = (key: string) => ['openrouter', 'ollama'].includes(key);
    expect(splitProvider('openrouter/meta-llama/llama-3.3-70b-instruct:free', isProvider)).toEqual({
      provider: 'openrouter',
      model: 'meta-llama/llama-3.3-70b-instruct:free',
    });
    expect(splitProvider('ollama/llama3:8b', isProvider)).toEqual({ provider: 'ollama', model: 'llama3:8b' });
    expect(splitProvider('meta-llama/llama-3', isProvider)).toBeUndefined();
  });

  it('never loses a character of a native id (property)', () => {
    fc.assert(
      fc.property(providerKey, nativeId, variant, (provider, model, v) => {
        const id = `${provider}/${model}${v === undefined ? '' : `:${v}`}`;
        const { base, variant: parsed } = splitVariant(id);
        // Splitting is lossless: the parts always rebuild the id exactly.
        expect(`${base}${parsed === undefined ? '' : `:${parsed}`}`).toBe(id);
        if (v !== undefined) expect(parsed).toBe(v);
        const qualified = splitProvider(base, (key) => key === provider);
        expect(qualified).toBeDefined();
        expect(`${qualified!.provider}/${qualified!.model}`).toBe(base);
        if (v !== undefined) expect(qualified!.model).toBe(model);
      }),
      { numRuns: 2000 },
    );
  });
});
