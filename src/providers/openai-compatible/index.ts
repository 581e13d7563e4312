import type { ProviderAdapter } from '../adapter.js';
import { azure } from './presets/azure.js';
import { deepseek } from './presets/deepseek.js';
import { fireworks } from './presets/fireworks.js';
import { groq } from './presets/groq.js';
import { mistral } from './presets/mistral.js';
import { ollama } from './presets/ollama.js';
import { openai } from './presets/openai.js';
import { openrouter } from './presets/openrouter.js';
import { together } from './presets/together.js';
import { xai } from './presets/xai.js';

export type { OpenAICompatibleSettings } from './preset.js';
export { openai, type OpenAISettings } from './presets/openai.js';
export { azure, type AzureSettings } from './presets/azure.js';
export { deepseek, type DeepSeekSettings } from './presets/deepseek.js';
export { groq, type GroqSettings } from './presets/groq.js';
export { xai, type XaiSettings } from './presets/xai.js';
export { mistral, type MistralSettings } from './presets/mistral.js';
export { together, type TogetherSettings } from './presets/together.js';
export { fireworks, type FireworksSettings } from './presets/fireworks.js';
export { openrouter, type OpenRouterSettings } from './presets/openrouter.js';
export { ollama, type OllamaSettings } from './presets/ollama.js';
export { openaiCompatible, type OpenAICompatibleProviderSettings } from './presets/compatible.js';

/** A provider the gateway can configure from the environment alone. */
export interface EnvPreset {
  /** The provider key it is configured under. */
  readonly key: string;
  /** Configure it when any of these is set (and `create().hasCredentials()` agrees). */
  readonly envNames: readonly string[];
  create(): ProviderAdapter;
}

/**
 * The OpenAI-compatible providers and the environment variables that announce them, for
 * `createGateway()` without `providers`. Azure also needs an endpoint (AZURE_OPENAI_ENDPOINT or
 * AZURE_RESOURCE_NAME): `hasCredentials()` is false without one. Ollama needs no key, so it is
 * announced by OLLAMA_HOST or OLLAMA_API_KEY, never assumed.
 */
export const ENV_PRESETS: ReadonlyArray<EnvPreset> = [
  { key: 'openai', envNames: ['OPENAI_API_KEY'], create: () => openai() },
  { key: 'azure', envNames: ['AZURE_OPENAI_API_KEY'], create: () => azure() },
  { key: 'deepseek', envNames: ['DEEPSEEK_API_KEY'], create: () => deepseek() },
  { key: 'groq', envNames: ['GROQ_API_KEY'], create: () => groq() },
  { key: 'xai', envNames: ['XAI_API_KEY'], create: () => xai() },
  { key: 'mistral', envNames: ['MISTRAL_API_KEY'], create: () => mistral() },
  { key: 'together', envNames: ['TOGETHER_API_KEY'], create: () => together() },
  { key: 'fireworks', envNames: ['FIREWORKS_API_KEY'], create: () => fireworks() },
  { key: 'openrouter', envNames: ['OPENROUTER_API_KEY'], create: () => openrouter() },
  { key: 'ollama', envNames: ['OLLAMA_HOST', 'OLLAMA_API_KEY'], create: () => ollama() },
];
