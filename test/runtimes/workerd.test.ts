/**
 * The built package in Cloudflare workerd, through miniflare. fixtures/worker.mjs imports
 * `modelmux` by its own name; esbuild bundles it as wrangler does (the workerd/worker/browser
 * conditions, never `node`), so the bundle holds dist/edge.js. The worker reaches the mock
 * provider on 127.0.0.1 with workerd's own fetch: miniflare's default outbound network allows
 * loopback addresses, so no `outboundService` stands in between.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScenarioResult, scenarioTests } from './expectations.js';
import { type MockProvider, startMockProvider } from './mock-provider.js';

const root = resolve(import.meta.dirname, '../..');
let workerdBinary = '(workerd package not installed)';
try {
  workerdBinary = (createRequire(import.meta.url)('workerd') as { default: string }).default;
} catch {
  // Reported below.
}
const available = existsSync(workerdBinary);
// Under CI a missing workerd fails the suite (beforeAll below); locally it is skipped, loudly.
if (!available && !process.env.CI) {
  console.warn(`[test/runtimes/workerd] SKIPPED: no workerd binary (${workerdBinary}); miniflare's "workerd" dependency provides it.`);
}

describe.skipIf(!available && !process.env.CI)('the built package in workerd (miniflare)', () => {
  let mock: MockProvider | undefined;
  let miniflare: { dispose(): Promise<void> } | undefined;
  let metafile: Metafile;
  let result: ScenarioResult;

  beforeAll(async () => {
    if (!available) throw new Error(`no workerd binary: ${workerdBinary}`);
    mock = await startMockProvider();
    const bundle = await build({
      entryPoints: [join(import.meta.dirname, 'fixtures', 'worker.mjs')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['browser', 'module', 'main'],
      target: 'es2022',
      metafile: true,
      logLevel: 'silent',
    });
    metafile = bundle.metafile;
    const { Miniflare } = await import('miniflare');
    const mf = new Miniflare({
      modules: true,
      script: bundle.outputFiles[0]!.text,
      compatibilityDate: '2025-07-01',
      // No nodejs_compat flag: the edge build must not need it.
      bindings: { MOCK_ORIGIN: mock.origin },
    });
    miniflare = mf;
    const response = await mf.dispatchFetch('http://worker.test/');
    const body = (await response.json()) as ScenarioResult & { error?: string };
    if (response.status !== 200) throw new Error(`the worker failed: ${body.error ?? JSON.stringify(body)}`);
    result = body;
  }, 90_000);

  afterAll(async () => {
    await miniflare?.dispose();
    await mock?.server.close();
  });

  it('bundles modelmux from the edge entry, with no node: import', () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain('dist/edge.js');
    expect(inputs).not.toContain('dist/index.js');
    const imports = Object.values(metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
    expect(imports.filter((path) => path.startsWith('node:'))).toEqual([]);
  });

  it('runs in workerd', () => {
    expect(result.runtime).toBe('workerd Cloudflare-Workers');
  });

  scenarioTests(() => result);
});
