import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    edge: 'src/edge.ts',
    redis: 'src/redis.ts',
    otel: 'src/otel.ts',
  },
  // An optional peer: only `modelmux/otel` imports it, and the user's own copy must be the one used.
  external: ['@opentelemetry/api'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  treeshake: true,
});
