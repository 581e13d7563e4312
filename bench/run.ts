/**
 * Side-by-side benchmark: raw fetch, raw node:http, the openai SDK and modelmux against a loopback
 * mock provider in its own process. One interleaved run: every round visits every client for each
 * metric, in rotated order, so machine noise lands on all of them alike.
 *
 *   npm run bench            # default, a few minutes
 *   npm run bench -- --quick # about a minute
 *
 * Writes bench/results/latest.md and latest.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { create as openaiSdk } from './clients/openai-sdk.js';
import { create as rawFetch } from './clients/raw-fetch.js';
import { create as rawHttp } from './clients/raw-http.js';
import type { BenchClient, StreamMode } from './clients/types.js';
import { type Block, concurrent, median, percentile, sequential } from './measure.js';
import { tokens } from './mock-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const QUICK = process.argv.includes('--quick');

const CONFIG = {
  chunks: 64,
  paceMs: 1,
  inFlight: 32,
  rounds: QUICK ? 5 : 12,
  // per client per round: at most `n` operations, at most `ms` milliseconds
  latency: QUICK ? { n: 400, ms: 2_000 } : { n: 800, ms: 4_000 },
  throughput: QUICK ? { n: 960, ms: 3_000 } : { n: 2_000, ms: 6_000 },
  burst: QUICK ? { n: 60, ms: 1_500 } : { n: 150, ms: 3_000 },
  paced: QUICK ? { n: 12, ms: 2_000 } : { n: 30, ms: 5_000 },
  warmup: { requests: QUICK ? 300 : 800, concurrent: 320, burst: 30, paced: 4 },
  blockTimeoutMs: 20_000,
  runTimeoutMs: QUICK ? 240_000 : 1_200_000,
} as const;

const EXPECTED_TEXT = tokens(CONFIG.chunks).join('');
const EXPECTED_CHUNKS = CONFIG.chunks + 2; // content chunks + finish chunk + usage chunk

// ---------------------------------------------------------------- mock process

let mock: ChildProcess | undefined;
const killMock = () => {
  if (mock && mock.exitCode === null && mock.signalCode === null) mock.kill('SIGTERM');
};
process.on('exit', killMock);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    killMock();
    process.exit(130);
  });
}

async function startMock(): Promise<string> {
  mock = spawn(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'mock-server.ts'), '--chunks', String(CONFIG.chunks), '--pace-ms', String(CONFIG.paceMs)],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }, // the mock exits when its stdin (our pipe) closes
  );
  const child = mock;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mock server did not start within 15 s')), 15_000);
    child.once('exit', (code) => reject(new Error(`mock server exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return `http://127.0.0.1:${port}`;
}

// ---------------------------------------------------------------- clients (modelmux only if it loads)

interface Row {
  name: string;
  status: 'ok' | 'FAILED' | 'unavailable';
  note?: string;
  client?: BenchClient;
  blocks: Record<'latency' | 'throughput' | 'burst' | 'paced', Block[]>;
  pacedReads?: number;
}

async function loadClients(origin: string): Promise<Row[]> {
  const row = (name: string, client?: BenchClient, note?: string): Row => ({
    name,
    status: client ? 'ok' : 'unavailable',
    ...(client ? { client } : {}),
    ...(note ? { note } : {}),
    blocks: { latency: [], throughput: [], burst: [], paced: [] },
  });
  const rows = [row('raw fetch', rawFetch(origin)), row('raw node:http', rawHttp(origin)), row('openai SDK', openaiSdk(origin))];
  try {
    const mm = await import('./clients/modelmux.js');
    rows.push(
      row('modelmux', mm.create(origin)),
      row('modelmux (fetch transport)', mm.create(origin, { fetchTransport: true })),
      row('modelmux (2-deployment group)', mm.create(origin, { routed: true })),
    );
  } catch (err) {
    rows.push(row('modelmux', undefined, `does not load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`));
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

const streamOp = (c: BenchClient, mode: StreamMode) => async () => {
  const r = await c.stream(mode);
  checkText(`${mode} stream`, r.text);
  if (r.chunks !== EXPECTED_CHUNKS) throw new Error(`${mode} stream: ${r.chunks} chunks, expected ${EXPECTED_CHUNKS}`);
  return r.chunks;
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

// ---------------------------------------------------------------- run

async function run(rows: Row[]): Promise<void> {
  const w = CONFIG.warmup;
  console.error('check…');
  await eachHealthy(rows, 0, 'check before', check);
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

// ---------------------------------------------------------------- report

interface Metrics {
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  reqPerSec: number;
  cpuUsPerChunkPaced: number;
  cpuUsPerChunkBurst: number;
}

const METRICS: { key: keyof Metrics; label: string; digits: number; higherIsBetter?: boolean }[] = [
  { key: 'p50Ms', label: 'p50 ms', digits: 3 },
  { key: 'p99Ms', label: 'p99 ms', digits: 3 },
  { key: 'cpuUsPerReq', label: 'CPU µs/req', digits: 1 },
  { key: 'reqPerSec', label: `req/s @${CONFIG.inFlight}`, digits: 0, higherIsBetter: true },
  { key: 'cpuUsPerChunkPaced', label: 'CPU µs/chunk paced', digits: 2 },
  { key: 'cpuUsPerChunkBurst', label: 'CPU µs/chunk burst', digits: 2 },
];

function metrics(row: Row): Metrics | undefined {
  const b = row.blocks;
  if (row.status !== 'ok' || b.latency.length === 0) return undefined;
  const lat = b.latency.flatMap((x) => x.latencies).sort((x, y) => x - y);
  const perUnit = (blocks: Block[]) => median(blocks.map((x) => x.cpuMicros / x.units));
  return {
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    cpuUsPerReq: perUnit(b.latency),
    reqPerSec: median(b.throughput.map((x) => x.ops / (x.wallMs / 1000))),
    cpuUsPerChunkPaced: perUnit(b.paced),
    cpuUsPerChunkBurst: perUnit(b.burst),
  };
}

function table(header: string[], body: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
}

function report(rows: Row[], machine: Record<string, unknown>, wallS: number): { md: string; json: unknown } {
  const m = new Map(rows.map((r) => [r.name, metrics(r)]));
  const status = (r: Row) => (r.status === 'ok' ? 'ok' : `${r.status}${r.note ? `: ${r.note}` : ''}`);
  const abs = table(
    ['client', ...METRICS.map((x) => x.label), 'status'],
    rows.map((r) => {
      const v = m.get(r.name);
      return [r.name, ...METRICS.map((x) => (v ? v[x.key].toFixed(x.digits) : '—')), status(r)];
    }),
  );
  const ratios = (base: string) => {
    const b = m.get(base);
    return table(
      ['client', ...METRICS.map((x) => x.label)],
      rows.map((r) => {
        const v = m.get(r.name);
        return [r.name, ...METRICS.map((x) => (v && b ? `${(v[x.key] / b[x.key]).toFixed(2)}×` : '—'))];
      }),
    );
  };
  const paced = rows.filter((r) => r.pacedReads !== undefined).map((r) => `${r.name}: ${r.pacedReads} reads for ${EXPECTED_CHUNKS + 1} events`);
  const md = [
    `# modelmux bench${QUICK ? ' (--quick)' : ''}`,
    '',
    `${machine.date} · Node ${machine.node} · ${machine.cpu} × ${machine.cores} · load ${machine.loadavg} · ${wallS.toFixed(0)} s`,
    '',
    `Loopback mock in its own process; ${CONFIG.chunks} content chunks per stream (+ finish + usage chunk); ` +
      `${CONFIG.rounds} interleaved rounds. Latency and CPU/req: sequential non-streaming requests; ` +
      `req/s: ${CONFIG.inFlight} in flight; CPU/chunk: process CPU (user+sys) / chunks received.`,
    '',
    abs,
    '',
    '**Ratio vs raw fetch** (req/s: >1 is better; every other column: <1 is better)',
    '',
    ratios('raw fetch'),
    '',
    '**Ratio vs raw node:http**',
    '',
    ratios('raw node:http'),
    '',
    `Paced-mode check (one event per read wanted): ${paced.join('; ') || 'n/a'}.`,
    '',
  ].join('\n');
  const json = {
    machine,
    config: { ...CONFIG, quick: QUICK },
    wallSeconds: wallS,
    clients: rows.map((r) => ({
      name: r.name,
      status: r.status,
      note: r.note,
      metrics: m.get(r.name),
      pacedReads: r.pacedReads,
      rounds: Object.fromEntries(
        Object.entries(r.blocks).map(([k, blocks]) => [k, blocks.map(({ latencies: _l, ...rest }) => rest)]),
      ),
    })),
  };
  return { md, json };
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`bench: gave up after ${CONFIG.runTimeoutMs / 1000} s`);
    killMock();
    process.exit(2);
  }, CONFIG.runTimeoutMs);
  watchdog.unref();

  const t0 = performance.now();
  const origin = await startMock();
  const rows = await loadClients(origin);
  console.error(`mock at ${origin}; clients: ${rows.map((r) => r.name + (r.status === 'ok' ? '' : ` (${r.status})`)).join(', ')}`);
  await run(rows);
  for (const r of rows) await r.client?.close?.();
  killMock();

  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    platform: `${process.platform}-${process.arch}`,
    loadavg: loadavg().map((x) => x.toFixed(2)).join(' '),
  };
  const { md, json } = report(rows, machine, (performance.now() - t0) / 1000);
  console.log(md);
  mkdirSync(join(HERE, 'results'), { recursive: true });
  writeFileSync(join(HERE, 'results/latest.md'), md);
  writeFileSync(join(HERE, 'results/latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  const failed = rows.filter((r) => r.status === 'FAILED');
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  killMock();
  process.exit(1);
});
