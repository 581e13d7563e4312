import type { ProviderAdapter } from './adapter.js';
import { configuredFromEnv as anthropicConfigured } from './anthropic/env.js';
import { configuredFromEnv as bedrockConfigured } from './bedrock/env.js';
import { readEnv } from './env.js';
import { configuredFromEnv as googleConfigured } from './google/env.js';
import { ENV_PRESETS as OPENAI_COMPATIBLE_PRESETS } from './openai-compatible/index.js';

export type NativeProviderKey = 'anthropic' | 'google' | 'bedrock';

/** How an entry point loads the native adapters it configures from the environment (see native-environment.ts). */
export type NativeLoaders = Partial<Record<NativeProviderKey, () => Promise<ProviderAdapter>>>;

/** The providers `createGateway()` without `providers` configures, as one entry point knows them. */
export interface ProviderEnvironment {
  /**
   * Reads the environment once: `keys`, the providers whose key (and what else they need, such as
   * Azure's endpoint) is set; `unloadable`, native providers whose key is set but which this entry
   * point does not load from the environment.
   */
  scan(): { keys: string[]; unloadable: string[] };
  /** The adapters of `keys` (from `scan`). */
  load(keys: readonly string[]): Promise<Map<string, ProviderAdapter>>;
}

interface EnvironmentProvider {
  readonly key: string;
  configured(): boolean;
  load?: () => ProviderAdapter | Promise<ProviderAdapter>;
}

const NATIVE: ReadonlyArray<{ key: NativeProviderKey; configured(): boolean }> = [
  { key: 'anthropic', configured: anthropicConfigured },
  { key: 'google', configured: googleConfigured },
  { key: 'bedrock', configured: bedrockConfigured },
];

const COMPATIBLE: ReadonlyArray<EnvironmentProvider> = OPENAI_COMPATIBLE_PRESETS.map((preset) => ({
  key: preset.key,
  configured: () => preset.envNames.some((name) => readEnv(name) !== undefined) && preset.create().hasCredentials(),
  load: () => preset.create(),
}));

/**
 * The environment of an entry point. The gateway core never imports a native adapter: the Node
 * entry passes loaders (dynamic imports, so nothing loads unless its key is set); the fetch entry
 * passes none, so a bundle of it carries only the adapters the application imports.
 */
export function providerEnvironment(loaders: NativeLoaders): ProviderEnvironment {
  const all: EnvironmentProvider[] = [...NATIVE.map((native) => ({ ...native, load: loaders[native.key] })), ...COMPATIBLE];
  return {
    scan() {
      const keys: string[] = [];
      const unloadable: string[] = [];
      for (const provider of all) if (provider.configured()) (provider.load === undefined ? unloadable : keys).push(provider.key);
      return { keys, unloadable };
    },
    async load(keys) {
      const chosen = all.filter((provider) => provider.load !== undefined && keys.includes(provider.key));
      const adapters = await Promise.all(chosen.map((provider) => provider.load!()));
      return new Map(chosen.map((provider, i) => [provider.key, adapters[i]!]));
    },
  };
}
