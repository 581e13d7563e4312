import type { ProviderAdapter } from '../providers/adapter.js';

/**
 * Which provider serves a bare model id, by model-family prefix, among the configured ones.
 * The price catalog (routing issue) refines this with every provider that lists the model.
 */
const FAMILIES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(gpt-|chatgpt-|o\d(-|$)|text-embedding-|davinci|babbage)/, 'openai'],
  [/^claude-/, 'anthropic'],
  [/^(gemini-|gemma-)/, 'google'],
  [/^deepseek-/, 'deepseek'],
  [/^grok-/, 'xai'],
  [/^(mistral-|magistral-|codestral-|ministral-|pixtral-|devstral-|open-mistral-|open-mixtral-)/, 'mistral'],
];

export function providerForBareModel(model: string, providers: ReadonlyMap<string, ProviderAdapter>): string | undefined {
  for (const [pattern, family] of FAMILIES) {
    if (!pattern.test(model)) continue;
    for (const [key, adapter] of providers) {
      if (adapter.name === family) return key;
    }
    return undefined;
  }
  return undefined;
}
