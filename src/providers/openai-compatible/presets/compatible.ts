import type { ProviderAdapter } from '../../adapter.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS } from '../preset.js';

export interface OpenAICompatibleProviderSettings extends OpenAICompatibleSettings {
  /** The provider's name (its default key), e.g. `llama`. */
  name: string;
  /** Required: the server's base URL up to and including `/v1`, e.g. `http://localhost:8000/v1`. */
  baseURL: string;
}

/**
 * Any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, LocalAI, a proxy): every field is
 * passed, `max_tokens` carries the limit, `developer` becomes `system`, and the key is optional
 * (sent as `Bearer` when given).
 */
export function openaiCompatible(settings: OpenAICompatibleProviderSettings): ProviderAdapter {
  const preset: OpenAICompatiblePreset = {
    ...PRESET_DEFAULTS,
    name: settings.name,
    apiKeyEnv: [],
    apiKeyRequired: false,
    defaultBaseURL: () => settings.baseURL,
    unsupported: {},
  };
  return createOpenAICompatibleAdapter(preset, settings);
}
