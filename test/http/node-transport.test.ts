import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionError, TimeoutError } from '../../src/errors/index.js';
import { createNodeTransport } from '../../src/http/node-transport.js';
import type { Transport } from '../../src/http/transport.js';
import { readAll, rejection, socketClosed, waitFor } from '../helpers/transport.js';

const details = { provider: 'loop', model: 'm-1' };
const SECRET_HEADER = 'sk-test-header-secret-0123456789';

// ---------------------------------------------------------------------------------------------
// A real loopback server. Every connection is tracked so each test can check none is left open.

interface Loopback {
  port: number;
  url(path: string): string;
  sockets: Set<Socket>;
  connections: number;
  requests: { method: string; url: string; body: string; headers: http.IncomingHttpHeaders }[];
  /** Resolves with the server-side socket when a request for `path` arrives. */
  arrived(path: string): Promise<Socket>;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const handlers: Record<string, Handler> = {
  '/ok': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-request-id': 'req_1' });
    res.end('{"ok":true}');
  },
  '/echo': (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, length: req.headers['content-length'] ?? null, body }));
  },
  '/big': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(4 * 1024 * 1024) });
    res.end(Buffer.alloc(4 * 1024 * 1024, 0x61));
  },
  '/sse': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const tick = (): void => {
      if (n === 5) {
        res.end('data: [DONE]\n\n');
        return;
      }
      res.write(`data: {"n":${n++}}\n\n`);
      setTimeout(tick, 2);
    };
    tick();
  },
  '/reset-before-headers': (req) => {
    req.socket.destroy();
  },
  '/reset-mid-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":0}\n\n');
    setTimeout(() => res.socket?.destroy(), 30);
  },
  '/hang': () => {
    // Never answers; the client has to give up.
  },
  '/hold-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
    // Never ends.
  },
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/ok' });
    res.end();
  },
};

async function startLoopback(): Promise<Loopback> {
  const arrivals = new Map<string, (socket: Socket) => void>();
  const state = {
    sockets: new Set<Socket>(),
    connections: 0,
    requests: [] as Loopback['requests'],
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
      arrivals.get(path)?.(req.socket);
      arrivals.delete(path);
      const handler = handlers[path];
      if (handler) handler(req, res, body);
      else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    state.connections++;
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    get sockets() {
      return state.sockets;
    },
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    arrived: (path) => new Promise((resolve) => arrivals.set(path, resolve)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

class CallerAbort extends Error {
  override name = 'CallerAbort';
}

// ---------------------------------------------------------------------------------------------

let loop: Loopback;
let transport: Transport;

beforeAll(async () => {
  loop = await startLoopback();
});
afterAll(async () => {
  await loop.close();
});
beforeEach(() => {
  transport = createNodeTransport();
});
afterEach(async () => {
  transport.close();
  // Nothing the test did may leave a connection open on the server.
  await waitFor(() => loop.sockets.size === 0, 'server sockets to close');
});

function opts(signal: AbortSignal = new AbortController().signal, connectTimeoutMs = 5000) {
  return { signal, connectTimeoutMs, errorDetails: details };
}

const post = (path: string, body = '{"q":1}') => ({
  url: loop.url(path),
  method: 'POST' as const,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_HEADER}` },
  body,
});

describe('createNodeTransport', () => {
  it('is the node kind', () => {
    expect(transport.kind).toBe('node');
  });

  it('sends a request and reads the response; headers by lower-case name, arrays joined', async () => {
    const response = await transport.send(post('/ok'), opts());
    expect(response.status).toBe(200);
    expect(response.header('content-type')).toBe('application/json');
    expect(response.header('x-request-id')).toBe('req_1');
    expect(response.header('set-cookie')).toBe('a=1, b=2');
    expect(response.header('x-missing')).toBeNull();
    expect(await readAll(response)).toBe('{"ok":true}');
    const seen = loop.requests.at(-1)!;
    expect(seen.headers.authorization).toBe(`Bearer ${SECRET_HEADER}`);
  });

  it('sets content-length for string and byte bodies (multi-byte text counted in bytes)', async () => {
    const text = '{"q":"héllo €"}';
    const fromString = JSON.parse(await readAll(await transport.send(post('/echo', text), opts())));
    expect(fromString).toEqual({ method: 'POST', length: String(Buffer.byteLength(text)), body: text });
    const bytes = new TextEncoder().encode(text);
    const fromBytes = JSON.parse(await readAll(await transport.send({ ...post('/echo'), body: bytes }, opts())));
    expect(fromBytes).toEqual({ method: 'POST', length: String(bytes.length), body: text });
    const get = JSON.parse(await readAll(await transport.send({ url: loop.url('/echo'), method: 'GET', headers: {} }, opts())));
    expect(get).toEqual({ method: 'GET', length: null, body: '' });
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    const before = loop.connections;
    for (let i = 0; i < 5; i++) {
      const response = await transport.send(post('/ok'), opts());
      expect(await readAll(response)).toBe('{"ok":true}');
    }
    expect(loop.connections - before).toBe(1);
  });

  it('opens one connection per concurrent request, then reuses them', async () => {
    const before = loop.connections;
    const responses = await Promise.all([1, 2, 3].map(() => transport.send(post('/ok'), opts())));
    await Promise.all(responses.map(readAll));
    expect(loop.connections - before).toBe(3);
    await Promise.all([1, 2, 3].map(async () => readAll(await transport.send(post('/ok'), opts()))));
    expect(loop.connections - before).toBe(3);
  });

  it('streams a body chunk by chunk', async () => {
    const response = await transport.send(post('/sse'), opts());
    const text = await readAll(response);
    expect(text).toBe('data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\ndata: {"n":4}\n\ndata: [DONE]\n\n');
  });

  it('reads a large body completely', async () => {
    const text = await readAll(await transport.send(post('/big'), opts()));
    expect(text.length).toBe(4 * 1024 * 1024);
  });

  it('returns a 302 as it is, without following it', async () => {
    const before = loop.requests.length;
    const response = await transport.send(post('/redirect'), opts());
    expect(response.status).toBe(302);
    expect(response.header('location')).toBe('/ok');
    expect(await readAll(response)).toBe('');
    expect(loop.requests.length - before).toBe(1);
  });

  it('leaves no abort listener and no timer behind', async () => {
    const controller = new AbortController();
    const timersBefore = timeouts();
    const response = await transport.send(post('/sse'), opts(controller.signal, 1000));
    await readAll(response);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(timeouts()).toBeLessThanOrEqual(timersBefore);

    const failed = await rejection(transport.send(post('/reset-before-headers'), opts(controller.signal, 1000)));
    expect(failed).toBeInstanceOf(ConnectionError);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(timeouts()).toBeLessThanOrEqual(timersBefore);

    const cancelled = await transport.send(post('/hold-body'), opts(controller.signal, 1000));
    cancelled.cancel();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  describe('cancel()', () => {
    it('after a full read is a no-op and the connection is reused', async () => {
      const before = loop.connections;
      const response = await transport.send(post('/ok'), opts());
      await readAll(response);
      response.cancel();
      response.cancel();
      await readAll(await transport.send(post('/ok'), opts()));
      expect(loop.connections - before).toBe(1);
    });

    it('before the body ends destroys the connection, and iteration then ends', async () => {
      const arrived = loop.arrived('/hold-body');
      const response = await transport.send(post('/hold-body'), opts());
      const serverSocket = await arrived;
      const iterator = response.body[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      response.cancel();
      response.cancel();
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      await socketClosed(serverSocket);
    });

    it('is what breaking out of for-await does', async () => {
      const arrived = loop.arrived('/hold-body');
      const response = await transport.send(post('/hold-body'), opts());
      const serverSocket = await arrived;
      for await (const chunk of response.body) {
        expect(Buffer.from(chunk).toString()).toBe('data: first\n\n');
        break;
      }
      await socketClosed(serverSocket);
    });

    it('of an unread, fully received body keeps the connection', async () => {
      const before = loop.connections;
      const response = await transport.send(post('/ok'), opts());
      await new Promise((r) => setTimeout(r, 20));
      response.cancel();
      // The buffered rest drains and the socket returns to the pool in a moment.
      await new Promise((r) => setTimeout(r, 10));
      await readAll(await transport.send(post('/ok'), opts()));
      expect(loop.connections - before).toBe(1);
    });
  });

  describe('failures', () => {
    it('connection refused → ConnectionError naming host:port, never headers or query', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as { port: number }).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));

      const error = await rejection(
        transport.send({ ...post('/ok'), url: `http://127.0.0.1:${port}/v1/chat?key=query-secret-value` }, opts()),
      );
      expect(error).toBeInstanceOf(ConnectionError);
      const e = error as ConnectionError;
      expect(e.message).toBe(`connection refused (ECONNREFUSED) to 127.0.0.1:${port}`);
      expect(e.code).toBe('connection_error');
      expect(e.retryable).toBe(true);
      expect(e.provider).toBe('loop');
      expect(e.model).toBe('m-1');
      expect((e.cause as { code?: string }).code).toBe('ECONNREFUSED');
      const everything = `${e.message} ${e.stack} ${JSON.stringify(e)} ${String((e.cause as Error).message)}`;
      expect(everything).not.toContain(SECRET_HEADER);
      expect(everything).not.toContain('query-secret-value');
    });

    it('reset before the headers → ConnectionError', async () => {
      const error = await rejection(transport.send(post('/reset-before-headers'), opts()));
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).message).toBe(`socket hang up (ECONNRESET) to 127.0.0.1:${loop.port}`);
      expect((error as ConnectionError).provider).toBe('loop');
      expect(((error as ConnectionError).cause as { code?: string }).code).toBe('ECONNRESET');
    });

    it('reset in the middle of the body → ConnectionError from the iterator', async () => {
      const response = await transport.send(post('/reset-mid-body'), opts());
      expect(response.status).toBe(200);
      const seen: string[] = [];
      const error = await rejection(
        (async () => {
          for await (const chunk of response.body) seen.push(Buffer.from(chunk).toString());
        })(),
      );
      expect(seen.join('')).toBe('data: {"n":0}\n\n');
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).message).toBe(`connection reset while reading the response body (ECONNRESET) from 127.0.0.1:${loop.port}`);
      expect((error as ConnectionError).model).toBe('m-1');
      // Iterating again reports the same failure rather than a silent end.
      await expect(response.body[Symbol.asyncIterator]().next()).rejects.toBe(error);
    });

    it('an invalid URL is refused without sending, not retryable', async () => {
      const error = await rejection(transport.send({ ...post('/ok'), url: 'ftp://127.0.0.1/x' }, opts()));
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).retryable).toBe(false);
    });
  });

  describe('abort', () => {
    it('an already aborted signal rejects with its reason without connecting', async () => {
      const controller = new AbortController();
      const reason = new CallerAbort('before send');
      controller.abort(reason);
      const before = loop.connections;
      await expect(transport.send(post('/ok'), opts(controller.signal))).rejects.toBe(reason);
      await new Promise((r) => setTimeout(r, 20));
      expect(loop.connections).toBe(before);
    });

    it('while waiting for the headers rejects with the reason and closes the connection', async () => {
      const controller = new AbortController();
      const reason = new CallerAbort('during headers');
      const arrived = loop.arrived('/hang');
      const pending = transport.send(post('/hang'), opts(controller.signal));
      const serverSocket = await arrived;
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await socketClosed(serverSocket);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('while reading the body throws the reason from the iterator and closes the connection', async () => {
      const controller = new AbortController();
      const reason = new CallerAbort('during body');
      const arrived = loop.arrived('/hold-body');
      const response = await transport.send(post('/hold-body'), opts(controller.signal));
      const serverSocket = await arrived;
      const iterator = response.body[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      const waiting = iterator.next();
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      await expect(iterator.next()).rejects.toBe(reason);
      await socketClosed(serverSocket);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('between reads: the next read throws the reason', async () => {
      const controller = new AbortController();
      const reason = new CallerAbort('between reads');
      const response = await transport.send(post('/hold-body'), opts(controller.signal));
      const iterator = response.body[Symbol.asyncIterator]();
      await iterator.next();
      controller.abort(reason);
      await expect(iterator.next()).rejects.toBe(reason);
    });

    it('with a DOMException default reason', async () => {
      const controller = new AbortController();
      const pending = transport.send(post('/hang'), opts(controller.signal));
      setTimeout(() => controller.abort(), 20);
      const error = await rejection(pending);
      expect(error).toBe(controller.signal.reason);
      expect((error as Error).name).toBe('AbortError');
    });
  });

  describe('connect timeout', () => {
    // No traffic may leave the machine, so a slow connect is simulated with a DNS lookup that
    // never answers (the socket is "connecting" while it looks up the name).
    const neverAnswers: LookupFunction = () => {};
    const slowLoopback =
      (delayMs: number): LookupFunction =>
      (_host, options, callback) => {
        setTimeout(() => {
          if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
          else callback(null, '127.0.0.1', 4);
        }, delayMs);
      };

    it('fires while the socket is connecting → TimeoutError("connect"), request destroyed', async () => {
      const slow = createNodeTransport({ agentOptions: { lookup: neverAnswers } });
      try {
        const timersBefore = timeouts();
        const controller = new AbortController();
        const started = Date.now();
        const error = await rejection(
          slow.send({ ...post('/ok'), url: `http://localhost:${loop.port}/ok` }, opts(controller.signal, 50)),
        );
        expect(error).toBeInstanceOf(TimeoutError);
        const e = error as TimeoutError;
        expect(e.timeout).toBe('connect');
        expect(e.code).toBe('timeout');
        expect(e.retryable).toBe(true);
        expect(e.provider).toBe('loop');
        expect(e.message).toBe(`connect timeout after 50 ms to localhost:${loop.port}`);
        expect(Date.now() - started).toBeGreaterThanOrEqual(40);
        expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
        expect(timeouts()).toBeLessThanOrEqual(timersBefore);
      } finally {
        slow.close();
      }
    });

    it('does not fire once connected, nor for a reused connection', async () => {
      const slow = createNodeTransport({ agentOptions: { lookup: slowLoopback(20) } });
      try {
        const before = loop.connections;
        const timersBefore = timeouts();
        const request = { ...post('/ok'), url: `http://localhost:${loop.port}/ok` };
        const first = await slow.send(request, opts(undefined, 200));
        await new Promise((r) => setTimeout(r, 250));
        expect(await readAll(first)).toBe('{"ok":true}');
        expect(await readAll(await slow.send(request, opts(undefined, 200)))).toBe('{"ok":true}');
        expect(loop.connections - before).toBe(1);
        expect(timeouts()).toBeLessThanOrEqual(timersBefore);
      } finally {
        slow.close();
      }
    });

    it('0 disables it', async () => {
      const slow = createNodeTransport({ agentOptions: { lookup: slowLoopback(30) } });
      try {
        const response = await slow.send({ ...post('/ok'), url: `http://localhost:${loop.port}/ok` }, opts(undefined, 0));
        expect(await readAll(response)).toBe('{"ok":true}');
      } finally {
        slow.close();
      }
    });

    it('abort while connecting rejects with the reason and clears the timer', async () => {
      const slow = createNodeTransport({ agentOptions: { lookup: neverAnswers } });
      try {
        const timersBefore = timeouts();
        const controller = new AbortController();
        const reason = new CallerAbort('while connecting');
        const pending = slow.send({ ...post('/ok'), url: `http://localhost:${loop.port}/ok` }, opts(controller.signal, 10_000));
        await new Promise((r) => setTimeout(r, 10));
        controller.abort(reason);
        await expect(pending).rejects.toBe(reason);
        expect(timeouts()).toBeLessThanOrEqual(timersBefore);
      } finally {
        slow.close();
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// TLS, with a throwaway self-signed certificate for 127.0.0.1 (skipped without openssl).

function makeCertificate(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'modelmux-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore', timeout: 10_000 },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tls = makeCertificate();

describe.skipIf(tls === undefined)('createNodeTransport over TLS', () => {
  let server: https.Server;
  let port: number;
  let connections = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = https.createServer({ key: tls!.key, cert: tls!.cert }, (_req, res) => {
      _req.resume();
      _req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"tls":true}');
      });
    });
    server.on('secureConnection', (socket: Socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('connects (connect timer cleared on secureConnect) and reuses the connection', async () => {
    const secure = createNodeTransport({ agentOptions: { ca: tls!.cert } });
    try {
      const timersBefore = timeouts();
      const request = { url: `https://127.0.0.1:${port}/`, method: 'POST' as const, headers: {}, body: '{}' };
      for (let i = 0; i < 3; i++) expect(await readAll(await secure.send(request, opts(undefined, 2000)))).toBe('{"tls":true}');
      expect(connections).toBe(1);
      expect(timeouts()).toBeLessThanOrEqual(timersBefore);
    } finally {
      secure.close();
    }
    await waitFor(() => sockets.size === 0, 'TLS sockets to close');
  });

  it('an untrusted certificate → ConnectionError, not retryable', async () => {
    const secure = createNodeTransport();
    try {
      const error = await rejection(secure.send({ url: `https://127.0.0.1:${port}/`, method: 'GET', headers: {} }, opts()));
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).message).toMatch(/^TLS certificate error \([A-Z_]+\) to 127\.0\.0\.1:\d+$/);
      expect((error as ConnectionError).retryable).toBe(false);
    } finally {
      secure.close();
    }
  });
});
