/**
 * The bench's report: per-client metrics from the interleaved rounds, ratios vs raw fetch and raw
 * node:http, heap growth, cold import and bundle size per package, and the issue's targets with
 * met / not met computed from the run. Markdown for people, JSON for tools.
 */
import type { BundleReport } from './bundle-size.js';
import type { BenchClient } from './clients/types.js';
import type { ImportResult } from './cold-import.js';
import { HEAP_WARMUP, type HeapResult } from './heap.js';
import { type Block, median, percentile } from './measure.js';
import { wireEvents } from './wire.js';

export interface Row {
  name: string;
  status: 'ok' | 'FAILED' | 'unavailable';
  note?: string;
  client?: BenchClient;
  blocks: Record<'latency' | 'throughput' | 'burst' | 'paced', Block[]>;
  pacedReads?: number;
}

export interface Results {
  rows: Row[];
  bundles: { name: string; report?: BundleReport; error?: string }[];
  heap: { results: HeapResult[]; failed: Record<string, string> };
  imports: { results: ImportResult[]; failed: Record<string, string> };
}

export interface RunInfo {
  machine: Record<string, unknown>;
  config: {
    quick: boolean;
    chunks: number;
    rounds: number;
    inFlight: number;
    heap: { requests: number; all: boolean };
    importRuns: number;
  };
  wallSeconds: number;
}

interface Metrics {
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  reqPerSec: number;
  cpuUsPerChunkPaced: number;
  cpuUsPerChunkBurst: number;
}

/** Row names the targets and comparisons refer to (bench/clients/index.ts). */
const RAW_FETCH = 'raw fetch';
const RAW_HTTP = 'raw node:http';
const MM = 'modelmux';
const MM_FETCH = 'modelmux (fetch transport)';
const MM_ROUTED = 'modelmux (routed + budget + hooks)';
const PAIRS = [
  ['modelmux', 'openai SDK'],
  ['modelmux', 'AI SDK (ai + @ai-sdk/openai)'],
  ['modelmux (anthropic)', 'anthropic SDK'],
] as const;

/** Packages: import target name (cold-import.ts) and minimal-use bundle name (bundle-size.ts). */
const PACKAGES = [
  { label: 'modelmux (core + openai)', importName: 'modelmux', bundleName: 'modelmux (core + openai)' },
  { label: 'modelmux, esbuild bundle (node)', importName: 'modelmux (bundled, node)', bundleName: undefined },
  { label: 'openai', importName: 'openai', bundleName: 'openai' },
  { label: '@anthropic-ai/sdk', importName: '@anthropic-ai/sdk', bundleName: '@anthropic-ai/sdk' },
  { label: 'ai + @ai-sdk/openai', importName: 'ai + @ai-sdk/openai', bundleName: 'ai + @ai-sdk/openai' },
] as const;

/**
 * Last-half heap growth (trend) that still counts as none: heapUsed after a forced GC wanders by
 * about this much between checkpoints on this machine, raw clients included. A leak of one small
 * object per request (≥ 60 bytes) shows above it.
 */
export const HEAP_TOLERANCE_BYTES = 150_000;
const KB = 1000;

const METRICS: { key: keyof Metrics; label: string; digits: number }[] = [
  { key: 'p50Ms', label: 'p50 ms', digits: 3 },
  { key: 'p99Ms', label: 'p99 ms', digits: 3 },
  { key: 'cpuUsPerReq', label: 'CPU µs/req', digits: 1 },
  { key: 'reqPerSec', label: 'req/s @32', digits: 0 },
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

const kb = (bytes: number | undefined, digits = 1) => (bytes === undefined ? '—' : (bytes / KB).toFixed(digits));
const signedKb = (bytes: number) => `${bytes >= 0 ? '+' : '−'}${Math.abs(bytes / KB).toFixed(0)}`;

interface Target {
  target: string;
  measured: string;
  met: boolean | undefined;
}

function targets(m: Map<string, Metrics | undefined>, r: Results): Target[] {
  const mm = m.get(MM);
  const rf = m.get(RAW_FETCH);
  const rh = m.get(RAW_HTTP);
  const ft = m.get(MM_FETCH);
  const rt = m.get(MM_ROUTED);
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a / b);
  const t = (target: string, value: number | undefined, show: (v: number) => string, ok: (v: number) => boolean): Target => ({
    target,
    measured: value === undefined || Number.isNaN(value) ? 'not measured' : show(value),
    met: value === undefined || Number.isNaN(value) ? undefined : ok(value),
  });
  const x = (v: number) => `${v.toFixed(2)}×`;
  const us = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(0)} µs`;
  const imp = (name: string) => r.imports.results.find((i) => i.name === name)?.medianMs;
  const mmBundle = r.bundles.find((b) => b.name === PACKAGES[0].bundleName)?.report;
  const heapOf = (name: string) => r.heap.results.find((h) => h.name === name);
  const heapRows = [MM, MM_ROUTED].map(heapOf).filter((h): h is HeapResult => h !== undefined);
  const worstHeap = heapRows.length === 0 ? undefined : Math.max(...heapRows.map((h) => h.trendGrowth));
  return [
    t('non-stream p50 ≤ 0.6× raw fetch', ratio(mm?.p50Ms, rf?.p50Ms), x, (v) => v <= 0.6),
    t('non-stream p50 ≤ 1.15× raw node:http', ratio(mm?.p50Ms, rh?.p50Ms), x, (v) => v <= 1.15),
    t('CPU ≤ 400 µs per request', mm?.cpuUsPerReq, (v) => `${v.toFixed(0)} µs`, (v) => v <= 400),
    t('throughput at 32 in flight ≥ 3× raw fetch', ratio(mm?.reqPerSec, rf?.reqPerSec), x, (v) => v >= 3),
    t('paced stream CPU per chunk ≤ 0.7× raw fetch', ratio(mm?.cpuUsPerChunkPaced, rf?.cpuUsPerChunkPaced), x, (v) => v <= 0.7),
    t(
      'burst stream CPU per chunk ≤ raw fetch + 3 µs',
      mm && rf ? mm.cpuUsPerChunkBurst - rf.cpuUsPerChunkBurst : undefined,
      (v) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} µs`,
      (v) => v <= 3,
    ),
    t('fetch transport: p50 ≤ raw fetch + 50 µs', ft && rf ? (ft.p50Ms - rf.p50Ms) * 1000 : undefined, us, (v) => v <= 50),
    t('routing, budgets and hooks on: p50 ≤ plain + 20 µs', rt && mm ? (rt.p50Ms - mm.p50Ms) * 1000 : undefined, us, (v) => v <= 20),
    t('import ≤ 20 ms', imp('modelmux'), (v) => `${v.toFixed(1)} ms`, (v) => v <= 20),
    t('import ≤ 5 ms bundled', imp('modelmux (bundled, node)'), (v) => `${v.toFixed(1)} ms`, (v) => v <= 5),
    t('core + OpenAI adapter ≤ 15 kB gzip (eager)', mmBundle?.eager.gzipBytes, (v) => `${kb(v)} kB`, (v) => v <= 15 * KB),
    t(
      `no heap growth over the last half of ${r.heap.results[0]?.requests ?? 5000} requests (trend ≤ ${kb(HEAP_TOLERANCE_BYTES, 0)} kB)`,
      worstHeap,
      (v) => `${signedKb(v)} kB (${heapRows.map((h) => h.name).join(', ')})`,
      (v) => v <= HEAP_TOLERANCE_BYTES,
    ),
  ];
}

export function report(r: Results, info: RunInfo): { md: string; json: unknown } {
  const { rows } = r;
  const { config, machine } = info;
  const m = new Map(rows.map((row) => [row.name, metrics(row)]));
  const status = (row: Row) => (row.status === 'ok' ? 'ok' : `${row.status}${row.note ? `: ${row.note}` : ''}`);

  const abs = table(
    ['client', ...METRICS.map((x) => x.label), 'status'],
    rows.map((row) => {
      const v = m.get(row.name);
      return [row.name, ...METRICS.map((x) => (v ? v[x.key].toFixed(x.digits) : '—')), status(row)];
    }),
  );
  const ratioRow = (name: string, base: string) => {
    const v = m.get(name);
    const b = m.get(base);
    return METRICS.map((x) => (v && b ? `${(v[x.key] / b[x.key]).toFixed(2)}×` : '—'));
  };
  const ratios = (base: string) =>
    table(
      ['client', ...METRICS.map((x) => x.label)],
      rows.map((row) => [row.name, ...ratioRow(row.name, base)]),
    );
  const pairs = table(
    ['modelmux row / SDK row', ...METRICS.map((x) => x.label)],
    PAIRS.map(([a, b]) => [`${a} / ${b}`, ...ratioRow(a, b)]),
  );

  const heapTable = table(
    ['client', 'heap after warm-up MB', 'Δ first half kB', 'Δ last half kB', 'last-half trend kB', 'trend B/req'],
    r.heap.results.map((h) => [
      h.name,
      (h.warmBytes / 1e6).toFixed(1),
      signedKb(h.firstHalfGrowth),
      signedKb(h.lastHalfGrowth),
      signedKb(h.trendGrowth),
      h.bytesPerRequest.toFixed(1),
    ]),
  );

  const packages = table(
    ['package', 'import ms (median)', 'import ms (min–max)', 'eager min kB', 'eager gzip kB', 'total gzip kB', 'chunks eager/total'],
    PACKAGES.map((p) => {
      const i = r.imports.results.find((x) => x.name === p.importName);
      const b = p.bundleName === undefined ? undefined : r.bundles.find((x) => x.name === p.bundleName)?.report;
      return [
        p.label,
        i ? i.medianMs.toFixed(1) : '—',
        i ? `${i.minMs.toFixed(1)}–${i.maxMs.toFixed(1)}` : '—',
        kb(b?.eager.minBytes),
        kb(b?.eager.gzipBytes),
        kb(b?.total.gzipBytes),
        b ? `${b.eager.chunks}/${b.total.chunks}` : '—',
      ];
    }),
  );
  const mmBundle = r.bundles.find((b) => b.name === PACKAGES[0].bundleName)?.report;
  const topInputs = mmBundle
    ? mmBundle.topInputs
        .slice(0, 10)
        .map((x) => `\`${x.path}\` ${kb(x.bytes)}`)
        .join(' · ')
    : 'n/a';

  const goals = targets(m, r);
  const goalTable = table(
    ['target (issue 7)', 'measured', 'met'],
    goals.map((g) => [g.target, g.measured, g.met === undefined ? '—' : g.met ? 'met' : '**not met**']),
  );

  const failures = [
    ...Object.entries(r.heap.failed).map(([k, v]) => `heap ${k}: ${v}`),
    ...Object.entries(r.imports.failed).map(([k, v]) => `import ${k}: ${v}`),
    ...r.bundles.filter((b) => b.error).map((b) => `bundle ${b.name}: ${b.error}`),
  ];
  const paced = rows.filter((row) => row.pacedReads !== undefined).map((row) => `${row.name}: ${row.pacedReads} reads for ${config.chunks + 3} events`);

  const md = [
    `# modelmux bench${config.quick ? ' (--quick)' : ''}`,
    '',
    `${machine.date} · Node ${machine.node} · ${machine.cpu} × ${machine.cores} · load ${machine.loadavg} · ${info.wallSeconds.toFixed(0)} s`,
    '',
    `Loopback mock in its own process, speaking OpenAI Chat Completions and Anthropic Messages; ${config.chunks} content ` +
      `pieces per answer; ${config.rounds} interleaved rounds. Latency and CPU/req: sequential non-streaming requests; ` +
      `req/s: ${config.inFlight} in flight; CPU/chunk: process CPU (user+sys) per event on the wire ` +
      `(OpenAI ${wireEvents('openai', config.chunks)}, Anthropic ${wireEvents('anthropic', config.chunks)} per stream), ` +
      'burst = one write per stream, paced = one event per write, 1 ms apart. Every answer is checked. ' +
      'The Anthropic SDK and `modelmux (anthropic)` rows use the Messages endpoint; the others, /chat/completions.',
    '',
    abs,
    '',
    '**Ratio vs raw fetch** (req/s: >1 is better; every other column: <1 is better)',
    '',
    ratios(RAW_FETCH),
    '',
    '**Ratio vs raw node:http**',
    '',
    ratios(RAW_HTTP),
    '',
    '**modelmux vs the SDKs**, same wire format',
    '',
    pairs,
    '',
    `**Heap** (heapUsed after a forced GC, child process per client): after ${HEAP_WARMUP} requests of warm-up, then ${config.heap.requests} ` +
      'requests (every tenth a burst stream) with ten checkpoints; trend = Theil–Sen slope of the last six checkpoints × 2,500 requests.',
    '',
    heapTable,
    '',
    `**Packages**: cold import = \`await import()\` timed inside a fresh \`node\` (median of ${config.importRuns}, interleaved); ` +
      'size = esbuild bundle of a minimal use (bench/minimal/), platform browser, minified, code splitting, gzip per chunk; ' +
      'eager = the entry chunk and its static imports, total = with the lazy chunks.',
    '',
    packages,
    '',
    `Largest sources in modelmux's eager bundle (minified kB, via source maps): ${topInputs}.`,
    '',
    '**Targets**',
    '',
    goalTable,
    '',
    `Paced-mode check (one event per read wanted): ${paced.join('; ') || 'n/a'}.`,
    ...(failures.length > 0 ? ['', `Not measured: ${failures.join('; ')}.`] : []),
    '',
  ].join('\n');

  const json = {
    machine,
    config,
    wallSeconds: info.wallSeconds,
    clients: rows.map((row) => ({
      name: row.name,
      status: row.status,
      note: row.note,
      metrics: m.get(row.name),
      pacedReads: row.pacedReads,
      rounds: Object.fromEntries(Object.entries(row.blocks).map(([k, blocks]) => [k, blocks.map(({ latencies: _l, ...rest }) => rest)])),
    })),
    heap: r.heap,
    imports: r.imports,
    bundles: r.bundles.map((b) => (b.report ? { name: b.name, ...b.report, topInputs: b.report.topInputs.slice(0, 20) } : b)),
    targets: goals,
  };
  return { md, json };
}
