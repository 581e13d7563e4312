import type { NativeLoaders } from './environment.js';

/** The Node entry configures the native providers from the environment too, loading each adapter only when its key is set. */
export const NATIVE_LOADERS: NativeLoaders = {
  anthropic: async () => (await import('./anthropic/index.js')).anthropic(),
  google: async () => (await import('./google/index.js')).google(),
  bedrock: async () => (await import('./bedrock/index.js')).bedrock(),
};
