/**
 * The soak of test/faults/soak.test.ts, in its own process so it can call `gc()`:
 *
 *   node --expose-gc --import tsx test/faults/soak-run.ts <origin> <seed> [requests] [warmup] [concurrency]
 *
 * Against the parent's loopback server (which answers by the `x-soak-kind` header): a mix of
 * non-stream answers (~60 %), streams read to the end (~20 %), requests whose first attempt fails
 * and are retried or moved to the other deployment (~10 %), streams aborted mid-stream (~5 %) and
 * streams abandoned with `break` (~5 %), with bounded concurrency, through a gateway with a budget
 * (memory store). Measures heapUsed after gc() and the active resources at the start (after a
 * warm-up) and at the end (before and after `mux.close()`); prints one JSON line.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createGateway, memoryStore, ModelmuxError, openaiCompatible } from '../../src/index.js';
import { mulberry32, weighted } from './concurrency-load.js';

// process.getActiveResourcesInfo() lists only what keeps the event loop alive: idle keep-alive
// sockets and the gateway's timers are unref'd, so they are tracked here too. Client sockets: from
// their creation (diagnostics channel) to 'close'. Timers: every setTimeout / setInterval until it
// fires or is cleared (Node's own socket timeouts do not go through these globals).
const liveSockets = new Set<Socket>();
diagnostics.subscribe('net.client.socket', (message) => {
  const socket = (message as { socket: Socket }).socket;
  liveSockets.add(socket);
  socket.once('close', () => liveSockets.delete(socket));
});
const liveTimers = new Set<unknown>();
{
  const { setTimeout: st, clearTimeout: ct, setInterval: si, clearInterval: ci } = globalThis;
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = st(() => {
      liveTimers.delete(timer);
      fn(...args);
    }, ms);
    liveTimers.add(timer);
    return timer;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
    liveTimers.delete(timer);
    ct(timer);
  }) as typeof clearTimeout;
  globalThis.setInterval = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = si(fn, ms, ...args);
    liveTimers.add(timer);
    return timer;
  }) as typeof setInterval;
  globalThis.clearInterval = ((timer: Parameters<typeof clearInterval>[0]) => {
    liveTimers.delete(timer);
    ci(timer);
  }) as typeof clearInterval;
}

const [origin = '', seedText = '1', requestsText = '20000', warmupText = '1000', concurrencyText = '32'] = process.argv.slice(2);
const seed = Number(seedText);
const total = Number(requestsText);
const warmup = Number(warmupText);
const concurrency = Number(concurrencyText);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const unhandled: string[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(String(reason)));

type Kind = 'ok' | 'stream' | 'fail' | 'abort' | 'break';
const MIX: ReadonlyArray<readonly [Kind, number]> = [
  ['ok', 60],
  ['stream', 20],
  ['fail', 10],
  ['abort', 5],
  ['break', 5],
];

/** Counts of active resources by type (ref'd ones), plus every client socket and timer still alive. */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) out[type] = (out[type] ?? 0) + 1;
  out.clientSockets = liveSockets.size;
  out.timers = liveTimers.size;
  return out;
}

async function settle(): Promise<number> {
  // Let closed sockets and finished timers go, then collect until the heap stops shrinking.
  await new Promise((resolve) => setTimeout(resolve, 100));
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
    const used = process.memoryUsage().heapUsed;
    if (used >= last) return Math.min(used, last);
    last = used;
  }
  return last;
}

const beforeGateway = resources();
const store = memoryStore();
const mux = createGateway({
  providers: {
    a: openaiCompatible({ name: 'a', baseURL: `${origin}/a/v1`, apiKey: 'soak-key-a' }),
    b: openaiCompatible({ name: 'b', baseURL: `${origin}/b/v1`, apiKey: 'soak-key-b' }),
  },
  models: { chat: ['a/m', 'b/m'] },
  pricing: { 'a/m': { input: 0, output: 30 }, 'b/m': { input: 0, output: 30 } },
  retry: { maxRetries: 2, initialDelayMs: 5, maxDelayMs: 20 },
  // Short ejections: the injected failures trip both breakers now and then, and with the default
  // 30 s ejection the rest of a 10-second soak would be NoRouteErrors. Breakers still trip and recover.
  routing: { breaker: { baseEjectionMs: 100, maxEjectionMs: 500 } },
  budget: { store, limits: [{ id: 'soak', scope: { team: 'soak' }, usd: 1_000_000, period: 'month' }] },
});

const counts: Record<string, number> = {};
const problems: string[] = [];
const count = (key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};
const random = mulberry32(seed);
const messages = [{ role: 'user' as const, content: 'soak' }];
const scope = { team: 'soak' };

async function one(id: number, kind: Kind): Promise<void> {
  const headers = { 'x-soak-kind': kind, 'x-soak-id': String(id) };
  try {
    if (kind === 'ok' || kind === 'fail') {
      const completion = await mux.chat.completions.create({ model: 'chat', messages, max_tokens: 50 }, { scope, headers });
      if (completion.choices[0]?.message.content !== 'soak answer') problems.push(`${id}: unexpected answer`);
      count(`${kind}:ok`);
      return;
    }
    const controller = new AbortController();
    const stream = await mux.chat.completions.create({ model: 'chat', messages, max_tokens: 50, stream: true }, { scope, headers, signal: controller.signal });
    let chunks = 0;
    for await (const chunk of stream) {
      void chunk;
      chunks++;
      if (chunks === 2 && kind === 'abort') controller.abort();
      if (chunks === 2 && kind === 'break') break;
    }
    count(`${kind}:${kind === 'abort' ? 'not-aborted' : 'ok'}`);
  } catch (error) {
    const code = ModelmuxError.isInstance(error) ? error.code : `untyped ${String(error)}`;
    count(`${kind}:${code}`);
    // no_route: both deployments' breakers were half-open with their probe out (or held by a 429) at that moment.
    if (!(kind === 'abort' && code === 'aborted') && code !== 'no_route') problems.push(`${id} (${kind}): ${code} ${error instanceof Error ? error.message : ''}`);
  }
}

async function run(n: number, from: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const id = from + next++;
      await one(id, weighted(random, MIX));
      // A request that fails without I/O (every deployment cooling down) settles in microtasks only:
      // without this turn of the event loop, 32 such loops would starve the sockets of the probes.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

await run(warmup, 0);
const heapStart = await settle();
const resourcesStart = resources();
const started = performance.now();
await run(total, warmup);
const ms = Math.round(performance.now() - started);
const heapEnd = await settle();
const resourcesEnd = resources();
const [budget] = await mux.budget!.get(scope);
const stats = mux.stats();
mux.close();
await settle();
const resourcesAfterClose = resources();

process.stdout.write(
  `${JSON.stringify({
    requests: total,
    warmup,
    concurrency,
    ms,
    heapStart,
    heapEnd,
    beforeGateway,
    resourcesStart,
    resourcesEnd,
    resourcesAfterClose,
    counts,
    problems: problems.slice(0, 20),
    problemCount: problems.length,
    unhandled,
    reserved: budget?.reserved,
    spent: budget?.spent,
    storeReservations: store.size.reservations,
    breakers: Object.fromEntries(Object.entries(stats).map(([id, s]) => [id, `${s.breaker} ${s.successes}ok/${s.failures}fail`])),
    inFlight: Object.fromEntries(Object.entries(stats).map(([id, s]) => [id, s.inFlight])),
  })}\n`,
);
