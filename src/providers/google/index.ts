import { ValidationError } from '../../errors/classes.js';
import { normalizeHeaders } from '../../http/headers.js';
import type { HttpRequest } from '../../http/transport.js';
import type { AdapterContext, ProviderAdapter } from '../adapter.js';
import { loadApiKey, readFirstEnv } from '../env.js';
import { API_KEY_ENV } from './env.js';
import { parseHttpError } from './errors.js';
import { buildBody } from './request.js';
import { parseGenerateContent } from './response.js';
import { GoogleStreamMapper } from './stream.js';
import { modelTraits } from './thinking.js';

export interface GoogleSettings {
  /** The Gemini API key; default: GEMINI_API_KEY, then GOOGLE_GENERATIVE_AI_API_KEY, then GOOGLE_API_KEY, read when a request is built. */
  apiKey?: string;
  /** The API host, without the version (as `@google/genai` means it). Default `https://generativelanguage.googleapis.com`. */
  baseURL?: string;
  /**
   * Extra request headers, merged last (names lower-cased). An `x-goog-api-key` or `authorization`
   * header here takes over authentication: it is sent as given and no key is looked up.
   */
  headers?: Record<string, string>;
  /** A `fetch` to use for this provider (tests, proxies, edge runtimes). */
  fetch?: typeof fetch;
  /** The API version in the path. Default `v1beta` (thinking, signatures and JSON schemas need it). */
  apiVersion?: string;
}

const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
const DEFAULT_API_VERSION = 'v1beta';
/** `gemini-2.5-flash`, `models/gemini-2.5-flash`, `tunedModels/my-model-123`. */
const MODEL_PATH = /^(?:(models|tunedModels)\/)?([A-Za-z0-9][A-Za-z0-9._-]*)$/;

/**
 * The Gemini API (Google AI Studio): `POST {baseURL}/{apiVersion}/models/{model}:generateContent`,
 * or `:streamGenerateContent?alt=sse` for streams. The key goes in the `x-goog-api-key` header,
 * never in the URL. Creating the provider never throws for a missing key; the first request does.
 */
export function google(settings: GoogleSettings = {}): ProviderAdapter {
  const userHeaders = normalizeHeaders(settings.headers);
  const userAuth = userHeaders['x-goog-api-key'] !== undefined || userHeaders.authorization !== undefined;
  const base = (settings.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const version = (settings.apiVersion ?? DEFAULT_API_VERSION).replace(/^\/+|\/+$/g, '');

  function modelPath(ctx: AdapterContext): string {
    const match = MODEL_PATH.exec(ctx.model);
    if (match === null) {
      throw new ValidationError([{ path: 'model', message: `"${ctx.model}" is not a Gemini model id (e.g. gemini-2.5-flash or models/gemini-2.5-flash)` }], {
        provider: ctx.provider,
        model: ctx.model,
      });
    }
    return `${match[1] ?? 'models'}/${match[2] as string}`;
  }

  function authHeaders(ctx: AdapterContext): Record<string, string> {
    if (userAuth) return {};
    const key = loadApiKey({ explicit: settings.apiKey, envNames: API_KEY_ENV, provider: ctx.provider, required: true });
    return key === undefined ? {} : { 'x-goog-api-key': key };
  }

  return {
    kind: 'google',
    name: 'google',
    streamFormat: 'sse',
    fetch: settings.fetch,

    buildRequest(params, ctx): HttpRequest {
      const path = modelPath(ctx);
      const body = buildBody(params, ctx, modelTraits(ctx.model));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: ctx.stream ? 'text/event-stream' : 'application/json',
        ...authHeaders(ctx),
        ...userHeaders,
      };
      const method = ctx.stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
      return { url: `${base}/${version}/${path}:${method}`, method: 'POST', headers, body: JSON.stringify(body) };
    },

    parseResponse: (body, ctx, header) => parseGenerateContent(body, ctx, header),
    createStreamMapper: (ctx) => new GoogleStreamMapper(ctx),
    parseError: (status, bodyText, header, ctx) => parseHttpError(status, bodyText, header, ctx),
    nativeWebSearch: true,

    hasCredentials(): boolean {
      return userAuth || (settings.apiKey ?? readFirstEnv(API_KEY_ENV)) !== undefined;
    },
  };
}
