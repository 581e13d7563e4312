import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completion, type Loopback, sendJson, startLoopback } from '../helpers/loopback.js';

const root = resolve(import.meta.dirname, '../..');
const dist = join(root, 'dist');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let server: Loopback;
beforeAll(async () => {
  // Build when dist is missing or older than src (CI builds before testing; a fresh checkout may not have).
  const built = join(dist, 'index.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestSource(join(root, 'src'))) {
    execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore' });
  }
  server = await startLoopback();
  server.handle((_req, res) => sendJson(res, 200, completion('from the built package')));
}, 120_000);
afterAll(() => server.close());

// Asynchronous: the loopback server answering the child lives in this process.
async function runNode(args: string[], code: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [...args, '-e', code], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, BASE_URL: server.baseURL },
  });
  return stdout.trim();
}

const program = (load: string) => `
${load}
const mux = m.createGateway({ providers: { local: m.openaiCompatible({ name: 'local', baseURL: process.env.BASE_URL }) } });
mux.chat.completions.create({ model: 'local/m', messages: [{ role: 'user', content: 'hi' }] })
  .then((r) => { console.log(r.provider + ':' + r.choices[0].message.content); mux.close(); })
  .catch((e) => { console.error(e); process.exit(1); });`;

describe('the built package', () => {
  it('imports as ESM by its own name (node condition) and answers', async () => {
    const out = await runNode(['--input-type=module'], program(`const m = await import('modelmux');`));
    expect(out).toBe('local:from the built package');
  });

  it('requires as CJS by its own name and answers', async () => {
    const out = await runNode([], program(`const m = require('modelmux');`));
    expect(out).toBe('local:from the built package');
  });

  it('the edge build answers through fetch', async () => {
    const out = await runNode(['--input-type=module'], program(`const m = await import(${JSON.stringify(join(dist, 'edge.js'))});`));
    expect(out).toBe('local:from the built package');
  });

  it('the edge build imports no node: module, directly or through its chunks', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      expect(source, file).not.toMatch(/from\s*["']node:|import\(\s*["']node:|require\(\s*["']node:/);
      for (const match of source.matchAll(/from\s*["'](\.\/[^"']+)["']/g)) visit(join(dirname(file), match[1]!));
    };
    visit(join(dist, 'edge.js'));
    expect(seen.size).toBeGreaterThan(1);
  });

  it('the package.json exports map selects the node transport only under the node condition (Bun takes the fetch one)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, { import: { default: string } }>>;
      sideEffects: boolean;
    };
    // Bun also matches `node`, so its own condition must come first.
    expect(Object.keys(pkg.exports['.']!).slice(0, 2)).toEqual(['bun', 'node']);
    expect(pkg.exports['.']!.bun!.import.default).toBe('./dist/edge.js');
    expect(pkg.exports['.']!.node!.import.default).toBe('./dist/index.js');
    expect(pkg.sideEffects).toBe(false);
  });
});
