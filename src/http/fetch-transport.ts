/**
 * The `fetch` transport: web-standard APIs only (Node, Bun, Deno, workerd, browsers).
 * Used off Node, or whenever the user passes a `fetch`.
 */
import type { ErrorDetails } from '../errors/base.js';
import { ConnectionError, ModelmuxError, TimeoutError } from '../errors/index.js';
import type { HttpRequest, HttpResponse, Transport, TransportOptions } from './transport.js';

/**
 * `host:port` of a URL, for error messages: never the path, the query or credentials.
 * @internal
 */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : parsed.protocol === 'http:' ? '80' : '');
    return port ? `${parsed.hostname}:${port}` : parsed.hostname;
  } catch {
    return '(invalid URL)';
  }
}

const PHRASES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EPIPE: 'connection closed while sending the request',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response headers',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the response body',
};

/** Certificate failures do not heal on a retry. */
function isTlsCertificateCode(code: string): boolean {
  return code.startsWith('CERT_') || code.startsWith('ERR_TLS_') || code.includes('_CERT') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE';
}

/** The errno-style code of an error or of the first error it wraps (fetch wraps them as `cause`). */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return code;
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    const inner = errorCode(errors[0], depth + 1);
    if (inner !== undefined) return inner;
  }
  return errorCode((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * Maps a network-level failure to a typed error. The message names what happened, the errno code
 * and `host:port` only: never request headers, never the URL path or query.
 * @internal
 */
export function networkError(error: unknown, target: string, phase: 'request' | 'body', details: ErrorDetails): ModelmuxError {
  if (ModelmuxError.isInstance(error)) return error;
  const code = errorCode(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TimeoutError('connect', `connect timeout to ${target}`, { ...details, cause: error });
  }
  let phrase = code !== undefined ? PHRASES[code] : undefined;
  const message = error instanceof Error ? error.message : '';
  if (message === 'socket hang up') phrase = 'socket hang up';
  const tls = code !== undefined && phrase === undefined && isTlsCertificateCode(code);
  if (tls) phrase = 'TLS certificate error';
  phrase ??= phase === 'body' ? 'connection broken' : 'network error';
  const tag = code !== undefined ? ` (${code})` : '';
  const text =
    phase === 'body' ? `${phrase} while reading the response body${tag} from ${target}` : `${phrase}${tag} to ${target}`;
  return new ConnectionError(text, tls ? { ...details, cause: error, retryable: false } : { ...details, cause: error });
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const EMPTY: Uint8Array = new Uint8Array(0);

class FetchResponse implements HttpResponse, AsyncIterator<Uint8Array>, AsyncIterable<Uint8Array> {
  readonly status: number;
  readonly body: AsyncIterable<Uint8Array> = this;
  readonly #response: Response;
  readonly #signal: AbortSignal;
  readonly #details: ErrorDetails;
  readonly #url: string;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Read to the end, failed, or cancelled: nothing more to read or to free. */
  #finished = false;
  /** The error the body failed with, thrown again by any later `next()`. */
  #error: unknown = undefined;

  constructor(response: Response, signal: AbortSignal, details: ErrorDetails, url: string) {
    this.status = response.status;
    this.#response = response;
    this.#signal = signal;
    this.#details = details;
    this.#url = url;
    if (response.body === null) this.#finished = true;
  }

  header(name: string): string | null {
    return this.#response.headers.get(name);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#finished) {
      if (this.#error !== undefined) throw this.#error;
      return DONE; // Ended or cancelled.
    }
    const reader = (this.#reader ??= (this.#response.body as ReadableStream<Uint8Array>).getReader());
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (error) {
      this.#finished = true;
      this.#error = this.#signal.aborted ? this.#signal.reason : networkError(error, describeTarget(this.#url), 'body', this.#details);
      throw this.#error;
    }
    if (result.done) {
      this.#finished = true;
      return DONE;
    }
    if (this.#signal.aborted) {
      // Some runtimes still hand out buffered chunks after an abort; the abort wins.
      this.cancel();
      this.#error = this.#signal.reason;
      throw this.#error;
    }
    return { done: false, value: result.value ?? EMPTY };
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    this.cancel();
    return DONE;
  }

  cancel(): void {
    if (this.#finished) return;
    this.#finished = true;
    const reader = this.#reader;
    const body = this.#response.body;
    try {
      const pending = reader !== undefined ? reader.cancel() : body?.cancel();
      pending?.catch(() => {});
    } catch {
      // A stream that is already errored or locked elsewhere has nothing left to free.
    }
  }
}

/**
 * A transport over `fetch`. `fetchImpl` defaults to the global `fetch`, looked up on every call
 * (test tools such as msw replace `globalThis.fetch`).
 *
 * `connectTimeoutMs` is not applied: fetch does not report when the connection is made, so a
 * timer could not tell a slow connect from a slow answer without false positives. The call's
 * deadline (its abort signal) still bounds the whole wait.
 */
export function createFetchTransport(fetchImpl?: typeof fetch): Transport {
  return {
    kind: 'fetch',
    async send(request: HttpRequest, options: TransportOptions): Promise<HttpResponse> {
      const { signal, errorDetails } = options;
      if (signal.aborted) throw signal.reason;
      const fetchFn = fetchImpl ?? globalThis.fetch;
      let response: Response;
      try {
        response = await fetchFn(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body as BodyInit | undefined,
          redirect: 'manual',
          signal,
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw networkError(error, describeTarget(request.url), 'request', errorDetails);
      }
      if (signal.aborted) {
        response.body?.cancel().catch(() => {});
        throw signal.reason;
      }
      return new FetchResponse(response, signal, errorDetails, request.url);
    },
    close(): void {},
  };
}
