import type { ProviderAdapter } from '../../adapter.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export type FireworksSettings = OpenAICompatibleSettings;

/** Fireworks AI: the defaults (`max_tokens`, OpenAI-only fields dropped with a warning). */
export const fireworksPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  name: 'fireworks',
  apiKeyEnv: ['FIREWORKS_API_KEY'],
  defaultBaseURL: () => 'https://api.fireworks.ai/inference/v1',
};

export function fireworks(settings: FireworksSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(fireworksPreset, settings);
}
