import type { ProviderAdapter } from '../../adapter.js';
import { readEnv } from '../../env.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export type OpenAISettings = OpenAICompatibleSettings;

/** OpenAI: `max_completion_tokens` for every model (reasoning models reject `max_tokens`). */
export const openaiPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  webSearchOptions: true,
  name: 'openai',
  apiKeyEnv: ['OPENAI_API_KEY'],
  // As the official SDK: OPENAI_BASE_URL when set.
  defaultBaseURL: () => readEnv('OPENAI_BASE_URL') ?? 'https://api.openai.com/v1',
  tokenLimitField: 'max_completion_tokens',
  developerRole: true,
  unsupported: {},
};

export function openai(settings: OpenAISettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(openaiPreset, settings);
}
