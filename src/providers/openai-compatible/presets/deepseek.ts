import type { ProviderAdapter } from '../../adapter.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { OPENAI_ONLY, type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export type DeepSeekSettings = OpenAICompatibleSettings;

/**
 * DeepSeek: no `json_schema` (a `ValidationError`), `n` must be 1. In thinking mode with tools the
 * `reasoning_content` of the current turn's assistant tool-call messages is sent back (V3.2+);
 * earlier turns' reasoning is never sent (R1-era models reject it).
 */
export const deepseekPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  name: 'deepseek',
  apiKeyEnv: ['DEEPSEEK_API_KEY'],
  defaultBaseURL: () => 'https://api.deepseek.com',
  jsonSchema: false,
  unsupported: { ...OPENAI_ONLY, n: 'reject' },
  replayReasoning(message, turn, out) {
    if (turn.current && message.tool_calls !== undefined && message.tool_calls.length > 0 && typeof message.reasoning_content === 'string') {
      out.reasoning_content = message.reasoning_content;
    }
  },
};

export function deepseek(settings: DeepSeekSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(deepseekPreset, settings);
}
