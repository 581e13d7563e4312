/**
 * Soak (issue 8, "soak"): 20,000 mixed requests — non-stream answers, streams read to the end,
 * first attempts that fail and are retried or moved to the other deployment, streams aborted
 * mid-stream and streams abandoned with `break` — with 32 in flight, against the loopback server.
 * The requests run in a child process started with `--expose-gc` (soak-run.ts), so its heap is
 * measured after gc(); the server runs here. After a warm-up of 1,000 requests the heap must stay
 * flat (growth < max(10 MB, 20 %)), and after `mux.close()` the child's active handles (sockets,
 * timers) must be back to what it had before the gateway existed. The figures are printed.
 *
 * MODELMUX_SOAK_SEED=<n> reproduces the request mix (printed on every run).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { originOf } from '../helpers/fault-server.js';
import { completion, type Loopback, sendJson, sseChunk, sseUsage, startLoopback, startSse } from '../helpers/loopback.js';

const SEED = Number(process.env.MODELMUX_SOAK_SEED) || Math.floor(Math.random() * 2 ** 31);
const REQUESTS = 20_000;
const WARMUP = 1_000;
const CONCURRENCY = 32;
const MB = 1024 * 1024;

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers by `x-soak-kind`; a `fail` request's first attempt gets a 500, a 429 (retry-after-ms 5) or a reset, in turn. */
function soakServer(): { failures: number } {
  const failedOnce = new Set<string>();
  const tally = { failures: 0 };
  server.handle(async (req, res, body) => {
    if (server.requests.length > 1_000) server.requests.length = 0;
    const kind = String(req.headers['x-soak-kind']);
    const id = String(req.headers['x-soak-id']);
    if (kind === 'fail') {
      if (!failedOnce.has(id)) {
        failedOnce.add(id);
        const way = tally.failures++ % 3;
        if (way === 0) sendJson(res, 500, { error: { message: 'soak 500', type: 'server_error', param: null, code: null } });
        else if (way === 1) sendJson(res, 429, { error: { message: 'soak 429', type: 'requests', param: null, code: 'rate_limit_exceeded' } }, { 'retry-after-ms': '5' });
        else req.socket.destroy();
        return;
      }
      failedOnce.delete(id);
    }
    if (!(JSON.parse(body) as { stream?: boolean }).stream) {
      sendJson(res, 200, completion('soak answer'));
      return;
    }
    startSse(res);
    res.write(sseChunk({ role: 'assistant', content: '' }));
    const parts = kind === 'abort' || kind === 'break' ? 10 : 3;
    for (let k = 0; k < parts; k++) {
      if (kind === 'abort' || kind === 'break') await pause(2);
      if (res.destroyed) return;
      res.write(sseChunk({ content: `s${k} ` }));
    }
    res.write(sseChunk({}, 'stop'));
    res.write(sseUsage(5, parts));
    res.end('data: [DONE]\n\n');
  });
  return tally;
}

interface SoakResult {
  requests: number;
  ms: number;
  heapStart: number;
  heapEnd: number;
  beforeGateway: Record<string, number>;
  resourcesStart: Record<string, number>;
  resourcesEnd: Record<string, number>;
  resourcesAfterClose: Record<string, number>;
  counts: Record<string, number>;
  problems: string[];
  problemCount: number;
  unhandled: string[];
  reserved: number | undefined;
  spent: number | undefined;
  storeReservations: number;
  inFlight: Record<string, number>;
  breakers: Record<string, string>;
}

describe('soak', () => {
  it(`${REQUESTS.toLocaleString('en')} mixed requests, ${CONCURRENCY} in flight: heap flat, handles back to the start after close`, async () => {
    onTestFailed(() => console.error(`[soak] FAILED with seed ${SEED}: MODELMUX_SOAK_SEED=${SEED} npx vitest run test/faults/soak.test.ts`));
    const tally = soakServer();
    const runner = fileURLToPath(new URL('./soak-run.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', runner, originOf(server.baseURL), String(SEED), String(REQUESTS), String(WARMUP), String(CONCURRENCY)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    expect(exitCode, out).toBe(0);
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as SoakResult;
    const growth = r.heapEnd - r.heapStart;
    console.log(
      `[soak] seed ${SEED}: ${r.requests} requests in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.requests / (r.ms / 1000))}/s); ` +
        `heap ${(r.heapStart / MB).toFixed(2)} MB → ${(r.heapEnd / MB).toFixed(2)} MB (${growth >= 0 ? '+' : ''}${(growth / MB).toFixed(2)} MB); ` +
        `resources before the gateway ${JSON.stringify(r.beforeGateway)}, at start ${JSON.stringify(r.resourcesStart)}, ` +
        `at end ${JSON.stringify(r.resourcesEnd)}, after close ${JSON.stringify(r.resourcesAfterClose)}; outcomes ${JSON.stringify(r.counts)}; ` +
        `breakers ${JSON.stringify(r.breakers)}; ` +
        `first attempts failed on purpose ${tally.failures}`,
    );

    expect(r.unhandled).toEqual([]);
    expect(r.problems, `${r.problemCount} problems`).toEqual([]);
    // Every request settled as its kind says.
    const settled = Object.values(r.counts).reduce((n, v) => n + v, 0);
    expect(settled).toBe(REQUESTS + WARMUP);
    expect(r.counts['ok:ok']).toBeGreaterThan(0.5 * REQUESTS);
    expect(r.counts['stream:ok']).toBeGreaterThan(0.15 * REQUESTS);
    expect(r.counts['fail:ok']).toBeGreaterThan(0.05 * REQUESTS);
    // Most mid-stream aborts interrupt the stream; one whose remaining chunks had already arrived in the same read ends normally.
    expect(r.counts['abort:aborted']).toBeGreaterThan(0.02 * REQUESTS);
    expect(r.counts['break:ok']).toBeGreaterThan(0.02 * REQUESTS);
    // A request finding both breakers half-open with their probe out (or one so and the other held)
    // fails at once with NoRouteError, by design; the failures make the breakers trip now and then.
    const noRoute = Object.entries(r.counts).reduce((n, [key, v]) => (key.endsWith(':no_route') ? n + v : n), 0);
    expect(noRoute, 'NoRouteErrors').toBeLessThan(0.05 * REQUESTS);
    // Budgets: every reservation settled or released.
    expect(r.reserved).toBe(0);
    expect(r.storeReservations).toBe(0);
    expect(r.spent).toBeGreaterThan(0);
    expect(Object.values(r.inFlight).every((n) => n === 0), JSON.stringify(r.inFlight)).toBe(true);

    // Heap flat after the warm-up.
    expect(growth, `heap grew ${(growth / MB).toFixed(2)} MB`).toBeLessThan(Math.max(10 * MB, 0.2 * r.heapStart));
    // Handles: after close, no more sockets or timers than before the gateway existed.
    // (clientSockets and timers count unref'd ones too: idle keep-alive sockets, the gateway's timers.)
    expect(r.resourcesAfterClose, 'active resources after close').toEqual(r.beforeGateway);
    expect(r.resourcesAfterClose.clientSockets).toBe(0);
    expect(r.resourcesAfterClose.timers).toBe(0);
    // While open, the pool holds at most one socket per request in flight (no growth over the soak).
    expect(r.resourcesEnd.clientSockets).toBeLessThanOrEqual(CONCURRENCY);
    expect(r.resourcesEnd.timers).toBeLessThanOrEqual(r.resourcesStart.timers ?? 0);
    await server.waitForNoSockets();
  }, 120_000);
});
