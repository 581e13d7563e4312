import type { ProviderAdapter } from './adapter.js';
import { anthropicEnvPreset } from './anthropic/index.js';
import { bedrockEnvPreset } from './bedrock/index.js';
import { googleEnvPreset } from './google/index.js';
import { readEnv } from './env.js';
import { ENV_PRESETS as OPENAI_COMPATIBLE_PRESETS, type EnvPreset } from './openai-compatible/index.js';

/** Every provider that can be configured from the environment, under its usual key. */
export const ENV_PRESETS: ReadonlyArray<EnvPreset> = [anthropicEnvPreset, googleEnvPreset, bedrockEnvPreset, ...OPENAI_COMPATIBLE_PRESETS];

/** Every provider whose key (and what else it needs, such as Azure's endpoint) is in the environment. */
export function providersFromEnvironment(): Record<string, ProviderAdapter> {
  const providers: Record<string, ProviderAdapter> = {};
  for (const preset of ENV_PRESETS) {
    if (!preset.envNames.some((name) => readEnv(name) !== undefined)) continue;
    const adapter = preset.create();
    if (adapter.hasCredentials()) providers[preset.key] = adapter;
  }
  return providers;
}
