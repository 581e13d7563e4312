import type { ProviderError } from '../errors/classes.js';
import type { HttpRequest } from '../http/transport.js';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams, CompletionUsage } from '../request/types.js';

/**
 * What an adapter knows about the call it is translating. The core passes the SAME object to
 * `buildRequest` and then to `parseResponse`/`createStreamMapper`/`parseError` of that attempt,
 * so an adapter may key per-attempt state on it (a WeakMap), and a new one for every attempt.
 */
export interface AdapterContext {
  /** The configured provider key (`openai`, `llama`, …). */
  provider: string;
  /** The provider's own model id, variant removed. */
  model: string;
  stream: boolean;
  /** The `:online` variant asks this adapter for its provider's native web search (see `nativeWebSearch`). */
  webSearch: boolean;
  /** Report a harmless setting the provider does not support (dropped from the request). */
  warn(message: string): void;
}

/** One decoded server-sent event. */
export interface StreamEvent {
  event?: string | undefined;
  data: string;
}

/**
 * Maps a provider's stream events to OpenAI chunks, statefully, for one attempt.
 * Mappers never emit usage-only chunks: they record usage in `usage` and the core emits the
 * final usage chunk when the caller asked for it.
 */
export interface StreamMapper {
  /**
   * Maps one event, pushing zero or more chunks onto `out`. Throws a typed `ProviderError` for an
   * in-band error event, or `InvalidResponseError` for an event that is not valid.
   */
  push(event: StreamEvent, out: ChatCompletionChunk[]): void;
  /** True once the provider's terminal signal arrived (DESIGN section 2). */
  readonly complete: boolean;
  /** True when the event only keeps the connection alive (it does not reset the idle timer). */
  isKeepAlive?(event: StreamEvent): boolean;
  /** Unified usage seen so far, if the provider reported any. */
  readonly usage: CompletionUsage | undefined;
  /** id, model and created of the stream, for the usage chunk the core appends. */
  readonly meta: { id: string; model: string; created: number };
}

export type StreamFormat = 'sse' | 'aws-eventstream';

/**
 * A provider adapter translates; it never retries, falls back or counts money.
 * Every method is synchronous and pure except `buildRequest`, which may sign (Bedrock).
 */
export interface ProviderAdapter {
  /** The adapter's family, e.g. `openai-compatible`, `anthropic`. */
  readonly kind: string;
  /** The provider's default key, e.g. `openai`, `deepseek`. */
  readonly name: string;
  readonly streamFormat: StreamFormat;
  /** A `fetch` the user supplied for this provider; when set, the fetch transport is used with it. */
  readonly fetch: typeof fetch | undefined;
  /** Turns the validated request into one HTTP request. Throws `AuthenticationError` when no key can be found. */
  buildRequest(params: ChatCompletionCreateParams, ctx: AdapterContext): HttpRequest | Promise<HttpRequest>;
  /** Maps a 2xx JSON body. Throws the mapped typed error for a 200 that carries an error object. */
  parseResponse(body: unknown, ctx: AdapterContext, header: (name: string) => string | null): ChatCompletion;
  createStreamMapper(ctx: AdapterContext): StreamMapper;
  /** Maps a non-2xx answer (its body text may be empty or not JSON) to a typed error. */
  parseError(status: number, bodyText: string, header: (name: string) => string | null, ctx: AdapterContext): ProviderError;
  /** The provider has a native web search the adapter turns on when `ctx.webSearch` is set (`:online`). */
  readonly nativeWebSearch?: boolean;
  /** Whether the adapter's API key is available now (explicit option or environment). */
  hasCredentials(): boolean;
}
