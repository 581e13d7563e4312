/**
 * The default transport on Node: `node:http` / `node:https` with keep-alive agents, which costs
 * about half the latency and a third of the CPU of the global `fetch` on Node 20 (DESIGN 1.4).
 * Node-only: reached through the `node` export condition, never from an edge bundle.
 */
import http from 'node:http';
import type https from 'node:https';
import type { Socket } from 'node:net';
import type { ErrorDetails } from '../errors/base.js';
import { ConnectionError, TimeoutError } from '../errors/index.js';
import { describeTarget, networkError } from './fetch-transport.js';
import type { Abortable, HttpRequest, HttpResponse, Transport, TransportOptions } from './transport.js';

export interface NodeTransportOptions {
  /**
   * Options for the transport's two agents (`http.Agent`, `https.Agent`), over the defaults
   * `{ keepAlive: true, scheduling: 'lifo', maxSockets: Infinity }`. TLS options (`ca`, …) apply to https.
   */
  agentOptions?: https.AgentOptions;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

type Waiter = { resolve(result: IteratorResult<Uint8Array>): void; reject(error: unknown): void };

/**
 * A response whose headers arrived. Its body is read with `read()` on 'readable' (no 'data'
 * listener, no per-chunk async generator step): a chunk already buffered is handed out at once,
 * and everything buffered is handed out as one chunk.
 */
class NodeResponse implements HttpResponse, AsyncIterator<Uint8Array>, AsyncIterable<Uint8Array> {
  readonly status: number;
  readonly body: AsyncIterable<Uint8Array> = this;
  readonly #res: http.IncomingMessage;
  readonly #signal: Abortable;
  readonly #details: ErrorDetails;
  readonly #url: string;
  /** 'end' was seen, the body failed, or it was cancelled: nothing more to read. */
  #finished = false;
  #error: unknown = undefined;
  #waiter: Waiter | null = null;

  constructor(res: http.IncomingMessage, signal: Abortable, details: ErrorDetails, url: string) {
    this.status = res.statusCode ?? 0;
    this.#res = res;
    this.#signal = signal;
    this.#details = details;
    this.#url = url;
    res.on('readable', this.#onReadable);
    res.on('end', this.#onEnd);
    res.on('error', this.#onError);
    res.on('close', this.#onClose);
    signal.addEventListener('abort', this.#onAbort);
  }

  header(name: string): string | null {
    const value = this.#res.headers[name];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#finished) return this.#error !== undefined ? Promise.reject(this.#error) : Promise.resolve(DONE);
    const chunk = this.#res.read() as Uint8Array | null;
    if (chunk !== null) return Promise.resolve({ done: false, value: chunk });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.cancel();
    return Promise.resolve(DONE);
  }

  cancel(): void {
    if (this.#finished) return;
    this.#settle(undefined);
    const res = this.#res;
    if (res.complete) {
      // Every byte has arrived: drain what is buffered so the socket goes back to the pool.
      res.removeListener('readable', this.#onReadable);
      res.resume();
    } else {
      res.destroy();
    }
  }

  /** Ends the body (`error` undefined: cleanly) and removes the abort listener; first call wins. */
  #settle(error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#error = error;
    this.#signal.removeEventListener('abort', this.#onAbort);
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      if (error !== undefined) waiter.reject(error);
      else waiter.resolve(DONE);
    }
  }

  /** A socket or response error: the abort reason when aborted, else a `ConnectionError`. */
  fail(error: unknown): void {
    if (this.#finished) return;
    this.#settle(this.#signal.aborted ? this.#signal.reason : networkError(error, describeTarget(this.#url), 'body', this.#details));
    this.#res.destroy();
  }

  readonly #onReadable = (): void => {
    const waiter = this.#waiter;
    if (waiter === null) return;
    const chunk = this.#res.read() as Uint8Array | null;
    // null: the end of the body ('end' follows) or nothing yet.
    if (chunk === null) return;
    this.#waiter = null;
    waiter.resolve({ done: false, value: chunk });
  };

  readonly #onEnd = (): void => {
    this.#settle(undefined);
  };

  readonly #onError = (error: Error): void => {
    this.fail(error);
  };

  readonly #onClose = (): void => {
    if (this.#finished) return;
    const error = this.#signal.aborted
      ? this.#signal.reason
      : new ConnectionError(`connection closed before the response body was complete from ${describeTarget(this.#url)}`, this.#details);
    this.#settle(error);
  };

  readonly #onAbort = (): void => {
    if (this.#finished) return;
    this.#settle(this.#signal.reason);
    this.#res.destroy();
  };
}

interface Target {
  protocol: string;
  hostname: string;
  port: string;
  path: string;
  auth?: string;
}

/** Parsed request targets by URL: node:http would parse the same few URLs again for every request. */
const targets = new Map<string, Target>();
const MAX_TARGETS = 256;

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    target = {
      protocol: parsed.protocol,
      // node:http wants an IPv6 literal without its brackets.
      hostname: parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname,
      port: parsed.port,
      path: parsed.pathname + parsed.search,
    };
    if (parsed.username !== '' || parsed.password !== '') target.auth = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, target);
  }
  return target;
}

let httpsModule: typeof https | undefined;
let loadingHttps: Promise<void> | undefined;
function loadHttps(): Promise<void> {
  return (loadingHttps ??= import('node:https').then((module) => {
    httpsModule = module.default;
  }));
}

const DEFAULT_AGENT_OPTIONS: https.AgentOptions = { keepAlive: true, scheduling: 'lifo', maxSockets: Infinity };

/** The `node:http`/`node:https` transport. Each transport owns its agents; `close()` destroys them. */
export function createNodeTransport(options: NodeTransportOptions = {}): Transport {
  const agentOptions: https.AgentOptions = { ...DEFAULT_AGENT_OPTIONS, ...options.agentOptions };
  let httpAgent: http.Agent | undefined;
  let httpsAgent: https.Agent | undefined;

  function send(request: HttpRequest, options: TransportOptions): Promise<HttpResponse> {
    const { connectTimeoutMs, errorDetails } = options;
    const signal = options.abortable ?? options.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    // node:https (and TLS with it) loads with the first https request, not at import.
    if (httpsModule === undefined && request.url.startsWith('https:')) return loadHttps().then(() => send(request, options));
    return new Promise<HttpResponse>((resolve, reject) => {
      const url = request.url;
      const secure = url.startsWith('https:');
      let req: http.ClientRequest;
      try {
        const target = targetOf(url);
        req = secure
          ? httpsModule!.request({ ...target, method: request.method, headers: request.headers, agent: (httpsAgent ??= new httpsModule!.Agent(agentOptions)) })
          : http.request({ ...target, method: request.method, headers: request.headers, agent: (httpAgent ??= new http.Agent(agentOptions)) });
      } catch (error) {
        // Invalid URL, protocol or header: nothing was sent, and a retry would fail the same way.
        reject(new ConnectionError(`invalid request to ${describeTarget(url)}`, { ...errorDetails, cause: error, retryable: false }));
        return;
      }

      let settled = false;
      let response: NodeResponse | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let connectingSocket: Socket | undefined;
      const connectEvent = secure ? 'secureConnect' : 'connect';

      const clearConnectTimer = (): void => {
        if (timer !== undefined) {
          clearTimeout(timer);
          timer = undefined;
        }
        if (connectingSocket !== undefined) {
          connectingSocket.removeListener(connectEvent, clearConnectTimer);
          connectingSocket = undefined;
        }
      };
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        clearConnectTimer();
        signal.removeEventListener('abort', onAbort);
        req.destroy();
        reject(error);
      };
      const onAbort = (): void => fail(signal.reason);

      req.on('socket', (socket: Socket) => {
        if (settled || connectTimeoutMs <= 0 || !socket.connecting) return;
        connectingSocket = socket;
        socket.once(connectEvent, clearConnectTimer);
        timer = setTimeout(() => {
          timer = undefined;
          fail(new TimeoutError('connect', `connect timeout after ${connectTimeoutMs} ms to ${describeTarget(url)}`, errorDetails));
        }, connectTimeoutMs);
      });
      // Stays for the request's whole life: the socket may also fail after the response started.
      req.on('error', (error: Error) => {
        if (response !== undefined) response.fail(error);
        else fail(signal.aborted ? signal.reason : networkError(error, describeTarget(url), 'request', errorDetails));
      });
      req.on('response', (res: http.IncomingMessage) => {
        if (settled) {
          res.destroy();
          return;
        }
        settled = true;
        clearConnectTimer();
        signal.removeEventListener('abort', onAbort);
        response = new NodeResponse(res, signal, errorDetails, url);
        resolve(response);
      });
      signal.addEventListener('abort', onAbort);

      const body = request.body;
      if (body === undefined) {
        req.end();
      } else {
        req.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
        req.end(body);
      }
    });
  }

  return {
    kind: 'node',
    send,
    close(): void {
      httpAgent?.destroy();
      httpsAgent?.destroy();
      httpAgent = undefined;
      httpsAgent = undefined;
    },
  };
}
