/**
 * Bundle size of a minimal use (bench/minimal/*.ts): esbuild, bundle, minify, ESM, code splitting,
 * so dynamic imports (modelmux's price catalog) stay in their own chunks. Reports the EAGER code
 * (the entry chunk and every chunk it imports statically, transitively: what loads before the
 * first line of the app runs) and the TOTAL (every chunk, lazy ones included), minified and gzip
 * (zlib default level, each chunk compressed on its own, as a server sends it). Also:
 *
 * - the source files contributing most to the eager code, through the input source maps (dist
 *   ships them), so a dist chunk is charged back to src/… and node_modules/… files;
 * - node built-ins (`node:*`, `fs`, …) imported by the eager code: kept external, so a browser
 *   bundle that needs one is reported rather than failing to build.
 *
 * Used by run.ts, cold-import.ts (the bundled import) and scripts/check-size.ts.
 *
 *   tsx bench/bundle-size.ts [--platform node] [entry.ts …]   # prints the reports as JSON
 */
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile, type OutputFile, type Plugin } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..');

/** The minimal uses measured by the bench, by package (entries in bench/minimal/). */
export const MINIMAL_USES = [
  { name: 'modelmux (core + openai)', entry: join(HERE, 'minimal/modelmux.ts') },
  { name: 'openai', entry: join(HERE, 'minimal/openai-sdk.ts') },
  { name: '@anthropic-ai/sdk', entry: join(HERE, 'minimal/anthropic-sdk.ts') },
  { name: 'ai + @ai-sdk/openai', entry: join(HERE, 'minimal/ai-sdk.ts') },
] as const;

export type Platform = 'browser' | 'node';

export interface ChunkSize {
  file: string;
  eager: boolean;
  minBytes: number;
  gzipBytes: number;
}

export interface BundleReport {
  entry: string;
  platform: Platform;
  eager: { minBytes: number; gzipBytes: number; chunks: number };
  total: { minBytes: number; gzipBytes: number; chunks: number };
  chunks: ChunkSize[];
  /** Source files by minified bytes in the eager code, largest first. */
  topInputs: { path: string; bytes: number }[];
  /** Node built-ins imported by the eager code (statically or dynamically). */
  nodeImports: string[];
}

const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const isBuiltin = (path: string) => path.startsWith('node:') || BUILTINS.has(path) || BUILTINS.has(path.split('/')[0]!);

/** Keeps node built-ins external on every platform, so they can be found in the metafile. */
const externalBuiltins: Plugin = {
  name: 'external-builtins',
  setup(b) {
    b.onResolve({ filter: /^[a-z:_/]+$/ }, (args) => (isBuiltin(args.path) ? { path: args.path, external: true } : undefined));
  },
};

function options(entry: string, platform: Platform): BuildOptions {
  return {
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    splitting: true,
    format: 'esm',
    platform,
    target: 'es2022',
    plugins: [externalBuiltins],
    // `sideEffects: false` makes esbuild warn about dist's bare chunk imports; not our concern here.
    logLevel: 'silent',
    legalComments: 'none',
  };
}

/** The output file of `entry` itself. */
function entryOutput(outputs: Metafile['outputs'], entry: string): string {
  const input = relative(ROOT, entry);
  const key = Object.keys(outputs).find((k) => outputs[k]!.entryPoint === input);
  if (key === undefined) throw new Error(`no output for ${input}`);
  return key;
}

/** Bundles `entry` in memory and measures it. */
export async function measureBundle(entry: string, platform: Platform = 'browser'): Promise<BundleReport> {
  const outdir = join(ROOT, '.bundle-size-out'); // never written (write: false)
  const result = await build({ ...options(entry, platform), outdir, write: false, metafile: true, sourcemap: 'external' });
  const files = new Map<string, OutputFile>(result.outputFiles.map((f) => [relative(ROOT, f.path), f]));
  const outputs = result.metafile.outputs;

  // The eager set: from the entry chunk along static imports.
  // (With splitting, every dynamically imported module is an entry point of the metafile too.)
  const entryKey = entryOutput(outputs, entry);
  const eager = new Set<string>();
  const visit = (key: string) => {
    if (eager.has(key) || outputs[key] === undefined) return;
    eager.add(key);
    for (const imp of outputs[key]!.imports) if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
  };
  visit(entryKey);

  const chunks: ChunkSize[] = Object.keys(outputs)
    .filter((k) => k.endsWith('.js'))
    .map((k) => {
      const bytes = files.get(k)!.contents;
      return { file: k, eager: eager.has(k), minBytes: bytes.length, gzipBytes: gzipSync(bytes).length };
    });
  const sum = (list: ChunkSize[]) => ({
    minBytes: list.reduce((s, c) => s + c.minBytes, 0),
    gzipBytes: list.reduce((s, c) => s + c.gzipBytes, 0),
    chunks: list.length,
  });

  const contributions = new Map<string, number>();
  for (const key of eager) {
    const map = files.get(`${key}.map`);
    const code = files.get(key)!;
    if (map) attribute(code.text, JSON.parse(map.text) as SourceMap, dirname(join(ROOT, key)), contributions);
  }
  const topInputs = [...contributions]
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => b.bytes - a.bytes);

  const nodeImports = new Set<string>();
  for (const key of eager) for (const imp of outputs[key]!.imports) if (imp.external && isBuiltin(imp.path)) nodeImports.add(imp.path);

  return {
    entry: relative(ROOT, entry),
    platform,
    eager: sum(chunks.filter((c) => c.eager)),
    total: sum(chunks),
    chunks,
    topInputs,
    nodeImports: [...nodeImports].sort(),
  };
}

/** Bundles `entry` to `outdir` as `.mjs` files (same options); returns the entry file's path. */
export async function writeBundle(entry: string, outdir: string, platform: Platform): Promise<string> {
  const result = await build({ ...options(entry, platform), outdir, outExtension: { '.js': '.mjs' }, metafile: true });
  return resolve(ROOT, entryOutput(result.metafile.outputs, entry));
}

// ---------------------------------------------------------------- source map attribution

interface SourceMap {
  sources: string[];
  mappings: string;
}

const B64 = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** Decodes one segment's base64 VLQ fields. */
function decodeSegment(segment: string): number[] {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = B64.get(ch)!;
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
}

/**
 * Charges every generated byte to the source of the mapping segment it falls under (the span from a
 * segment to the next, or to the line's end), adding into `into` by path relative to ROOT.
 */
function attribute(code: string, map: SourceMap, mapDir: string, into: Map<string, number>): void {
  const lines = code.split('\n');
  const names = map.sources.map((s) => relative(ROOT, resolve(mapDir, s)).replace(/^(\.\.\/)+/, ''));
  let source = 0;
  map.mappings.split(';').forEach((line, i) => {
    const length = lines[i]?.length ?? 0;
    let column = 0;
    const segments: { column: number; source: number | undefined }[] = [];
    for (const seg of line.split(',')) {
      if (seg === '') continue;
      const f = decodeSegment(seg);
      column += f[0]!;
      if (f.length >= 4) source += f[1]!;
      segments.push({ column, source: f.length >= 4 ? source : undefined });
    }
    segments.forEach((s, j) => {
      const end = segments[j + 1]?.column ?? length;
      const name = s.source === undefined ? '(generated)' : (names[s.source] ?? '(unknown)');
      into.set(name, (into.get(name) ?? 0) + Math.max(0, end - s.column));
    });
  });
}

// ---------------------------------------------------------------- CLI

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const p = args.indexOf('--platform');
  const platform = (p >= 0 ? args.splice(p, 2)[1] : 'browser') as Platform;
  const entries = args.length > 0 ? args.map((a) => resolve(a)) : MINIMAL_USES.map((u) => u.entry);
  for (const entry of entries) {
    const r = await measureBundle(entry, platform);
    console.log(JSON.stringify({ ...r, topInputs: r.topInputs.slice(0, 10) }, null, 2));
  }
}
