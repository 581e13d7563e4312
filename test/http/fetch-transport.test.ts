import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConnectionError, InvalidResponseError, TimeoutError } from '../../src/errors/index.js';
import { createFetchTransport } from '../../src/http/fetch-transport.js';
import { readAll, rejection, socketClosed, waitFor } from '../helpers/transport.js';

const details = { provider: 'loop', model: 'm-1' };
const SECRET_HEADER = 'sk-test-header-secret-0123456789';

// ---------------------------------------------------------------------------------------------
// A real loopback server; every connection is tracked so each test can check none is left open.

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
  '/sse': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let n = 0;
    const tick = (): void => {
      if (n === 3) {
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
  '/hang': () => {},
  '/hold-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
  },
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/ok' });
    res.end();
  },
};

const sockets = new Set<Socket>();
/** Sockets with a request whose response has not finished: open ones at the end of a test leaked. */
const busy = new Set<Socket>();
let connections = 0;
const requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[] = [];
const arrivals = new Map<string, (socket: Socket) => void>();
let server: http.Server;
let port: number;
const url = (path: string): string => `http://127.0.0.1:${port}${path}`;
const arrived = (path: string): Promise<Socket> => new Promise((resolve) => arrivals.set(path, resolve));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const socket = req.socket;
      busy.add(socket);
      res.on('close', () => busy.delete(socket));
      arrivals.get(path)?.(socket);
      arrivals.delete(path);
      const handler = handlers[path];
      if (handler) handler(req, res, Buffer.concat(chunks).toString('utf8'));
      else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  server.on('connection', (socket: Socket) => {
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

afterEach(async () => {
  vi.unstubAllGlobals();
  // No request may be left in flight: its connection must have been closed or its response finished.
  await waitFor(() => busy.size === 0, 'every in-flight request to end');
  // fetch keeps idle connections (and sometimes opens a spare one) in its own pool: close them so
  // each test starts clean, and let the client see the closes before the next test.
  server.closeAllConnections();
  await waitFor(() => sockets.size === 0, 'server sockets to close');
  await new Promise((r) => setTimeout(r, 10));
});

class CallerAbort extends Error {
  override name = 'CallerAbort';
}

function opts(signal: AbortSignal = new AbortController().signal, connectTimeoutMs = 5000) {
  return { signal, connectTimeoutMs, errorDetails: details };
}

const post = (path: string, body: string | Uint8Array = '{"q":1}') => ({
  url: url(path),
  method: 'POST' as const,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET_HEADER}` },
  body,
});

// ---------------------------------------------------------------------------------------------

describe('createFetchTransport against a loopback server', () => {
  const transport = createFetchTransport();

  it('is the fetch kind, and close() is a no-op', () => {
    expect(transport.kind).toBe('fetch');
    transport.close();
  });

  it('sends a request and reads the response; headers by name', async () => {
    const response = await transport.send(post('/ok'), opts());
    expect(response.status).toBe(200);
    expect(response.header('content-type')).toBe('application/json');
    expect(response.header('x-request-id')).toBe('req_1');
    expect(response.header('set-cookie')).toBe('a=1, b=2');
    expect(response.header('x-missing')).toBeNull();
    expect(await readAll(response)).toBe('{"ok":true}');
    expect(requests.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET_HEADER}`);
  });

  it('sends string and byte bodies', async () => {
    const text = '{"q":"héllo €"}';
    expect(JSON.parse(await readAll(await transport.send(post('/echo', text), opts())))).toEqual({
      method: 'POST',
      length: String(Buffer.byteLength(text)),
      body: text,
    });
    const bytes = new TextEncoder().encode(text);
    expect(JSON.parse(await readAll(await transport.send(post('/echo', bytes), opts())))).toEqual({
      method: 'POST',
      length: String(bytes.length),
      body: text,
    });
  });

  it('reuses keep-alive connections for sequential requests', async () => {
    const before = connections;
    for (let i = 0; i < 6; i++) expect(await readAll(await transport.send(post('/ok'), opts()))).toBe('{"ok":true}');
    // Node's fetch may open a second connection before it has released the first; then it reuses.
    expect(connections - before).toBeLessThanOrEqual(2);
  });

  it('streams a body', async () => {
    const text = await readAll(await transport.send(post('/sse'), opts()));
    expect(text).toBe('data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n');
  });

  it('returns a 302 as it is, without following it', async () => {
    const before = requests.length;
    const response = await transport.send(post('/redirect'), opts());
    expect(response.status).toBe(302);
    expect(response.header('location')).toBe('/ok');
    await readAll(response);
    expect(requests.length - before).toBe(1);
  });

  describe('cancel()', () => {
    it('before the body ends closes the connection; iteration then ends', async () => {
      const serverSocket = arrived('/hold-body');
      const response = await transport.send(post('/hold-body'), opts());
      const iterator = response.body[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      response.cancel();
      response.cancel();
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      await socketClosed(await serverSocket);
    });

    it('before any read closes the connection', async () => {
      const serverSocket = arrived('/hold-body');
      const response = await transport.send(post('/hold-body'), opts());
      response.cancel();
      await socketClosed(await serverSocket);
    });

    it('after a full read is a no-op', async () => {
      const response = await transport.send(post('/ok'), opts());
      await readAll(response);
      response.cancel();
      expect(await response.body[Symbol.asyncIterator]().next()).toEqual({ done: true, value: undefined });
    });

    it('is what breaking out of for-await does', async () => {
      const serverSocket = arrived('/hold-body');
      const response = await transport.send(post('/hold-body'), opts());
      for await (const _chunk of response.body) break;
      await socketClosed(await serverSocket);
    });
  });

  describe('failures', () => {
    it('connection refused → ConnectionError naming host:port, never headers or query', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const deadPort = (closed.address() as { port: number }).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));

      const error = await rejection(
        transport.send({ ...post('/ok'), url: `http://127.0.0.1:${deadPort}/v1/chat?key=query-secret-value` }, opts()),
      );
      expect(error).toBeInstanceOf(ConnectionError);
      const e = error as ConnectionError;
      expect(e.message).toBe(`connection refused (ECONNREFUSED) to 127.0.0.1:${deadPort}`);
      expect(e.retryable).toBe(true);
      expect(e.provider).toBe('loop');
      expect(e.model).toBe('m-1');
      expect(e.cause).toBeInstanceOf(Error);
      const everything = `${e.message} ${e.stack} ${JSON.stringify(e)}`;
      expect(everything).not.toContain(SECRET_HEADER);
      expect(everything).not.toContain('query-secret-value');
    });

    it('reset before the headers → ConnectionError', async () => {
      const error = await rejection(transport.send(post('/reset-before-headers'), opts()));
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).message).toMatch(/\((UND_ERR_SOCKET|ECONNRESET)\) to 127\.0\.0\.1:\d+$/);
      expect((error as ConnectionError).provider).toBe('loop');
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
      expect((error as ConnectionError).message).toMatch(/^connection (closed by the server|reset) while reading the response body \((UND_ERR_SOCKET|ECONNRESET)\) from 127\.0\.0\.1:\d+$/);
      await expect(response.body[Symbol.asyncIterator]().next()).rejects.toBe(error);
    });
  });

  describe('abort', () => {
    it('an already aborted signal rejects with its reason without connecting', async () => {
      const controller = new AbortController();
      const reason = new CallerAbort('before send');
      controller.abort(reason);
      const before = requests.length;
      await expect(transport.send(post('/ok'), opts(controller.signal))).rejects.toBe(reason);
      await new Promise((r) => setTimeout(r, 20));
      expect(requests.length).toBe(before);
    });

    it('while waiting for the headers rejects with the reason and closes the connection', async () => {
      const controller = new AbortController();
      const reason = new CallerAbort('during headers');
      const serverSocket = arrived('/hang');
      const pending = transport.send(post('/hang'), opts(controller.signal));
      const socket = await serverSocket;
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await socketClosed(socket);
    });

    it('while reading the body throws the reason from the iterator and closes the connection', async () => {
      const controller = new AbortController();
      const reason = new CallerAbort('during body');
      const serverSocket = arrived('/hold-body');
      const response = await transport.send(post('/hold-body'), opts(controller.signal));
      const socket = await serverSocket;
      const iterator = response.body[Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      const waiting = iterator.next();
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      await expect(iterator.next()).rejects.toBe(reason);
      await socketClosed(socket);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('createFetchTransport with a given or replaced fetch', () => {
  const ok = (): Response => new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } });

  it('passes method, headers, body, redirect "manual" and the signal to the given fetch', async () => {
    const fetchImpl = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => ok());
    const transport = createFetchTransport(fetchImpl as unknown as typeof fetch);
    const signal = new AbortController().signal;
    const response = await transport.send(
      { url: 'http://127.0.0.1:9/v1/chat/completions', method: 'POST', headers: { 'x-a': '1' }, body: '{}' },
      opts(signal),
    );
    expect(await readAll(response)).toBe('{"ok":true}');
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    const [input, init] = fetchImpl.mock.calls[0]!;
    expect(input).toBe('http://127.0.0.1:9/v1/chat/completions');
    expect(init).toMatchObject({ method: 'POST', headers: { 'x-a': '1' }, body: '{}', redirect: 'manual' });
    expect(init!.signal).toBe(signal);
  });

  it('looks up the global fetch at call time (test tools replace it)', async () => {
    const transport = createFetchTransport();
    const replaced = vi.fn(async () => ok());
    vi.stubGlobal('fetch', replaced);
    await readAll(await transport.send({ url: 'http://127.0.0.1:9/x', method: 'GET', headers: {} }, opts()));
    expect(replaced).toHaveBeenCalledTimes(1);
  });

  it('does not apply connectTimeoutMs (a slow answer is bounded by the signal only)', async () => {
    const transport = createFetchTransport(async () => {
      await new Promise((r) => setTimeout(r, 40));
      return ok();
    });
    const response = await transport.send({ url: 'http://127.0.0.1:9/x', method: 'GET', headers: {} }, opts(undefined, 5));
    expect(response.status).toBe(200);
    await readAll(response);
  });

  it("maps undici's connect timeout to TimeoutError('connect')", async () => {
    const cause = Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' });
    const transport = createFetchTransport(async () => {
      throw new TypeError('fetch failed', { cause });
    });
    const error = await rejection(transport.send({ url: 'https://api.example.invalid/v1', method: 'GET', headers: {} }, opts()));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeout).toBe('connect');
    expect((error as TimeoutError).message).toBe('connect timeout to api.example.invalid:443');
  });

  it('maps an error code wrapped in an AggregateError (several addresses tried)', async () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED ::1:9'), { code: 'ECONNREFUSED' });
    const transport = createFetchTransport(async () => {
      throw new TypeError('fetch failed', { cause: new AggregateError([inner], 'all failed') });
    });
    const error = await rejection(transport.send({ url: 'http://localhost:9/x', method: 'GET', headers: {} }, opts()));
    expect((error as ConnectionError).message).toBe('connection refused (ECONNREFUSED) to localhost:9');
  });

  it('maps any other failure of fetch to ConnectionError, keeping typed errors as they are', async () => {
    const odd = createFetchTransport(async () => {
      throw new Error('something odd');
    });
    const error = await rejection(odd.send({ url: 'http://127.0.0.1:9/x', method: 'GET', headers: {} }, opts()));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toBe('network error to 127.0.0.1:9');

    const typed = new InvalidResponseError('already typed', details);
    const passthrough = createFetchTransport(async () => {
      throw typed;
    });
    await expect(passthrough.send({ url: 'http://127.0.0.1:9/x', method: 'GET', headers: {} }, opts())).rejects.toBe(typed);
  });

  it('a response without a body iterates to the end at once', async () => {
    const transport = createFetchTransport(async () => new Response(null, { status: 204 }));
    const response = await transport.send({ url: 'http://127.0.0.1:9/x', method: 'GET', headers: {} }, opts());
    expect(response.status).toBe(204);
    expect(await readAll(response)).toBe('');
    response.cancel();
  });

  it('cancel() swallows a failing body cancel', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull: () => new Promise(() => {}),
      cancel: () => Promise.reject(new Error('cancel failed')),
    });
    const transport = createFetchTransport(async () => new Response(body, { status: 200 }));
    const response = await transport.send({ url: 'http://127.0.0.1:9/x', method: 'GET', headers: {} }, opts());
    response.cancel();
    await new Promise((r) => setTimeout(r, 5));
  });

  it('an abort that lands while fetch resolves still rejects with the reason', async () => {
    const controller = new AbortController();
    const reason = new CallerAbort('late');
    const transport = createFetchTransport(async () => {
      controller.abort(reason);
      return ok();
    });
    await expect(transport.send({ url: 'http://127.0.0.1:9/x', method: 'GET', headers: {} }, opts(controller.signal))).rejects.toBe(reason);
  });
});
