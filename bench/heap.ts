/**
 * Heap growth over many requests, one child process per client (`node --expose-gc`), against the
 * running mock. The child warms up (5,000 requests: optimized code and caches settle), forces a
 * full GC and reads heapUsed, then sends requests one after the other (every tenth a burst
 * stream, the rest non-streaming, each answer checked) and reads heapUsed after a forced GC at ten
 * checkpoints. Growth over the last half is what a leak shows (the first half also holds one-time
 * growth: caches, compiled code, pools); it is reported as end minus half and as the trend of the
 * last half's six checkpoints (Theil–Sen: the median of the pairwise slopes), which is robust to
 * the ±150 kB that a forced GC's heapUsed wanders by between checkpoints, even for a raw client.
 *
 * Parent:  measureHeap(origin, names, requests) → one HeapResult per client
 * Child:   node --expose-gc --import tsx bench/heap.ts --client <name> --origin <url> --requests N
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CLIENTS } from './clients/index.js';
import type { BenchClient } from './clients/types.js';
import { median } from './measure.js';
import { tokens } from './wire.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Requests before the first reading. */
export const HEAP_WARMUP = 5_000;
const STREAM_EVERY = 10;
const CHECKPOINTS = 10;

export interface HeapResult {
  name: string;
  requests: number;
  /** heapUsed (bytes) after a forced GC: after warm-up, at the half, at the end. */
  warmBytes: number;
  halfBytes: number;
  endBytes: number;
  firstHalfGrowth: number;
  lastHalfGrowth: number;
  /** Theil–Sen slope of heapUsed over the last half's checkpoints, bytes per request. */
  bytesPerRequest: number;
  /** That slope over the last half's requests: the growth with a spike at one checkpoint ignored. */
  trendGrowth: number;
  /** heapUsed after a forced GC at each checkpoint (every `requests / CHECKPOINTS` requests). */
  samples: number[];
}

// ---------------------------------------------------------------- parent

function runChild(origin: string, name: string, requests: number, timeoutMs: number): Promise<HeapResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(HERE, 'heap.ts'), '--client', name, '--origin', origin, '--requests', String(requests)],
      { cwd: join(HERE, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(signal ? `killed after ${timeoutMs} ms` : err.trim().split('\n').slice(-1)[0] || `exit ${code}`));
      resolvePromise(JSON.parse(out.trim().split('\n').pop()!) as HeapResult);
    });
  });
}

/**
 * One child per client, `parallel` at a time (heap sizes do not depend on timing); a failing
 * client is reported in `failed`. Results keep the order of `names`.
 */
export async function measureHeap(
  origin: string,
  names: string[],
  requests: number,
  { parallel = 2, timeoutMs = 180_000 } = {},
): Promise<{ results: HeapResult[]; failed: Record<string, string> }> {
  const results = new Map<string, HeapResult>();
  const failed: Record<string, string> = {};
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      try {
        results.set(name, await runChild(origin, name, requests, timeoutMs));
      } catch (err) {
        failed[name] = err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, names.length) }, worker));
  return { results: names.flatMap((n) => results.get(n) ?? []), failed };
}

// ---------------------------------------------------------------- child

async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  // Let pending callbacks (socket reuse, settled reservations) run, then collect until stable.
  for (let i = 0; i < 3; i++) {
    await tick();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/** Theil–Sen slope of equally spaced samples (per step): the median of the pairwise slopes. */
function robustSlope(ys: number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < ys.length; i++) for (let j = i + 1; j < ys.length; j++) slopes.push((ys[j]! - ys[i]!) / (j - i));
  return median(slopes);
}

async function requestsOf(client: BenchClient, count: number, chunks: number): Promise<void> {
  const expected = tokens(chunks).join('');
  for (let i = 0; i < count; i++) {
    if (i % STREAM_EVERY === STREAM_EVERY - 1) {
      const r = await client.stream('burst');
      if (r.text !== expected || r.chunks !== client.expectedChunks(chunks)) throw new Error(`wrong stream at request ${i}`);
    } else if ((await client.nonStream()) !== expected) throw new Error(`wrong answer at request ${i}`);
  }
}

async function child(): Promise<void> {
  const arg = (k: string) => process.argv[process.argv.indexOf(`--${k}`) + 1]!;
  const name = arg('client');
  const requests = Number(arg('requests'));
  const chunks = process.argv.includes('--chunks') ? Number(arg('chunks')) : 64;
  const spec = CLIENTS.find((c) => c.name === name);
  if (!spec) throw new Error(`no client ${name}`);
  const client = await spec.load(arg('origin'));
  await requestsOf(client, HEAP_WARMUP, chunks);
  const warmBytes = await heapAfterGc();
  const samples: number[] = [];
  for (let i = 1; i <= CHECKPOINTS; i++) {
    await requestsOf(client, requests / CHECKPOINTS, chunks);
    samples.push(await heapAfterGc());
  }
  const halfBytes = samples[CHECKPOINTS / 2 - 1]!;
  const endBytes = samples[CHECKPOINTS - 1]!;
  const slope = robustSlope(samples.slice(CHECKPOINTS / 2 - 1)) / (requests / CHECKPOINTS);
  await client.close?.();
  const result: HeapResult = {
    name,
    requests,
    warmBytes,
    halfBytes,
    endBytes,
    firstHalfGrowth: halfBytes - warmBytes,
    lastHalfGrowth: endBytes - halfBytes,
    bytesPerRequest: slope,
    trendGrowth: slope * (requests / 2),
    samples,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  child().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
