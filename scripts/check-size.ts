/**
 * Size budget (CI): bundles the minimal modelmux use (bench/minimal/modelmux.ts: `createGateway` +
 * `openai` + one create call) from the BUILT package (dist; run `npm run build` first) with esbuild
 * for the browser (bundle, minify, ESM, code splitting: lazy chunks such as the price catalog stay
 * apart) and fails when
 *
 * - the eager code (entry chunk + its static imports) gzipped is above the budget in
 *   size-budget.json, or
 * - the eager code imports a node built-in (`node:*`, `fs`, …): the browser entry must not.
 *
 *   npm run size
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MINIMAL_USES, measureBundle, ROOT } from '../bench/bundle-size.js';

const KEY = 'core+openai (gzip, eager)';
const use = MINIMAL_USES[0];

if (!existsSync(join(ROOT, 'dist/edge.js'))) {
  console.error('size: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
const budget = (JSON.parse(readFileSync(join(ROOT, 'size-budget.json'), 'utf8')) as Record<string, number>)[KEY];
if (typeof budget !== 'number') {
  console.error(`size: size-budget.json has no number for "${KEY}"`);
  process.exit(1);
}

const r = await measureBundle(use.entry, 'browser');
const fmt = (n: number) => n.toLocaleString('en-US');
const problems: string[] = [];

console.log(`${use.name}: ${use.entry.replace(`${ROOT}/`, '')} bundled for the browser (esbuild, minify, splitting, gzip per chunk)`);
console.log(`  eager: ${fmt(r.eager.gzipBytes)} B gzip, ${fmt(r.eager.minBytes)} B minified, ${r.eager.chunks} chunk(s)`);
console.log(`  total: ${fmt(r.total.gzipBytes)} B gzip, ${fmt(r.total.minBytes)} B minified, ${r.total.chunks} chunk(s) (with lazy chunks)`);
console.log(`  budget: ${fmt(budget)} B gzip, eager (size-budget.json)`);

if (r.eager.gzipBytes > budget) {
  problems.push(
    `eager gzip size ${fmt(r.eager.gzipBytes)} B is over the budget of ${fmt(budget)} B by ${fmt(r.eager.gzipBytes - budget)} B ` +
      `(${((r.eager.gzipBytes / budget - 1) * 100).toFixed(1)} %)`,
  );
}
if (r.nodeImports.length > 0) {
  problems.push(`the eager browser bundle imports node built-ins: ${r.nodeImports.join(', ')}`);
}

if (problems.length === 0) {
  console.log(`size: ok (${fmt(budget - r.eager.gzipBytes)} B under budget)`);
} else {
  for (const p of problems) console.error(`size: FAILED: ${p}`);
  console.error('Top contributors to the eager bundle (minified bytes, by source file through source maps):');
  for (const x of r.topInputs.slice(0, 15)) console.error(`  ${fmt(x.bytes).padStart(9)}  ${x.path}`);
  process.exit(1);
}
