import type { ProviderAdapter } from '../../adapter.js';
import { readEnv } from '../../env.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { OPENAI_ONLY, type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS, stripTrailingSlash } from '../preset.js';

export type OllamaSettings = OpenAICompatibleSettings;

/** OLLAMA_HOST as the Ollama CLI reads it (`host`, `host:port`, `http://host:port`) + `/v1`. */
function ollamaBaseURL(): string {
  const host = readEnv('OLLAMA_HOST');
  if (host === undefined) return 'http://localhost:11434/v1';
  let url = stripTrailingSlash(host.trim());
  if (!/^https?:\/\//i.test(url)) url = /:\d+$/.test(url) ? `http://${url}` : `http://${url}:11434`;
  return `${url}/v1`;
}

/** Ollama's OpenAI-compatible `/v1` API: no key needed (OLLAMA_API_KEY is sent when set, for Ollama cloud). */
export const ollamaPreset: OpenAICompatiblePreset = {
  ...PRESET_DEFAULTS,
  name: 'ollama',
  apiKeyEnv: ['OLLAMA_API_KEY'],
  apiKeyRequired: false,
  defaultBaseURL: ollamaBaseURL,
  unsupported: { ...OPENAI_ONLY, user: 'warn', logit_bias: 'warn', n: 'reject' },
};

export function ollama(settings: OllamaSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(ollamaPreset, settings);
}
