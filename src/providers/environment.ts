import type { ProviderAdapter } from './adapter.js';
import { configuredFromEnv as anthropicConfigured } from './anthropic/env.js';
import { configuredFromEnv as bedrockConfigured } from './bedrock/env.js';
import { readEnv } from './env.js';
import { configuredFromEnv as googleConfigured } from './google/env.js';
import { ENV_PRESETS as OPENAI_COMPATIBLE_PRESETS } from './openai-compatible/index.js';

/**
 * A provider the gateway can configure from the environment alone. The native adapters are
 * loaded only when their variables are set, so a gateway given its providers never loads them.
 */
interface EnvironmentProvider {
  readonly key: string;
  configured(): boolean;
  load(): ProviderAdapter | Promise<ProviderAdapter>;
}

const NATIVE: ReadonlyArray<EnvironmentProvider> = [
  { key: 'anthropic', configured: anthropicConfigured, load: async () => (await import('./anthropic/index.js')).anthropic() },
  { key: 'google', configured: googleConfigured, load: async () => (await import('./google/index.js')).google() },
  { key: 'bedrock', configured: bedrockConfigured, load: async () => (await import('./bedrock/index.js')).bedrock() },
];

const COMPATIBLE: ReadonlyArray<EnvironmentProvider> = OPENAI_COMPATIBLE_PRESETS.map((preset) => ({
  key: preset.key,
  configured: () => preset.envNames.some((name) => readEnv(name) !== undefined) && preset.create().hasCredentials(),
  load: () => preset.create(),
}));

/** Every provider that can be configured from the environment, under its usual key. */
const ENVIRONMENT_PROVIDERS: ReadonlyArray<EnvironmentProvider> = [...NATIVE, ...COMPATIBLE];

/** The keys of every provider whose key (and what else it needs, such as Azure's endpoint) is in the environment. */
export function environmentProviderKeys(): string[] {
  return ENVIRONMENT_PROVIDERS.filter((provider) => provider.configured()).map((provider) => provider.key);
}

/** The adapters of `keys` (from `environmentProviderKeys`), loading the native ones on demand. */
export async function providersFromEnvironment(keys: readonly string[]): Promise<Map<string, ProviderAdapter>> {
  const chosen = ENVIRONMENT_PROVIDERS.filter((provider) => keys.includes(provider.key));
  const adapters = await Promise.all(chosen.map((provider) => provider.load()));
  return new Map(chosen.map((provider, i) => [provider.key, adapters[i]!]));
}
