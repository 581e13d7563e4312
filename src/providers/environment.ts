import { anthropicEnvPreset } from './anthropic/index.js';
import { bedrockEnvPreset } from './bedrock/index.js';
import { googleEnvPreset } from './google/index.js';
import { ENV_PRESETS as OPENAI_COMPATIBLE_PRESETS, type EnvPreset } from './openai-compatible/index.js';

/** Every provider that can be configured from the environment, under its usual key. */
export const ENV_PRESETS: ReadonlyArray<EnvPreset> = [anthropicEnvPreset, googleEnvPreset, bedrockEnvPreset, ...OPENAI_COMPATIBLE_PRESETS];
