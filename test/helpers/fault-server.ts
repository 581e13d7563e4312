/**
 * The fault server and the harness every test/faults file runs its cases in.
 *
 * `startFaultServer()` is a real node:http server on 127.0.0.1 that records every request it
 * receives (method, path, headers, body), is bounded in requests (`maxRequests`; past it a
 * request is recorded and its socket destroyed) and in time (`maxLifetimeMs`; then it closes
 * itself and destroys every socket). Each test scripts the answer with `handle()`.
 *
 * `useFaultHarness()` registers the vitest hooks that check, after EVERY case: no unhandled
 * rejection; no open socket; no timer left by modelmux (ref'd or not) and no extra ref'd
 * `Timeout`; the canary key in no error (message, stack, cause, JSON, inspect), no hook event and
 * no span; every request ended exactly once in hooks and spans; every budget reservation settled
 * exactly once (nothing left reserved, spent = the sum of the spend events, one per reservation).
 */
import { createHook } from 'node:async_hooks';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { inspect } from 'node:util';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import {
  createGateway,
  type Gateway,
  type GatewayHooks,
  memoryStore,
  openaiCompatible,
  type RetryHookEvent,
  type SpendEvent,
} from '../../src/index.js';
import { HOOK_NAMES } from '../../src/hooks/combine.js';
import { combineHooks, otelHooks } from '../../src/otel.js';
import type { Handler, RecordedRequest } from './loopback.js';

export type { Handler, RecordedRequest } from './loopback.js';

/** The API key every fault case configures; it must never show up in anything a caller can see. */
export const CANARY = 'canary-fault-key-0123456789';

// ---------------------------------------------------------------------------------------------
// The server

export interface FaultServerOptions {
  /** Requests answered before the server refuses (records, then destroys the socket). Default 400. */
  maxRequests?: number;
  /** After this long the server closes itself and destroys every socket. Default 120 s. */
  maxLifetimeMs?: number;
}

export interface FaultServer {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Every request received, in arrival order (the body is filled in when it has arrived). */
  requests: RecordedRequest[];
  /** Requests refused because `maxRequests` was reached. */
  readonly refused: number;
  /** Whether `maxLifetimeMs` passed and the server closed itself. */
  readonly expired: boolean;
  /** Errors thrown by a scenario handler (a bug in the test, reported by the harness). */
  handlerErrors: unknown[];
  /** Replaces the handler (each test scripts its own scenario). */
  handle(handler: Handler): void;
  openSockets(): number;
  /** Resolves when no client socket is open, or rejects after `timeoutMs`. */
  waitForNoSockets(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const maxRequests = options.maxRequests ?? 400;
  const maxLifetimeMs = options.maxLifetimeMs ?? 120_000;
  let handler: Handler = (_req, res) => {
    res.statusCode = 500;
    res.end('no handler');
  };
  const requests: RecordedRequest[] = [];
  const handlerErrors: unknown[] = [];
  const sockets = new Set<Socket>();
  let received = 0;
  let refused = 0;
  let expired = false;
  let closed = false;

  const server = createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    requests.push(record);
    const index = received++;
    res.on('error', () => {});
    if (index >= maxRequests) {
      refused++;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      record.body = Buffer.concat(chunks).toString('utf8');
      const fail = (error: unknown): void => {
        handlerErrors.push(error);
        res.destroy();
      };
      try {
        Promise.resolve(handler(req, res, record.body, requests.indexOf(record))).catch(fail);
      } catch (error) {
        fail(error);
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const close = async (): Promise<void> => {
    clearTimeout(lifetime);
    for (const socket of sockets) socket.destroy();
    if (closed) return;
    closed = true;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const lifetime = setTimeout(() => {
    expired = true;
    void close();
  }, maxLifetimeMs);
  lifetime.unref();

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    get refused() {
      return refused;
    },
    get expired() {
      return expired;
    },
    handlerErrors,
    handle(next) {
      handler = next;
    },
    openSockets: () => sockets.size,
    async waitForNoSockets(timeoutMs = 3000) {
      const until = Date.now() + timeoutMs;
      while (sockets.size > 0) {
        if (Date.now() > until) throw new Error(`${sockets.size} socket(s) still open`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close,
  };
}

/** A 127.0.0.1 port that was listening a moment ago and is closed now (connect → ECONNREFUSED). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `http://127.0.0.1:<port>` from a loopback `baseURL` (`…/v1`), for Anthropic's base URL. */
export function originOf(baseURL: string): string {
  return new URL(baseURL).origin;
}

// ---------------------------------------------------------------------------------------------
// Wire pieces

/** One named SSE event as Anthropic frames it. */
export function anthropicEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export const anthropicStart = (): string =>
  anthropicEvent('message_start', {
    message: {
      id: 'msg_loop',
      type: 'message',
      role: 'assistant',
      model: 'claude-loop',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    },
  });

export const anthropicTextStart = (index = 0): string =>
  anthropicEvent('content_block_start', { index, content_block: { type: 'text', text: '' } });

export const anthropicText = (text: string, index = 0): string =>
  anthropicEvent('content_block_delta', { index, delta: { type: 'text_delta', text } });

/** The closing events of an Anthropic stream: block stop, stop reason with usage, message_stop. */
export function anthropicEnd(outputTokens = 3, stopReason = 'end_turn', index = 0): string {
  return [
    anthropicEvent('content_block_stop', { index }),
    anthropicEvent('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }),
    anthropicEvent('message_stop', {}),
  ].join('');
}

/** A complete Anthropic text stream (3 output tokens). */
export function anthropicStream(parts: string[]): string {
  return [anthropicStart(), anthropicTextStart(), ...parts.map((part) => anthropicText(part)), anthropicEnd()].join('');
}

/** A non-streamed Anthropic message (5 input, 3 output tokens). */
export function anthropicMessage(content: unknown[] | string, stopReason = 'end_turn'): Record<string, unknown> {
  return {
    id: 'msg_loop',
    type: 'message',
    role: 'assistant',
    model: 'claude-loop',
    content: typeof content === 'string' ? [{ type: 'text', text: content }] : content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 3 },
  };
}

/** Anthropic's error body. */
export function anthropicError(type: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'error', error: { type, message, ...extra }, request_id: 'req_loop' };
}

/** OpenAI's error body. */
export function openaiError(message: string, type: string, code: string | null = null): Record<string, unknown> {
  return { error: { message, type, param: null, code } };
}

/**
 * Writes `: keep-alive` (or `chunk`) every `everyMs`, at most `max` times; the interval is
 * cleared when the response closes. The caller observes the response's 'close'.
 */
export function keepAliveForever(res: ServerResponse, everyMs = 20, max = 250, chunk = ': keep-alive\n\n'): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed || sent++ >= max) {
      clearInterval(timer);
      return;
    }
    res.write(chunk);
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** Runs `write` after `ms` (a separate TCP read for the client), unless the response closed first. */
export function later(res: ServerResponse, write: () => void, ms = 100): void {
  const timer = setTimeout(() => {
    if (!res.destroyed) write();
  }, ms);
  res.on('close', () => clearTimeout(timer));
}

/** Writes `total` bytes of `fill` after `prefix`, honouring back-pressure, then `suffix`; stops when the client goes away. */
export function pump(res: ServerResponse, prefix: string, total: number, suffix: string, fill = 'a'): void {
  const piece = fill.repeat(64 * 1024);
  let sent = 0;
  res.write(prefix);
  const step = (): void => {
    while (sent < total && !res.destroyed) {
      const size = Math.min(piece.length, total - sent);
      sent += size;
      if (!res.write(size === piece.length ? piece : piece.slice(0, size))) {
        res.once('drain', step);
        return;
      }
    }
    if (!res.destroyed) res.end(suffix);
  };
  step();
}

/** Every textual form of an error a caller might log. */
export function renderings(error: unknown): string[] {
  const forms = [inspect(error, { depth: 10 }), safeJson(error)];
  if (error instanceof Error) {
    forms.push(error.message, error.stack ?? '');
    let cause: unknown = (error as { cause?: unknown }).cause;
    for (let depth = 0; cause !== undefined && depth < 5; depth++) {
      forms.push(...(cause instanceof Error ? [cause.message, cause.stack ?? '', inspect(cause, { depth: 10 }), safeJson(cause)] : [safeJson(cause)]));
      cause = cause instanceof Error ? (cause as { cause?: unknown }).cause : undefined;
    }
  }
  return forms;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch (e) {
    return `unserialisable: ${String(e)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// The harness

type Config = Parameters<typeof createGateway>[0];
type HookName = Exclude<keyof GatewayHooks, 'includeContent'>;
type EventOf<N extends HookName> = Parameters<NonNullable<GatewayHooks[N]>>[0];


/** $0 input, $10 per 1M output tokens: an estimate is exactly `max_tokens` × 10 000 nano-USD. */
export const OUTPUT_PRICE = { input: 0, output: 10 } as const;
/** nano-USD per output token at `OUTPUT_PRICE`. */
export const NANO_PER_OUTPUT_TOKEN = 10_000n;
/** The output ceiling of a request without `max_tokens` (modelmux's default). */
export const DEFAULT_MAX_OUTPUT = 4096;

/** Prices for every deployment the fault files use. */
export const FAULT_PRICES: Record<string, { input: number; output: number }> = {
  'local/m': OUTPUT_PRICE,
  'primary/m': OUTPUT_PRICE,
  'backup/m': OUTPUT_PRICE,
  'anthropic/claude-loop': OUTPUT_PRICE,
  'claude/claude-loop': OUTPUT_PRICE,
};

export const fastRetry = { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20 };

interface Tracked {
  mux: Gateway;
  events: Array<{ hook: HookName; event: unknown }>;
}

export interface FaultHarness {
  readonly server: FaultServer;
  /**
   * A gateway on the fault server, tracked and closed after the case. Defaults: one
   * OpenAI-compatible provider `local` (key `CANARY`), `fastRetry`, `FAULT_PRICES`, a global
   * $1000/month budget on its own `memoryStore()`, and every hook (recorder + otelHooks).
   * `config.hooks` are combined with them.
   */
  gateway(config?: Config): Gateway;
  /** `openaiCompatible` named `name` on the fault server under `/<name>` (or `/v1` for `local`). */
  openai(name: string, apiKey?: string): ReturnType<typeof openaiCompatible>;
  /** Every hook event of every gateway of this case, in order. */
  events<N extends HookName>(hook: N): Array<EventOf<N>>;
  retries(): RetryHookEvent[];
  spends(): SpendEvent[];
  /** `[basis, nano-USD]` of every spend event, in order. */
  booked(): Array<[SpendEvent['basis'], bigint]>;
  /** Finished spans of this case. */
  spans(): ReadableSpan[];
  /** Adds errors to the canary check (thrown errors are added by `failure`). */
  see(...errors: unknown[]): void;
  /** The rejection of `promise` (fails when it resolves), checked for the canary after the case. */
  failure(promise: Promise<unknown>): Promise<unknown>;
  /** Waits for background settles and hook events (a few turns of the event loop). */
  settle(ms?: number): Promise<void>;
}

/** Ref'd timers right now (what keeps the process alive). */
function refTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

function spanText(spans: ReadableSpan[]): string {
  return safeJson(
    spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      status: span.status,
      links: span.links,
      resource: span.resource.attributes,
    })),
  );
}

function eventText(event: unknown): string[] {
  const forms = [safeJson(event), inspect(event, { depth: 10 })];
  if (typeof event === 'object' && event !== null) {
    for (const value of Object.values(event)) if (value instanceof Error) forms.push(...renderings(value));
  }
  return forms;
}

export function useFaultHarness(options: FaultServerOptions = {}): FaultHarness {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  let server: FaultServer | undefined;
  let tracked: Tracked[] = [];
  let seen: unknown[] = [];
  let exporter = new InMemorySpanExporter();
  let tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let baselineTimeouts = 0;

  // Every timer created during a case outside Node's internals and the test runner, until it is
  // cleared or has fired: `src` = created by modelmux.
  const pendingTimers = new Map<number, { timer: { hasRef?: () => boolean }; src: boolean; stack: string }>();
  let watching = false;
  const timerHook = createHook({
    init(id, type, _trigger, resource) {
      if (!watching || type !== 'Timeout') return;
      const stack = new Error().stack ?? '';
      // The first frame below this hook outside Node's internals is the caller of setTimeout/setInterval.
      const caller = stack
        .split('\n')
        .slice(2)
        .find((line) => !/\(node:|at node:/.test(line));
      if (caller === undefined || caller.includes('node_modules')) return;
      pendingTimers.set(id, { timer: resource as { hasRef?: () => boolean }, src: caller.includes('/src/'), stack });
    },
    destroy(id) {
      pendingTimers.delete(id);
    },
  });
  /** Timers modelmux left (ref'd or not) and ref'd timers anyone else left: what outlived the case. */
  const leftTimers = (): string[] =>
    [...pendingTimers.values()].filter((t) => t.src || t.timer.hasRef?.() === true).map((t) => t.stack);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startFaultServer(options);
    timerHook.enable();
  });
  afterAll(async () => {
    timerHook.disable();
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', onUnhandled);
    await server?.close();
    expect(unhandled).toEqual([]);
    expect(server?.expired, 'the fault server outlived maxLifetimeMs').toBe(false);
  });
  beforeEach(() => {
    tracked = [];
    seen = [];
    exporter = new InMemorySpanExporter();
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    pendingTimers.clear();
    baselineTimeouts = refTimeouts();
    watching = true;
  });
  afterEach(async () => {
    const s = server!;
    watching = false;
    try {
      // 1. Budgets: nothing left reserved, each reservation booked at most once, spent = what was booked.
      for (const { mux, events } of tracked) {
        if (mux.budget === undefined) continue;
        const spends = events.filter((e) => e.hook === 'onSpend').map((e) => e.event as SpendEvent);
        const ids = spends.map((e) => e.reservationId);
        expect(new Set(ids).size, 'a reservation was booked twice').toBe(ids.length);
        const until = Date.now() + 1000;
        let statuses = await mux.budget.get({});
        while (statuses.some((st) => st.reserved !== 0) && Date.now() < until) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          statuses = await mux.budget.get({});
        }
        const booked = spends.reduce((sum, e) => sum + e.nanoUsd, 0n);
        for (const status of statuses) {
          expect(status.reserved, `budget ${status.limitId} still holds a reservation`).toBe(0);
          expect(BigInt(Math.round(status.spent * 1e9)), `budget ${status.limitId}: spent ≠ the sum of spend events`).toBe(booked);
        }
      }
      // 2. Every request ended exactly once (hooks and spans), every attempt too; no hook failed.
      for (const { events } of tracked) {
        const of = (hook: HookName) => events.filter((e) => e.hook === hook).map((e) => e.event as { requestId?: string });
        const ends = [...of('onResponse'), ...of('onError')].map((e) => e.requestId);
        expect(ends.sort(), 'each request ends once').toEqual(of('onRequest').map((e) => e.requestId).sort());
        expect(of('onAttemptEnd').length, 'each attempt ends once').toBe(of('onAttempt').length);
        expect(of('onHookError')).toEqual([]);
      }
      const requests = tracked.reduce((n, t) => n + t.events.filter((e) => e.hook === 'onRequest').length, 0);
      const rootSpans = exporter.getFinishedSpans().filter((span) => span.parentSpanContext === undefined);
      expect(rootSpans.length, 'one finished request span per request').toBe(requests);
    } finally {
      for (const { mux } of tracked) mux.close();
    }
    // 3. No socket left open, on either side.
    await s.waitForNoSockets();
    // 4. No timer left: none created by modelmux still pending (ref'd or not), no ref'd one at all;
    //    and the process holds no more ref'd timers than when the case started.
    const until = Date.now() + 1000;
    while ((leftTimers().length > 0 || refTimeouts() > baselineTimeouts) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(leftTimers(), 'a timer outlived the case').toEqual([]);
    expect(refTimeouts(), 'more ref’d timers than before the case').toBeLessThanOrEqual(baselineTimeouts);
    // 5. No unhandled rejection (let a late one surface first).
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    // 6. The canary: in no error, hook event or span.
    for (const error of seen) for (const text of renderings(error)) expect(text).not.toContain(CANARY);
    for (const { events } of tracked) {
      for (const { hook, event } of events) for (const text of eventText(event)) expect(text, `${hook} event`).not.toContain(CANARY);
    }
    expect(spanText(exporter.getFinishedSpans())).not.toContain(CANARY);
    // 7. The server: within its bounds, no handler error.
    expect(s.handlerErrors).toEqual([]);
    expect(s.refused, 'the fault server hit maxRequests').toBe(0);
    s.requests.length = 0;
  });

  const harness: FaultHarness = {
    get server() {
      return server!;
    },
    openai(name, apiKey = CANARY) {
      const baseURL = name === 'local' ? server!.baseURL : `${server!.origin}/${name}/v1`;
      return openaiCompatible({ name, baseURL, apiKey });
    },
    gateway(config: Config = {}) {
      const events: Tracked['events'] = [];
      const recorder: GatewayHooks = Object.fromEntries(
        HOOK_NAMES.map((hook) => [hook, (event: unknown) => void events.push({ hook, event })]),
      ) as GatewayHooks;
      const tracing = otelHooks({ tracer: tracerProvider.getTracer('faults') });
      const mux = createGateway({
        providers: { local: harness.openai('local') },
        retry: fastRetry,
        budget: { store: memoryStore(), limits: [{ id: 'global', scope: {}, usd: 1000, period: 'month' }] },
        ...config,
        pricing: { ...FAULT_PRICES, ...config.pricing },
        hooks: combineHooks(tracing, recorder, config.hooks ?? {}),
      });
      tracked.push({ mux, events });
      return mux;
    },
    events<N extends HookName>(hook: N) {
      return tracked.flatMap((t) => t.events.filter((e) => e.hook === hook).map((e) => e.event as EventOf<N>));
    },
    retries: () => harness.events('onRetry'),
    spends: () => harness.events('onSpend'),
    booked: () => harness.spends().map((e) => [e.basis, e.nanoUsd]),
    spans: () => exporter.getFinishedSpans(),
    see(...errors) {
      seen.push(...errors);
    },
    async failure(promise) {
      const error = await promise.then(
        () => new Error('expected a failure, got a result'),
        (e: unknown) => e,
      );
      seen.push(error);
      return error;
    },
    async settle(ms = 20) {
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
  };
  return harness;
}

/** The nano-USD booked for `tokens` output tokens at `OUTPUT_PRICE`. */
export const nano = (tokens: number): bigint => BigInt(tokens) * NANO_PER_OUTPUT_TOKEN;

/** Reads a stream to its end: the tool call's name and arguments as streamed, and the finish reason. */
export async function readToolCall(
  stream: AsyncIterable<{ choices: Array<{ delta?: { tool_calls?: Array<{ function?: { name?: string; arguments?: string } }> }; finish_reason?: string | null }> }>,
): Promise<{ name: string; args: string; finish: string | null | undefined }> {
  let args = '';
  let name = '';
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    for (const call of chunk.choices[0]?.delta?.tool_calls ?? []) {
      args += call.function?.arguments ?? '';
      name += call.function?.name ?? '';
    }
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { name, args, finish };
}
