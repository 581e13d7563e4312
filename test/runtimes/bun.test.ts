/**
 * The built package in Bun: a child `bun run` imports `modelmux` by its own name (package
 * self-reference, resolved as a user's import would be) and runs fixtures/scenario.mjs against the
 * mock provider on 127.0.0.1, served from this process.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScenarioResult, scenarioTests } from './expectations.js';
import { type MockProvider, startMockProvider } from './mock-provider.js';

const root = resolve(import.meta.dirname, '../..');
const bun = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'bun.exe' : 'bun');
const bunVersion = spawnSync(bun, ['--version'], { encoding: 'utf8', timeout: 30_000 });
const available = bunVersion.status === 0;
// Under CI a missing Bun fails the suite (beforeAll below); locally it is skipped, loudly.
if (!available && !process.env.CI) {
  console.warn(`[test/runtimes/bun] SKIPPED: no working Bun binary at ${bun} (the "bun" devDependency's install script provides it).`);
}

describe.skipIf(!available && !process.env.CI)('the built package in Bun', () => {
  let mock: MockProvider | undefined;
  let result: ScenarioResult & { resolved: { import: string; require: string } };

  beforeAll(async () => {
    if (!available) {
      throw new Error(`no working Bun binary at ${bun}: ${bunVersion.error?.message ?? bunVersion.stderr}`);
    }
    mock = await startMockProvider();
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(bun, ['run', join(import.meta.dirname, 'fixtures', 'bun-main.mjs')], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, MODELMUX_MOCK_ORIGIN: mock.origin },
      }));
    } catch (error) {
      const { stdout: out = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`bun run failed: ${(error as Error).message}\nstdout: ${out}\nstderr: ${stderr}`);
    }
    result = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof result;
  }, 90_000);

  afterAll(async () => {
    await mock?.server.close();
  });

  it('resolves modelmux to the edge entry (the `bun` export condition), for import and require', () => {
    expect(result.runtime).toMatch(/^bun /);
    expect(result.resolved.import).toBe(pathToFileURL(join(root, 'dist', 'edge.js')).href);
    expect(result.resolved.require).toBe(join(root, 'dist', 'edge.cjs'));
  });

  scenarioTests(() => result);
});
