import { normalizeHeaders } from '../../http/headers.js';
import type { HttpRequest } from '../../http/transport.js';
import type { AdapterContext, ProviderAdapter } from '../adapter.js';
import { loadApiKey, readEnv, readFirstEnv } from '../env.js';
import { API_KEY_ENV } from './env.js';
import { parseHttpError } from './errors.js';
import { buildBody } from './request.js';
import { parseMessage } from './response.js';
import { AnthropicStreamMapper } from './stream.js';

export type { AnthropicProviderOptions, CacheBreakpoint } from './request.js';

export interface AnthropicSettings {
  /** The API key (`x-api-key`); default: `ANTHROPIC_API_KEY`, read when a request is built. */
  apiKey?: string;
  /**
   * What the official SDK calls the base URL, without `/v1`: default `ANTHROPIC_BASE_URL`, else
   * `https://api.anthropic.com`. A trailing `/` is removed.
   */
  baseURL?: string;
  /**
   * Extra request headers, merged last (names are lower-cased). An `x-api-key` or
   * `authorization` header here takes over authentication: no key is looked up. An
   * `anthropic-beta` header is combined with the betas of `providerOptions`.
   */
  headers?: Record<string, string>;
  /** A `fetch` to use for this provider (tests, proxies, edge runtimes). */
  fetch?: typeof fetch;
  /** The `anthropic-version` header; default `2023-06-01`. */
  version?: string;
}

const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const DEFAULT_VERSION = '2023-06-01';

function betaHeader(user: string | undefined, betas: readonly string[]): string | undefined {
  const all = new Set<string>();
  for (const beta of user?.split(',') ?? []) if (beta.trim() !== '') all.add(beta.trim());
  for (const beta of betas) all.add(beta);
  return all.size === 0 ? undefined : [...all].join(',');
}

/**
 * The Anthropic Messages API: `POST {baseURL}/v1/messages` with `x-api-key` and
 * `anthropic-version`. Creating it never throws for a missing key; the first request does.
 */
export function anthropic(settings: AnthropicSettings = {}): ProviderAdapter {
  const userHeaders = normalizeHeaders(settings.headers);
  const userAuth = userHeaders['x-api-key'] !== undefined || userHeaders.authorization !== undefined;

  function baseURL(): string {
    return (settings.baseURL ?? readEnv('ANTHROPIC_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  }

  function authHeaders(ctx: AdapterContext): Record<string, string> {
    if (userAuth) return {};
    const key = loadApiKey({ explicit: settings.apiKey, envNames: API_KEY_ENV, provider: ctx.provider, required: true });
    return key === undefined ? {} : { 'x-api-key': key };
  }

  return {
    kind: 'anthropic',
    name: 'anthropic',
    streamFormat: 'sse',
    fetch: settings.fetch,
    nativeWebSearch: true,

    buildRequest(params, ctx): HttpRequest {
      const { body, betas } = buildBody(params, ctx);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: ctx.stream ? 'text/event-stream' : 'application/json',
        'anthropic-version': settings.version ?? DEFAULT_VERSION,
        ...authHeaders(ctx),
        ...userHeaders,
      };
      const beta = betaHeader(userHeaders['anthropic-beta'], betas);
      if (beta !== undefined) headers['anthropic-beta'] = beta;
      return { url: `${baseURL()}/v1/messages`, method: 'POST', headers, body: JSON.stringify(body) };
    },

    parseResponse: (body, ctx, header) => parseMessage(body, ctx, header),
    createStreamMapper: (ctx) => new AnthropicStreamMapper(ctx),
    parseError: (status, bodyText, header, ctx) => parseHttpError(status, bodyText, header, ctx),

    hasCredentials(): boolean {
      return userAuth || (settings.apiKey ?? readFirstEnv(API_KEY_ENV)) !== undefined;
    },
  };
}
