/**
 * modelmux through its public entry point. `fetchTransport` passes `fetch: globalThis.fetch` at the
 * top level of the gateway config, forcing the fetch transport instead of the node:http default.
 * The paced stream goes to a second provider whose base URL carries the mock's `/paced` prefix.
 * run.ts imports this module dynamically, so the bench still runs while the gateway does not load.
 * Retries are left at their defaults (what users get): the retry loop is on the measured path.
 */
// The built package, as users run it (`npm run bench` builds first).
import { createGateway, openaiCompatible } from '../../dist/index.js';
import { baseURL, type BenchClient, MESSAGES, MODEL } from './types.js';

export function create(origin: string, options: { fetchTransport?: boolean; routed?: boolean } = {}): BenchClient {
  const { fetchTransport = false, routed = false } = options;
  const mux = createGateway({
    providers: {
      mock: openaiCompatible({ name: 'mock', baseURL: baseURL(origin) }),
      mirror: openaiCompatible({ name: 'mirror', baseURL: baseURL(origin) }),
      paced: openaiCompatible({ name: 'paced', baseURL: baseURL(origin, 'paced') }),
    },
    // The routed row: a two-deployment group with the latency strategy and a fallback, breakers and statistics on.
    models: {
      routed: { deployments: [`mock/${MODEL}`, `mirror/${MODEL}`], strategy: 'latency' },
    },
    routing: { fallbacks: { routed: ['paced/' + MODEL] } },
    hooks: { onRetry: () => {}, onFallback: () => {}, onWarning: () => {} },
    ...(fetchTransport ? { fetch: globalThis.fetch } : {}),
  });
  return {
    async nonStream() {
      const res = await mux.chat.completions.create({ model: routed ? 'routed' : `mock/${MODEL}`, messages: MESSAGES });
      return res.choices[0]?.message?.content ?? '';
    },
    async stream(mode) {
      const stream = await mux.chat.completions.create({
        model: mode === 'paced' ? `paced/${MODEL}` : routed ? 'routed' : `mock/${MODEL}`,
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      return { text, chunks };
    },
    close: () => mux.close(),
  };
}
