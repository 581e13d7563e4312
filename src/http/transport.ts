import type { ErrorDetails } from '../errors/base.js';

/** One HTTP request, fully built by an adapter. */
export interface HttpRequest {
  url: string;
  method: 'POST' | 'GET';
  /** Header names in lower case. */
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** A response whose headers have arrived; the body is read once, as it comes. */
export interface HttpResponse {
  status: number;
  /** A response header by lower-case name, or `null`. */
  header(name: string): string | null;
  /**
   * The body, chunk by chunk. Iteration rejects with a typed error: `ConnectionError` when the
   * connection breaks, or the abort signal's reason when the request was aborted.
   */
  body: AsyncIterable<Uint8Array>;
  /** Stops reading and frees the connection (destroys the socket if unread data remains). Idempotent. */
  cancel(): void;
}

/**
 * The part of an `AbortSignal` the built-in transports use. Creating an `AbortController` and
 * adding listeners to its signal costs microseconds per call in Node, so the gateway passes its
 * own cheaper implementation as `abortable`, and a real signal only to whoever reads `signal`.
 */
export interface Abortable {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface TransportOptions {
  /** Aborts connecting, waiting for headers and reading the body; the send rejects with `signal.reason`. */
  signal: AbortSignal;
  /** The same abort as `signal`, cheaper to listen to; a transport may use it instead. */
  abortable?: Abortable;
  /** Longest wait for the TCP/TLS connection; 0 or less means no separate connect timeout. */
  connectTimeoutMs: number;
  /** Provider and model stamped on the typed errors the transport throws. */
  errorDetails: ErrorDetails;
}

/**
 * Carries a request to a provider. It never retries and never follows redirects (a 3xx is
 * returned as a response; the core refuses it). Failures before the headers reject `send` with
 * `ConnectionError` (refused, reset, DNS), `TimeoutError('connect')`, or the signal's reason.
 */
export interface Transport {
  readonly kind: 'node' | 'fetch';
  send(request: HttpRequest, options: TransportOptions): Promise<HttpResponse>;
  /** Closes pooled connections. */
  close(): void;
}
