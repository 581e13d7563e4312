/**
 * Loopback OpenAI-compatible mock provider for the benchmark. Runs in its own process
 * (`node --import tsx bench/mock-server.ts --chunks 64 --pace-ms 1`), listens on 127.0.0.1 on an
 * ephemeral port and prints `{"port":N}` on stdout. Exits when its stdin closes (parent gone).
 *
 *   POST [/<mode>]/v1/chat/completions   mode = burst (default) | paced; or header x-mock-mode
 *   - body without "stream":true → one ChatCompletion (JSON, content-length, with usage)
 *   - body with "stream":true    → SSE: N content chunks, a finish chunk, a usage chunk, [DONE]
 *       burst: the whole stream in one write; paced: one event per write, `paceMs` apart
 *
 * Every payload is serialized once at start-up; a request costs one body read and a few writes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

const CHUNKS = arg('chunks', 64);
const PACE_MS = arg('pace-ms', 1);

/** The content pieces of an answer of `n` chunks; the non-streaming content is their concatenation. */
export function tokens(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `tok${i} `);
}

const ID = 'chatcmpl-bench000000000000000000000';
const CREATED = 1_700_000_000;
const MODEL = 'bench-model';
const words = tokens(CHUNKS);
const usage = { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS };

const completion = Buffer.from(
  JSON.stringify({
    id: ID,
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: words.join(''), refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
    service_tier: 'default',
    system_fingerprint: 'fp_bench',
  }),
);

const chunk = (choices: unknown[], u: unknown = null) =>
  Buffer.from(
    `data: ${JSON.stringify({
      id: ID,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: MODEL,
      service_tier: 'default',
      system_fingerprint: 'fp_bench',
      choices,
      usage: u,
    })}\n\n`,
  );

const events: Buffer[] = [
  ...words.map((content, i) =>
    chunk([
      {
        index: 0,
        delta: i === 0 ? { role: 'assistant', content, refusal: null } : { content },
        logprobs: null,
        finish_reason: null,
      },
    ]),
  ),
  chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
  chunk([], usage),
  Buffer.from('data: [DONE]\n\n'),
];
const burst = Buffer.concat(events);

const JSON_HEADERS = { 'content-type': 'application/json', 'content-length': String(completion.length) };
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const STREAM_RE = /"stream"\s*:\s*true/;

function paced(res: ServerResponse, i: number): void {
  if (res.destroyed) return;
  if (i === events.length - 1) {
    res.end(events[i]);
    return;
  }
  res.write(events[i]);
  if (PACE_MS > 0) setTimeout(paced, PACE_MS, res, i + 1);
  else setImmediate(paced, res, i + 1);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '';
  if (req.method !== 'POST' || !url.endsWith('/v1/chat/completions')) {
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
      res.writeHead(200, JSON_HEADERS);
      res.end(completion);
      return;
    }
    res.writeHead(200, SSE_HEADERS);
    const mode = url.startsWith('/paced/') || req.headers['x-mock-mode'] === 'paced' ? 'paced' : 'burst';
    if (mode === 'burst') res.end(burst);
    else {
      res.flushHeaders();
      paced(res, 0);
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
