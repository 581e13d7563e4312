/**
 * Vitest globalSetup: builds dist/ with tsup when dist/index.js or dist/edge.js is missing or
 * older than the newest file under src/, so the tests of the built package (test/package,
 * test/runtimes) work on a fresh clone. In CI, where `npm run build` ran first, it does nothing.
 * A lock directory keeps two concurrent test runs from building over each other.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const outputs = ['index.js', 'edge.js'].map((file) => join(root, 'dist', file));
const lock = join(root, 'node_modules', '.cache', 'modelmux-global-build.lock');
const LOCK_STALE_MS = 5 * 60_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  if (!outputs.every((file) => existsSync(file))) return true;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  return built < newestMtime(join(root, 'src'));
}

async function acquireLock(): Promise<void> {
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      // Left behind by a killed run.
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
    } catch {
      // Released meanwhile.
    }
    await sleep(200);
  }
}

export default async function setup(): Promise<void> {
  if (!isStale()) return;
  await acquireLock();
  try {
    if (!isStale()) return; // Another run built it while we waited.
    const started = performance.now();
    const startedAt = Date.now() - 1000; // mtime granularity
    try {
      await promisify(execFile)('npx', ['tsup', '--silent'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 5 * 60_000,
        shell: process.platform === 'win32',
      });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      const output = `${stdout}${stderr}`.trim();
      // A failed declaration build (a type error) still writes the JS the tests run: go on, say so.
      const written = outputs.every((file) => existsSync(file) && statSync(file).mtimeMs >= startedAt);
      if (!written) throw new Error(`test/global-build.ts: \`npx tsup\` failed (dist/ is missing or older than src/)\n${output}`);
      console.warn(`[global-build] tsup failed after writing the JS of dist/ (the tests run it):\n${output.slice(0, 2000)}`);
      return;
    }
    console.log(`[global-build] dist/ was missing or older than src/: rebuilt with tsup in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
