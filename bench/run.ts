/**
 * Side-by-side benchmark of modelmux against raw fetch, raw node:http, the openai SDK, the
 * Anthropic SDK and the Vercel AI SDK, against a loopback mock provider in its own process that
 * speaks the OpenAI and the Anthropic wire formats.
 *
 * 1. check every client's answers (non-stream, burst stream, paced stream);
 * 2. bundle sizes of minimal uses (bundle-size.ts), while heap growth over 5,000 requests runs in
 *    one child process per client (heap.ts; in --quick, the plain and the routed modelmux rows);
 * 3. cold import times in fresh processes (cold-import.ts);
 * 4. interleaved rounds: every round visits every client for each metric, in rotated order, so
 *    machine noise lands on all of them alike; then the answers are checked again.
 *
 *   npm run bench            # default, several minutes
 *   npm run bench -- --quick # about a minute (smoke run: few samples, noisy)
 *
 * Writes bench/results/latest.md and latest.json (report.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MINIMAL_USES, measureBundle } from './bundle-size.js';
import { CLIENTS } from './clients/index.js';
import type { BenchClient, StreamMode } from './clients/types.js';
import { coldImportAll } from './cold-import.js';
import { measureHeap } from './heap.js';
import { concurrent, sequential } from './measure.js';
import { startMock, stopMock } from './mock-process.js';
import { report, type Results, type Row } from './report.js';
import { tokens, wireEvents } from './wire.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.argv.includes('--quick');

const CONFIG = {
  quick: QUICK,
  chunks: 64,
  paceMs: 1,
  inFlight: 32,
  rounds: QUICK ? 3 : 12,
  // per client per round: at most `n` operations, at most `ms` milliseconds
  latency: QUICK ? { n: 200, ms: 600 } : { n: 800, ms: 4_000 },
  throughput: QUICK ? { n: 400, ms: 800 } : { n: 2_000, ms: 6_000 },
  burst: QUICK ? { n: 25, ms: 400 } : { n: 150, ms: 3_000 },
  paced: QUICK ? { n: 4, ms: 400 } : { n: 30, ms: 5_000 },
  warmup: { requests: QUICK ? 200 : 800, concurrent: 320, burst: 20, paced: 3 },
  heap: { requests: 5_000, all: !QUICK },
  importRuns: QUICK ? 5 : 21,
  blockTimeoutMs: 20_000,
  runTimeoutMs: QUICK ? 240_000 : 1_800_000,
} as const;

const EXPECTED_TEXT = tokens(CONFIG.chunks).join('');
/** The heap rows of --quick (the full run measures every client): the ones the target is about. */
const QUICK_HEAP = ['modelmux', 'modelmux (routed + budget + hooks)'];

// ---------------------------------------------------------------- clients

async function loadClients(origin: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const spec of CLIENTS) {
    const row: Row = { name: spec.name, status: 'unavailable', blocks: { latency: [], throughput: [], burst: [], paced: [] } };
    try {
      row.client = await spec.load(origin);
      row.status = 'ok';
    } catch (err) {
      row.note = `does not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    }
    rows.push(row);
  }
  return rows;
}

// ---------------------------------------------------------------- checks and operations

function checkText(what: string, text: string): void {
  if (text !== EXPECTED_TEXT) throw new Error(`${what}: wrong content (${JSON.stringify(text.slice(0, 40))}…)`);
}

const nonStreamOp = (c: BenchClient) => async () => {
  checkText('non-stream', await c.nonStream());
  return 1;
};

/** Counts the events on the wire (the format's), so CPU per chunk compares across clients. */
const streamOp = (c: BenchClient, mode: StreamMode) => {
  const expected = c.expectedChunks(CONFIG.chunks);
  const events = wireEvents(c.format, CONFIG.chunks);
  return async () => {
    const r = await c.stream(mode);
    checkText(`${mode} stream`, r.text);
    if (r.chunks !== expected) throw new Error(`${mode} stream: ${r.chunks} chunks, expected ${expected}`);
    return events;
  };
};

async function check(row: Row): Promise<void> {
  const c = row.client!;
  await nonStreamOp(c)();
  await streamOp(c, 'burst')();
  await streamOp(c, 'paced')();
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Runs `fn` for every healthy row; an error marks the row FAILED and drops it from later steps. */
async function eachHealthy(rows: Row[], rotate: number, what: string, fn: (row: Row) => Promise<void>): Promise<void> {
  const healthy = rows.filter((r) => r.status === 'ok');
  const order = healthy.map((_, i) => healthy[(i + rotate) % healthy.length]!);
  for (const row of order) {
    try {
      await withTimeout(fn(row), CONFIG.blockTimeoutMs, `${row.name} ${what}`);
    } catch (err) {
      row.status = 'FAILED';
      row.note = `${what}: ${err instanceof Error ? err.message : String(err)}`;
      console.error(`  ${row.name}: FAILED (${row.note})`);
    }
  }
}

// ---------------------------------------------------------------- phases

async function bundles(): Promise<Results['bundles']> {
  const out: Results['bundles'] = [];
  for (const use of MINIMAL_USES) {
    try {
      out.push({ name: use.name, report: await measureBundle(use.entry, 'browser') });
    } catch (err) {
      out.push({ name: use.name, error: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
    }
  }
  return out;
}

async function heap(origin: string, rows: Row[]): Promise<Results['heap']> {
  const names = rows
    .filter((r) => r.status === 'ok')
    .filter((r) => CONFIG.heap.all || QUICK_HEAP.includes(r.name))
    .map((r) => r.name);
  return measureHeap(origin, names, CONFIG.heap.requests);
}

async function rounds(rows: Row[]): Promise<void> {
  const w = CONFIG.warmup;
  console.error('warm-up…');
  await eachHealthy(rows, 0, 'warm-up', async ({ client: c }) => {
    await sequential(nonStreamOp(c!), w.requests, 10_000);
    await concurrent(nonStreamOp(c!), w.concurrent, CONFIG.inFlight, 10_000);
    await sequential(streamOp(c!, 'burst'), w.burst, 10_000);
    await sequential(streamOp(c!, 'paced'), w.paced, 10_000);
  });
  for (let r = 0; r < CONFIG.rounds; r++) {
    console.error(`round ${r + 1}/${CONFIG.rounds}`);
    await eachHealthy(rows, r, 'latency', async (row) => {
      row.blocks.latency.push(await sequential(nonStreamOp(row.client!), CONFIG.latency.n, CONFIG.latency.ms));
    });
    await eachHealthy(rows, r, 'throughput', async (row) => {
      const { n, ms } = CONFIG.throughput;
      row.blocks.throughput.push(await concurrent(nonStreamOp(row.client!), n, CONFIG.inFlight, ms));
    });
    await eachHealthy(rows, r, 'burst stream', async (row) => {
      row.blocks.burst.push(await sequential(streamOp(row.client!, 'burst'), CONFIG.burst.n, CONFIG.burst.ms));
    });
    await eachHealthy(rows, r, 'paced stream', async (row) => {
      row.blocks.paced.push(await sequential(streamOp(row.client!, 'paced'), CONFIG.paced.n, CONFIG.paced.ms));
    });
  }
  console.error('check after…');
  await eachHealthy(rows, 0, 'check after', check);
  await eachHealthy(rows, 0, 'paced reads', async (row) => {
    const r = await row.client!.stream('paced');
    if (r.reads !== undefined) row.pacedReads = r.reads;
  });
}

const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench: gave up after ${CONFIG.runTimeoutMs / 1000} s`);
    stopMock();
    process.exit(2);
  }, CONFIG.runTimeoutMs);
  watchdog.unref();

  const t0 = performance.now();
  const origin = await startMock({ chunks: CONFIG.chunks, paceMs: CONFIG.paceMs });
  const rows = await loadClients(origin);
  console.error(`mock at ${origin}; clients: ${rows.map((r) => r.name + (r.status === 'ok' ? '' : ` (${r.status})`)).join(', ')}`);
  console.error('check…');
  await eachHealthy(rows, 0, 'check before', check);

  let t = performance.now();
  console.error(`bundle sizes, and heap over ${CONFIG.heap.requests} requests…`);
  const [bundleResults, heapResults] = await Promise.all([bundles(), heap(origin, rows)]);
  console.error(`  ${seconds(t)}; cold imports (${CONFIG.importRuns} runs each)…`);
  t = performance.now();
  const imports = await coldImportAll(CONFIG.importRuns);
  console.error(`  ${seconds(t)}`);
  t = performance.now();
  await rounds(rows);
  console.error(`  rounds: ${seconds(t)}`);
  for (const r of rows) await r.client?.close?.();
  stopMock();

  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    platform: `${process.platform}-${process.arch}`,
    loadavg: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
  const results: Results = { rows, bundles: bundleResults, heap: heapResults, imports };
  const { md, json } = report(results, { machine, config: CONFIG, wallSeconds: (performance.now() - t0) / 1000 });
  console.log(md);
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results/latest.md'), md);
  writeFileSync(join(HERE, 'results/latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  const failed = rows.filter((r) => r.status === 'FAILED');
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  stopMock();
  process.exit(1);
});
