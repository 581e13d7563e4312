/**
 * Cold import time: a fresh `node` process per measurement, timing `await import(…)` of a package
 * with performance.now() inside the child (process start-up not included; resolution, loading,
 * compiling and evaluating the module graph included). The spawns are interleaved across targets
 * (round-robin, rotated), after one untimed spawn per target to warm the file cache. Reports the
 * median and the range.
 *
 * The "bundled" target is the esbuild bundle of bench/minimal/modelmux.ts for platform node
 * (bundle-size.ts options: minified, code splitting; the entry chunk and its static imports load).
 *
 *   tsx bench/cold-import.ts [--runs 15]   # prints the results as JSON
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MINIMAL_USES, ROOT, writeBundle } from './bundle-size.js';
import { median } from './measure.js';

export interface ImportTarget {
  name: string;
  /** Imported one after the other in the child; the time covers all of them. */
  specifiers: string[];
}

export interface ImportResult {
  name: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  runsMs: number[];
}

/** The packages as an app imports them (resolved from the project root: `modelmux` is the built dist). */
export const PACKAGE_TARGETS: ImportTarget[] = [
  { name: 'modelmux', specifiers: ['modelmux'] },
  { name: 'openai', specifiers: ['openai'] },
  { name: '@anthropic-ai/sdk', specifiers: ['@anthropic-ai/sdk'] },
  { name: 'ai + @ai-sdk/openai', specifiers: ['ai', '@ai-sdk/openai'] },
];

const CHILD = `
const t0 = performance.now();
for (const s of JSON.parse(process.argv[1])) await import(s);
process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));
`;

function importOnce(target: ImportTarget): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, JSON.stringify(target.specifiers)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`import of ${target.name} failed (${code}): ${err.trim().split('\n')[0]}`));
      resolvePromise((JSON.parse(out) as { ms: number }).ms);
    });
  });
}

/** Measures each target `runs` times in fresh processes; a target that fails is left out of the results and reported in `failed`. */
export async function coldImport(targets: ImportTarget[], runs: number): Promise<{ results: ImportResult[]; failed: Record<string, string> }> {
  const times = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const failed: Record<string, string> = {};
  const live = () => targets.filter((t) => failed[t.name] === undefined);
  for (let r = -1; r < runs; r++) {
    const order = live();
    for (let i = 0; i < order.length; i++) {
      const target = order[(i + Math.max(r, 0)) % order.length]!;
      try {
        const ms = await importOnce(target);
        if (r >= 0) times.get(target.name)!.push(ms);
      } catch (err) {
        failed[target.name] = err instanceof Error ? err.message : String(err);
      }
    }
  }
  const results = live().map((t) => {
    const runsMs = times.get(t.name)!;
    return { name: t.name, medianMs: median(runsMs), minMs: Math.min(...runsMs), maxMs: Math.max(...runsMs), runsMs };
  });
  return { results, failed };
}

/** The packages and the node bundle of modelmux's minimal use (built into a temporary folder, removed after). */
export async function coldImportAll(runs: number): Promise<{ results: ImportResult[]; failed: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'modelmux-bundled-'));
  try {
    const targets = [...PACKAGE_TARGETS];
    const failed: Record<string, string> = {};
    try {
      const entry = await writeBundle(MINIMAL_USES[0].entry, dir, 'node');
      targets.splice(1, 0, { name: 'modelmux (bundled, node)', specifiers: [pathToFileURL(entry).href] });
    } catch (err) {
      failed['modelmux (bundled, node)'] = `bundle: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    }
    const r = await coldImport(targets, runs);
    return { results: r.results, failed: { ...failed, ...r.failed } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 15;
  console.log(JSON.stringify(await coldImportAll(runs), null, 2));
}
