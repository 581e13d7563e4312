/**
 * Every benchmarked client, by row name, in report order. Each is imported on demand, so a client
 * that does not load (a broken build, a missing package) is reported as unavailable and the rest
 * still run. Used by run.ts (in process) and heap.ts (one child process per client).
 */
import type { BenchClient } from './types.js';

export interface ClientSpec {
  name: string;
  load(origin: string): Promise<BenchClient>;
}

export const CLIENTS: readonly ClientSpec[] = [
  { name: 'raw fetch', load: async (o) => (await import('./raw-fetch.js')).create(o) },
  { name: 'raw node:http', load: async (o) => (await import('./raw-http.js')).create(o) },
  { name: 'openai SDK', load: async (o) => (await import('./openai-sdk.js')).create(o) },
  { name: 'AI SDK (ai + @ai-sdk/openai)', load: async (o) => (await import('./ai-sdk.js')).create(o) },
  { name: 'modelmux', load: async (o) => (await import('./modelmux.js')).create(o) },
  { name: 'modelmux (fetch transport)', load: async (o) => (await import('./modelmux.js')).create(o, { fetchTransport: true }) },
  { name: 'modelmux (routed + budget + hooks)', load: async (o) => (await import('./modelmux.js')).create(o, { routed: true }) },
  { name: 'anthropic SDK', load: async (o) => (await import('./anthropic-sdk.js')).create(o) },
  { name: 'modelmux (anthropic)', load: async (o) => (await import('./modelmux.js')).create(o, { wire: 'anthropic' }) },
];
