/** Timers, CPU accounting and percentiles for the benchmark. Every loop is bounded by count and time. */
import { cpuUsage } from 'node:process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const now = (): number => performance.now();

/** Process CPU (user + system, all threads) in microseconds since an arbitrary origin. */
export function cpuMicros(): number {
  const u = cpuUsage();
  return u.user + u.system;
}

/** Nearest-rank percentile of an ascending-sorted array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

// A full GC between blocks so one client's garbage is not collected on another's clock.
setFlagsFromString('--expose-gc');
const gcFn = runInNewContext('gc') as (() => void) | undefined;
export function collectGarbage(): void {
  gcFn?.();
}

export interface Block {
  /** Operations completed. */
  ops: number;
  /** Units counted by the operations (requests, or chunks for streams). */
  units: number;
  wallMs: number;
  cpuMicros: number;
  /** Per-operation latencies (ms), only for sequential blocks. */
  latencies: number[];
}

/** Runs `op` sequentially up to `count` times or until `maxMs` has passed. `op` returns its units. */
export async function sequential(op: () => Promise<number>, count: number, maxMs: number): Promise<Block> {
  collectGarbage();
  const latencies: number[] = [];
  let units = 0;
  const c0 = cpuMicros();
  const t0 = now();
  const deadline = t0 + maxMs;
  let t = t0;
  while (latencies.length < count && t < deadline) {
    const u = await op();
    const t1 = now();
    units += u;
    latencies.push(t1 - t);
    t = t1;
  }
  return { ops: latencies.length, units, wallMs: now() - t0, cpuMicros: cpuMicros() - c0, latencies };
}

/** Runs `op` `count` times with `inFlight` concurrent, stopping early (no new starts) after `maxMs`. */
export async function concurrent(op: () => Promise<number>, count: number, inFlight: number, maxMs: number): Promise<Block> {
  collectGarbage();
  let started = 0;
  let ops = 0;
  let units = 0;
  const c0 = cpuMicros();
  const t0 = now();
  const deadline = t0 + maxMs;
  const worker = async () => {
    while (started < count && now() < deadline) {
      started++;
      const u = await op(); // not `units += await op()`: that reads `units` before the await
      units += u;
      ops++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { ops, units, wallMs: now() - t0, cpuMicros: cpuMicros() - c0, latencies: [] };
}
