import type { ProviderAdapter } from '../../adapter.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export type XaiSettings = OpenAICompatibleSettings;

/** xAI: `completion_tokens` excludes reasoning tokens, so they are added back. */
export const xaiPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  name: 'xai',
  apiKeyEnv: ['XAI_API_KEY'],
  defaultBaseURL: () => 'https://api.x.ai/v1',
  tokenLimitField: 'max_completion_tokens',
  usage: { completionExcludesReasoning: true },
};

export function xai(settings: XaiSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(xaiPreset, settings);
}
