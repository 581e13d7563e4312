import type { ProviderAdapter } from '../../adapter.js';
import { readEnv } from '../../env.js';
import { createOpenAICompatibleAdapter } from '../adapter.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, PRESET_DEFAULTS, stripTrailingSlash } from '../preset.js';

export interface AzureSettings extends OpenAICompatibleSettings {
  /** `https://{resourceName}.openai.azure.com/openai`; default AZURE_RESOURCE_NAME. `baseURL` wins. */
  resourceName?: string;
  /** Default OPENAI_API_VERSION, else `2024-10-21` (the GA version). Not used with a `/openai/v1` base URL. */
  apiVersion?: string;
}

/** The default `api-version`: the latest GA data-plane version of the deployments API. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/**
 * Base URL: `baseURL`, else `resourceName`, else AZURE_OPENAI_ENDPOINT (`https://x.openai.azure.com`,
 * `/openai` appended), else AZURE_RESOURCE_NAME.
 */
function azureBaseURL(settings: AzureSettings): string | undefined {
  if (settings.resourceName !== undefined) return `https://${settings.resourceName}.openai.azure.com/openai`;
  const endpoint = readEnv('AZURE_OPENAI_ENDPOINT');
  if (endpoint !== undefined) {
    const base = stripTrailingSlash(endpoint);
    return /\/openai(\/v1)?$/.test(base) ? base : `${base}/openai`;
  }
  const resource = readEnv('AZURE_RESOURCE_NAME');
  return resource === undefined ? undefined : `https://${resource}.openai.azure.com/openai`;
}

/**
 * Azure OpenAI: `api-key` header; the deployment (the model id) goes in the URL,
 * `{baseURL}/deployments/{model}/chat/completions?api-version=…`. A base URL ending in `/v1`
 * (the v1 GA surface, `…/openai/v1`) uses `{baseURL}/chat/completions` with the model in the body.
 */
export function azurePreset(settings: AzureSettings = {}): OpenAICompatiblePreset {
  return {
    ...PRESET_DEFAULTS,
  webSearchOptions: true,
    name: 'azure',
    apiKeyEnv: ['AZURE_OPENAI_API_KEY'],
    authHeader: 'api-key',
    defaultBaseURL: () => azureBaseURL(settings),
    baseURLHint: 'azure needs an endpoint: pass baseURL or resourceName, or set AZURE_OPENAI_ENDPOINT or AZURE_RESOURCE_NAME',
    chatURL(baseURL, model) {
      if (baseURL.endsWith('/v1')) return `${baseURL}/chat/completions`;
      const version = settings.apiVersion ?? readEnv('OPENAI_API_VERSION') ?? AZURE_DEFAULT_API_VERSION;
      return `${baseURL}/deployments/${encodeURIComponent(model)}/chat/completions?api-version=${encodeURIComponent(version)}`;
    },
    tokenLimitField: 'max_completion_tokens',
    unsupported: {},
  };
}

export function azure(settings: AzureSettings = {}): ProviderAdapter {
  return createOpenAICompatibleAdapter(azurePreset(settings), settings);
}
