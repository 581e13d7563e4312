/**
 * A browser bundle of the core, as a user's bundler makes it: `import { createGateway, openai }
 * from 'modelmux'` with esbuild's browser platform. Any `node:` import reachable from the entry
 * the browser conditions select would fail the build or show up in it.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('a browser bundle of the core', () => {
  it('resolves the edge entry and contains no node: import', async () => {
    const result = await build({
      stdin: {
        contents: `import { createGateway, openai } from 'modelmux';\nexport { createGateway, openai };\n`,
        resolveDir: root, // `modelmux` resolves by package self-reference, to the built dist/.
        sourcefile: 'browser-entry.js',
        loader: 'js',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('dist/edge.js');
    expect(inputs).not.toContain('dist/index.js');
    const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
    expect(imports.filter((path) => path.startsWith('node:'))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(\s*["']node:|\bimport\s*["']node:/);
    expect(code).toContain('createGateway');
  });
});
