/**
 * `mux.fetch`: a `fetch`-compatible function serving the OpenAI REST surface in-process, so the
 * official client works unchanged, and a ready `(request: Request) => Promise<Response>` handler
 * for any server framework or serverless runtime (web `Request`/`Response`/`ReadableStream` only).
 *
 *   const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://modelmux.local/v1', fetch: mux.fetch, maxRetries: 0 });
 *
 * Routes (whatever the base URL: only the end of the path counts):
 * - `POST …/chat/completions` → `mux.chat.completions.create(body, options)`: 200 JSON, or with
 *   `stream: true` a `text/event-stream` of `data: <chunk>\n\n` ending in `data: [DONE]\n\n`;
 * - `GET …/models` → `{ object: 'list', data: [...] }` from `options.listModels` (empty without it);
 *   `GET …/models/{id}` → that entry, or 404;
 * - anything else → 404.
 *
 * Request options come from the `x-modelmux-*` headers (see ./headers.ts); the request's signal is
 * the call's `signal`, and cancelling a stream's body aborts the provider stream. Errors are OpenAI
 * error JSON with a matching status (see ./errors.ts). `maxRetries: 0` on the client is
 * recommended: the gateway owns retries and fallbacks, and marks its errors `x-should-retry: false`.
 */
import type { Gateway } from '../gateway.js';
import type { ChatCompletionCreateParams } from '../request/types.js';
import { errorResponse, openAIError } from './errors.js';
import { modelsFromHeaders, requestOptionsFromHeaders } from './headers.js';
import { type ModelListEntry, toOpenAIModel, toOpenAIModelList } from './models.js';
import { chunksToSse, type ChunkSource } from './sse.js';

export type FetchHandler = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

export interface FetchHandlerOptions {
  /** The models `GET /models` lists (aliases, groups, `provider/model` ids; extra fields such as `pricing` pass through). */
  listModels?: () => Promise<ModelListEntry[]> | ModelListEntry[];
}

/** The default host relative URLs are resolved against (`mux.fetch('/v1/models')`). */
const LOCAL_ORIGIN = 'http://modelmux.local';

function toRequest(input: RequestInfo | URL, init: RequestInit | undefined): Request {
  if (typeof input === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(input)) input = new URL(input, LOCAL_ORIGIN);
  if (input instanceof Request && init === undefined) return input;
  return new Request(input, init);
}

function isAsyncIterable(value: unknown): value is ChunkSource {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

function json(body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json', ...headers } });
}

function notFound(request: Request, path: string): Response {
  return errorResponse(
    openAIError(404, `Unknown request URL: ${request.method} ${path}. modelmux serves POST …/chat/completions and GET …/models.`, { code: 'unknown_url' }),
  );
}

function providerHeaders(result: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  const { provider, model } = result as { provider?: unknown; model?: unknown };
  if (typeof provider === 'string') headers['x-modelmux-provider'] = provider;
  if (typeof model === 'string') headers['x-modelmux-model'] = model;
  return headers;
}

/** Builds the `fetch`-compatible handler for a gateway (`mux.fetch`). */
export function createFetchHandler(gateway: Pick<Gateway, 'chat' | 'providers'>, options: FetchHandlerOptions = {}): FetchHandler {
  async function chatCompletions(request: Request, signal: AbortSignal | undefined): Promise<Response> {
    let body: unknown;
    try {
      body = JSON.parse(await request.text());
    } catch {
      return errorResponse(openAIError(400, 'The request body is not valid JSON.', { code: 'invalid_json' }));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return errorResponse(openAIError(400, 'The request body must be a JSON object.', { code: 'invalid_json' }));
    }
    let result: unknown;
    try {
      const requestOptions = requestOptionsFromHeaders(request.headers);
      if (signal !== undefined) requestOptions.signal = signal;
      const models = modelsFromHeaders(request.headers);
      const params = (models !== undefined && !('models' in body) ? { ...body, models } : body) as ChatCompletionCreateParams;
      result = await gateway.chat.completions.create(params, requestOptions);
    } catch (error) {
      return errorResponse(error);
    }
    if (isAsyncIterable(result)) {
      return new Response(chunksToSse(result, signal), {
        status: 200,
        headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', ...providerHeaders(result) },
      });
    }
    return json(result, providerHeaders(result));
  }

  async function models(): Promise<ModelListEntry[]> {
    return options.listModels === undefined ? [] : await options.listModels();
  }

  return async function modelmuxFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = toRequest(input, init);
    // The caller's own signal: a Request's derived signal can stop following it once the Request is collected.
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined;
    const path = new URL(request.url).pathname.replace(/\/+$/, '');
    const method = request.method.toUpperCase();
    if (path.endsWith('/chat/completions')) {
      return method === 'POST' ? chatCompletions(request, signal) : notFound(request, path);
    }
    if (method === 'GET' && path.endsWith('/models')) {
      try {
        return json(toOpenAIModelList(await models()));
      } catch (error) {
        return errorResponse(error);
      }
    }
    const retrieve = method === 'GET' ? /\/models\/(.+)$/.exec(path) : null;
    if (retrieve !== null) {
      let id: string;
      try {
        id = decodeURIComponent(retrieve[1]!);
      } catch {
        id = retrieve[1]!;
      }
      try {
        const entry = (await models()).find((model) => model.id === id);
        if (entry !== undefined) return json(toOpenAIModel(entry));
      } catch (error) {
        return errorResponse(error);
      }
      return errorResponse(openAIError(404, `The model "${id}" does not exist.`, { code: 'model_not_found', param: 'model' }));
    }
    return notFound(request, path);
  }
}
