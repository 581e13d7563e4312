import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      edge: 'src/edge.ts',
      redis: 'src/redis.ts',
      otel: 'src/otel.ts',
      testing: 'src/testing.ts',
    },
    // An optional peer: only `modelmux/otel` imports it, and the user's own copy must be the one used.
    external: ['@opentelemetry/api'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // The bin below is built by the second config, into the same folder: keep it.
    clean: ['!cli.js', '!cli.js.map'],
    target: 'es2022',
    splitting: true,
    treeshake: true,
  },
  {
    // The `modelmux` bin: ESM only, one file, with its shebang (tsup makes it executable).
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'es2022',
    platform: 'node',
    splitting: false,
    treeshake: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
