import type { ProviderAdapter } from '../../adapter.js';
import { toMistralToolCallId } from '../../shared/tool-call-ids.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export type MistralSettings = OpenAICompatibleSettings;

/**
 * Mistral validates strictly (unknown fields → 422), so only its documented fields are sent:
 * no `stream_options` (usage comes on the last chunk anyway), `seed` → `random_seed`, OpenAI-only
 * fields dropped with a warning, `n` > 1 rejected, no `name` on messages, tool-call ids rewritten
 * to 9 alphanumeric characters, and tool messages carry the function `name`.
 */
export const mistralPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  name: 'mistral',
  apiKeyEnv: ['MISTRAL_API_KEY'],
  defaultBaseURL: () => 'https://api.mistral.ai/v1',
  streamOptions: false,
  messageName: false,
  unsupported: {
    store: 'warn',
    metadata: 'warn',
    service_tier: 'warn',
    verbosity: 'warn',
    user: 'warn',
    logprobs: 'warn',
    top_logprobs: 'warn',
    logit_bias: 'warn',
    n: 'reject',
  },
  rename: { seed: 'random_seed' },
  toolCallId: toMistralToolCallId,
  toolMessageName: true,
};

export function mistral(settings: MistralSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(mistralPreset, settings);
}
