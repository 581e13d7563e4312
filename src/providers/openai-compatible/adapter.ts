import { ValidationError } from '../../errors/classes.js';
import type { HttpRequest } from '../../http/transport.js';
import type { AdapterContext, ProviderAdapter } from '../adapter.js';
import { loadApiKey, readFirstEnv } from '../env.js';
import { parseHttpError } from './errors.js';
import { normalizeHeaders } from '../../http/headers.js';
import { userAuthenticates } from './headers.js';
import { type OpenAICompatiblePreset, type OpenAICompatibleSettings, stripTrailingSlash } from './preset.js';
import { buildBody } from './request.js';
import { parseChatCompletion } from './response.js';
import { OpenAICompatibleStreamMapper } from './stream.js';

/**
 * The one OpenAI-compatible adapter; presets supply data and small hooks.
 *
 * Headers: `content-type`, `accept`, then the auth header, then the user's `headers` (lower-cased)
 * last. If the user's headers carry `authorization` (or the preset's `api-key`), theirs is the
 * credential: no key is looked up and none is added, so there is never a second, conflicting
 * auth header. Creating an adapter never throws for a missing key; `buildRequest` does.
 */
export function createOpenAICompatibleAdapter(preset: OpenAICompatiblePreset, settings: OpenAICompatibleSettings = {}): ProviderAdapter {
  const userHeaders = normalizeHeaders(settings.headers);
  const userAuth = userAuthenticates(userHeaders, preset.authHeader);
  const explicitBase = settings.baseURL === undefined ? undefined : stripTrailingSlash(settings.baseURL);

  function baseURL(): string | undefined {
    if (explicitBase !== undefined) return explicitBase;
    const base = preset.defaultBaseURL();
    return base === undefined ? undefined : stripTrailingSlash(base);
  }

  function authHeaders(ctx: AdapterContext): Record<string, string> {
    if (userAuth) return {};
    const key = loadApiKey({ explicit: settings.apiKey, envNames: preset.apiKeyEnv, provider: ctx.provider, required: preset.apiKeyRequired });
    if (key === undefined) return {};
    return preset.authHeader === 'api-key' ? { 'api-key': key } : { authorization: `Bearer ${key}` };
  }

  return {
    kind: 'openai-compatible',
    name: preset.name,
    streamFormat: 'sse',
    fetch: settings.fetch,
    nativeWebSearch: preset.webSearchOptions === true,

    buildRequest(params, ctx): HttpRequest {
      const base = baseURL();
      if (base === undefined) {
        throw new ValidationError([{ path: 'baseURL', message: preset.baseURLHint ?? `no base URL configured for ${ctx.provider}` }], {
          provider: ctx.provider,
          model: ctx.model,
        });
      }
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: ctx.stream ? 'text/event-stream' : 'application/json',
        ...authHeaders(ctx),
        ...userHeaders,
      };
      return {
        url: preset.chatURL ? preset.chatURL(base, ctx.model) : `${base}/chat/completions`,
        method: 'POST',
        headers,
        body: JSON.stringify(buildBody(params, ctx, preset)),
      };
    },

    parseResponse: (body, ctx, header) => parseChatCompletion(body, ctx, preset, header),
    createStreamMapper: (ctx) => new OpenAICompatibleStreamMapper(ctx, preset),
    parseError: (status, bodyText, header, ctx) => parseHttpError(status, bodyText, header, ctx),

    hasCredentials(): boolean {
      if (baseURL() === undefined) return false;
      return userAuth || !preset.apiKeyRequired || (settings.apiKey ?? readFirstEnv(preset.apiKeyEnv)) !== undefined;
    },
  };
}
