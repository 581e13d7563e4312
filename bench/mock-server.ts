/**
 * Loopback mock provider for the benchmark, speaking two wire formats. Runs in its own process
 * (`node --import tsx bench/mock-server.ts --chunks 64 --pace-ms 1`), listens on 127.0.0.1 on an
 * ephemeral port and prints `{"port":N}` on stdout. Exits when its stdin closes (parent gone).
 *
 *   POST [/<mode>]/v1/chat/completions   OpenAI Chat Completions (bench/mock/openai.ts)
 *   POST [/<mode>]/v1/messages           Anthropic Messages (bench/mock/anthropic.ts)
 *   mode = burst (default) | paced; or header x-mock-mode
 *   - body without "stream":true → one JSON answer (content-length, with usage)
 *   - body with "stream":true    → SSE: the format's events for N content pieces
 *       burst: the whole stream in one write; paced: one event per write, `paceMs` apart
 *
 * Every payload is serialized once at start-up; a request costs one body read and a few writes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { anthropicPayloads } from './mock/anthropic.js';
import { openaiPayloads } from './mock/openai.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

const CHUNKS = arg('chunks', 64);
const PACE_MS = arg('pace-ms', 1);

interface Wire {
  completion: Buffer;
  events: Buffer[];
  burst: Buffer;
  jsonHeaders: Record<string, string>;
}

function wire(payloads: { completion: Buffer; events: Buffer[] }, extraHeaders: Record<string, string>): Wire {
  return {
    ...payloads,
    burst: Buffer.concat(payloads.events),
    jsonHeaders: { 'content-type': 'application/json', 'content-length': String(payloads.completion.length), ...extraHeaders },
  };
}

const OPENAI = wire(openaiPayloads(CHUNKS), {});
const ANTHROPIC = wire(anthropicPayloads(CHUNKS), { 'request-id': 'req_bench' });

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const STREAM_RE = /"stream"\s*:\s*true/;

function paced(res: ServerResponse, events: Buffer[], i: number): void {
  if (res.destroyed) return;
  if (i === events.length - 1) {
    res.end(events[i]);
    return;
  }
  res.write(events[i]);
  if (PACE_MS > 0) setTimeout(paced, PACE_MS, res, events, i + 1);
  else setImmediate(paced, res, events, i + 1);
}

function route(url: string): Wire | undefined {
  if (url.endsWith('/v1/chat/completions')) return OPENAI;
  if (url.endsWith('/v1/messages')) return ANTHROPIC;
  return undefined;
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  const w = req.method === 'POST' ? route(url) : undefined;
  if (w === undefined) {
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (s: string) => (body += s));
  req.on('end', () => {
    if (!STREAM_RE.test(body)) {
      res.writeHead(200, w.jsonHeaders);
      res.end(w.completion);
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    const mode = url.startsWith('/paced/') || req.headers['x-mock-mode'] === 'paced' ? 'paced' : 'burst';
    if (mode === 'burst') res.end(w.burst);
    else {
      res.flushHeaders();
      paced(res, w.events, 0);
    }
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const server = createServer({ noDelay: true, keepAlive: true }, handle);
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
  });
  // The parent holds our stdin; when it goes away (even SIGKILL), so do we.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
