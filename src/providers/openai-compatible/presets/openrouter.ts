import type { ProviderAdapter } from '../../adapter.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export type OpenRouterSettings = OpenAICompatibleSettings;

/**
 * OpenRouter: every field passes (it drops what the upstream lacks itself), `cache_control` on
 * text parts is kept, `reasoning_details` are replayed verbatim on assistant messages, and its
 * `usage.cost` is kept as the provider-reported cost. Attribution headers (`http-referer`,
 * `x-title`) go in `headers`.
 */
export const openrouterPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  name: 'openrouter',
  apiKeyEnv: ['OPENROUTER_API_KEY'],
  defaultBaseURL: () => 'https://openrouter.ai/api/v1',
  cacheControl: true,
  unsupported: {},
  usage: { providerCost: true },
  replayReasoning(message, _turn, out) {
    if (message.reasoning_details !== undefined && message.reasoning_details.length > 0) out.reasoning_details = message.reasoning_details;
  },
};

export function openrouter(settings: OpenRouterSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(openrouterPreset, settings);
}
