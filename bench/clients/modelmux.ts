/**
 * modelmux through its public entry point, the built package as users run it (`npm run bench`
 * builds first). Retries are left at their defaults (what users get): the retry loop is on the
 * measured path. The paced stream goes to a second provider whose base URL carries the mock's
 * `/paced` prefix. The bench imports this module dynamically, so it still runs while the gateway
 * does not load.
 *
 * - `fetchTransport`: `fetch: globalThis.fetch` at the top level of the config, forcing the fetch
 *   transport instead of the node:http default;
 * - `wire: 'anthropic'`: `anthropic({ apiKey, baseURL })` against the mock's Messages endpoint;
 * - `routed`: a two-deployment group (latency strategy) with a fallback, a budget (memoryStore, a
 *   USD limit and a per-user limit, prices given) and every hook on; the plain rows configure
 *   providers only.
 */
import { anthropic, createGateway, type GatewayConfig, type GatewayHooks, memoryStore, openai } from '../../dist/index.js';
import type { WireFormat } from '../wire.js';
import { anthropicBaseURL, baseURL, type BenchClient, MAX_TOKENS, MESSAGES, MODEL, type StreamMode } from './types.js';

export interface ModelmuxOptions {
  fetchTransport?: boolean;
  routed?: boolean;
  wire?: WireFormat;
}

const noop = () => {};
const HOOKS: GatewayHooks = {
  onRequest: noop,
  onAttempt: noop,
  onAttemptEnd: noop,
  onResponse: noop,
  onError: noop,
  onHookError: noop,
  onWarning: noop,
  onSpend: noop,
  onBudgetThreshold: noop,
  onBudgetExceeded: noop,
  onRetry: noop,
  onFallback: noop,
  onCooldown: noop,
};

function routedConfig(): Partial<GatewayConfig> {
  const price = { input: 0.15, output: 0.6, contextWindow: 128_000, maxOutput: 16_384 };
  return {
    models: { routed: { deployments: [`mock/${MODEL}`, `mirror/${MODEL}`], strategy: 'latency' } },
    routing: { fallbacks: { routed: [`paced/${MODEL}`] } },
    pricing: { [`mock/${MODEL}`]: price, [`mirror/${MODEL}`]: price, [`paced/${MODEL}`]: price },
    budget: {
      store: memoryStore(),
      limits: [
        { scope: {}, usd: 1_000_000, period: 'month' },
        { scope: { user: '*' }, usd: 1_000, period: 'day' },
      ],
    },
    hooks: HOOKS,
  };
}

export function create(origin: string, options: ModelmuxOptions = {}): BenchClient {
  const { fetchTransport = false, routed = false, wire = 'openai' } = options;
  const provider = (mode?: StreamMode) =>
    wire === 'anthropic'
      ? anthropic({ apiKey: 'bench', baseURL: anthropicBaseURL(origin, mode) })
      : openai({ apiKey: 'bench', baseURL: baseURL(origin, mode) });
  const mux = createGateway({
    providers: { mock: provider(), mirror: provider(), paced: provider('paced') },
    ...(routed ? routedConfig() : {}),
    ...(fetchTransport ? { fetch: globalThis.fetch } : {}),
  });
  const model = routed ? 'routed' : `mock/${MODEL}`;
  // Anthropic requires max_tokens: the Anthropic SDK row sends the same.
  const request = { messages: MESSAGES, ...(wire === 'anthropic' ? { max_tokens: MAX_TOKENS } : {}) };
  const scope = routed ? { scope: { user: 'u_bench' } } : {};
  return {
    format: wire,
    // OpenAI: one chunk per content chunk + the finish chunk + the usage chunk. Anthropic: the role
    // chunk (message_start), one per text delta, the finish chunk (message_delta), the usage chunk.
    expectedChunks: (n) => (wire === 'anthropic' ? n + 3 : n + 2),
    async nonStream() {
      const res = await mux.chat.completions.create({ model, ...request }, scope);
      return res.choices[0]?.message?.content ?? '';
    },
    async stream(mode) {
      const stream = await mux.chat.completions.create(
        { model: mode === 'paced' ? `paced/${MODEL}` : model, ...request, stream: true, stream_options: { include_usage: true } },
        scope,
      );
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
