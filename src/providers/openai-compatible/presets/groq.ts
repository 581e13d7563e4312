import type { ProviderAdapter } from '../../adapter.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export type GroqSettings = OpenAICompatibleSettings;

/**
 * Groq: no logprobs / logit_bias (dropped with a warning), `n` must be 1, no `name` on messages;
 * takes `max_completion_tokens` and `service_tier`. Parsed reasoning arrives as `reasoning`.
 */
export const groqPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  name: 'groq',
  apiKeyEnv: ['GROQ_API_KEY'],
  defaultBaseURL: () => 'https://api.groq.com/openai/v1',
  tokenLimitField: 'max_completion_tokens',
  messageName: false,
  unsupported: {
    store: 'warn',
    metadata: 'warn',
    prediction: 'warn',
    verbosity: 'warn',
    logprobs: 'warn',
    top_logprobs: 'warn',
    logit_bias: 'warn',
    n: 'reject',
  },
};

export function groq(settings: GroqSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(groqPreset, settings);
}
