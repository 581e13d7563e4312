import type { ProviderAdapter } from '../../adapter.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export type TogetherSettings = OpenAICompatibleSettings;

/** Together AI: the defaults (`max_tokens`, OpenAI-only fields dropped with a warning). */
export const togetherPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  name: 'together',
  apiKeyEnv: ['TOGETHER_API_KEY'],
  defaultBaseURL: () => 'https://api.together.xyz/v1',
};

export function together(settings: TogetherSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(togetherPreset, settings);
}
