import { createFetchTransport } from './http/fetch-transport.js';
import { normalizeHeaders } from './http/headers.js';
import { DEFAULT_LIMITS, type BufferLimits } from './http/limits.js';
import type { Transport } from './http/transport.js';
import type { AdapterContext, ProviderAdapter } from './providers/adapter.js';
import { readEnv } from './providers/env.js';
import { ENV_PRESETS } from './providers/openai-compatible/index.js';
import { gatewayConfigSchema, type GatewayConfig, type GatewayHooks } from './request/config.js';
import { chatRequestSchema, requestOptionsSchema } from './request/schema.js';
import type {
  ChatCompletion,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from './request/types.js';
import { parseOrThrow } from './request/validate.js';
import { completeOnce, openStream, type AttemptSettings } from './routing/attempt.js';
import { CallScope } from './routing/call-scope.js';
import { resolveCandidates, type Deployment, type ModelRegistry } from './routing/candidates.js';
import { ChatStream } from './routing/chat-stream.js';
import { execute } from './routing/executor.js';
import { DEFAULT_RETRY, type RetryPolicy } from './routing/retry.js';

/** Per-request options (DESIGN section 2). */
export interface RequestOptions {
  signal?: AbortSignal;
  /** The call's deadline across all attempts and waits. */
  timeoutMs?: number;
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Headers for this request only; they win over gateway and adapter headers. */
  headers?: Record<string, string>;
}

export interface ChatCompletions {
  create(params: ChatCompletionCreateParamsStreaming, options?: RequestOptions): Promise<ChatStream>;
  create(params: ChatCompletionCreateParamsNonStreaming, options?: RequestOptions): Promise<ChatCompletion>;
  create(params: ChatCompletionCreateParams, options?: RequestOptions): Promise<ChatCompletion | ChatStream>;
}

export interface Gateway {
  chat: { completions: ChatCompletions };
  /** The configured provider keys. */
  readonly providers: readonly string[];
  /** Closes pooled connections. The gateway can still be used; new connections are opened on demand. */
  close(): void;
}

export const DEFAULT_TIMEOUTS = {
  timeoutMs: 600_000,
  idleTimeoutMs: 300_000,
  connectTimeoutMs: 10_000,
} as const;

function mergeHeaders(a: Record<string, string> | undefined, b: Record<string, string> | undefined): Record<string, string> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { ...a, ...b };
}

function providersFromEnvironment(): Record<string, ProviderAdapter> {
  const providers: Record<string, ProviderAdapter> = {};
  for (const preset of ENV_PRESETS) {
    if (!preset.envNames.some((name) => readEnv(name) !== undefined)) continue;
    // A key alone is not always enough (Azure also needs its endpoint).
    const adapter = preset.create();
    if (adapter.hasCredentials()) providers[preset.key] = adapter;
  }
  return providers;
}

function safeHook<E>(hooks: GatewayHooks | undefined, name: keyof GatewayHooks, event: E): void {
  const hook = hooks?.[name] as ((event: E) => void) | undefined;
  if (hook === undefined) return;
  try {
    const result = hook(event) as unknown;
    if (result instanceof Promise) result.catch(() => {});
  } catch {
    // A hook never breaks a request.
  }
}

/** Builds `createGateway` around the runtime's default transport (node:http on Node, fetch elsewhere). */
export function defineCreateGateway(defaultTransport: () => Transport): (config?: GatewayConfig) => Gateway {
  return function createGateway(config: GatewayConfig = {}): Gateway {
    const parsed = parseOrThrow(gatewayConfigSchema, config, 'config');
    const providerMap = new Map(Object.entries(parsed.providers ?? providersFromEnvironment()));
    const aliases = new Map<string, readonly string[]>();
    for (const [name, target] of Object.entries(parsed.models ?? {})) aliases.set(name, typeof target === 'string' ? [target] : target);
    const registry: ModelRegistry = { providers: providerMap, aliases };
    const policy: RetryPolicy = { ...DEFAULT_RETRY, ...parsed.retry };
    const limits: BufferLimits = { ...DEFAULT_LIMITS, ...parsed.limits };
    const gatewayHeaders = parsed.headers === undefined ? undefined : normalizeHeaders(parsed.headers);
    const hooks = config.hooks;

    const transports = new Map<typeof fetch | undefined, Transport>();
    function transportFor(adapter: ProviderAdapter): Transport {
      const fetchImpl = adapter.fetch ?? parsed.fetch;
      let transport = transports.get(fetchImpl);
      if (transport === undefined) {
        transport = fetchImpl === undefined ? defaultTransport() : createFetchTransport(fetchImpl);
        transports.set(fetchImpl, transport);
      }
      return transport;
    }

    async function create(params: ChatCompletionCreateParams, options: RequestOptions = {}): Promise<ChatCompletion | ChatStream> {
      const request = parseOrThrow(chatRequestSchema, params, '') as ChatCompletionCreateParams;
      const opts = parseOrThrow(requestOptionsSchema, options, 'options') as RequestOptions;
      const candidates = resolveCandidates(request.model, request.models, registry);
      const stream = request.stream === true;
      const headers = mergeHeaders(gatewayHeaders, opts.headers === undefined ? undefined : normalizeHeaders(opts.headers));
      const warned = new Set<string>();
      const contextFor = (deployment: Deployment): AdapterContext => ({
        provider: deployment.provider,
        model: deployment.model,
        stream,
        warn(message) {
          if (warned.has(message)) return;
          warned.add(message);
          safeHook(hooks, 'onWarning', { provider: deployment.provider, model: deployment.model, message });
        },
      });
      const settingsFor = (deployment: Deployment): AttemptSettings => ({
        transport: transportFor(deployment.adapter),
        connectTimeoutMs: opts.connectTimeoutMs ?? parsed.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectTimeoutMs,
        idleTimeoutMs: opts.idleTimeoutMs ?? parsed.idleTimeoutMs ?? DEFAULT_TIMEOUTS.idleTimeoutMs,
        limits,
        headers,
        includeUsage: request.stream_options?.include_usage === true,
      });
      const scope = new CallScope(opts.signal, opts.timeoutMs ?? parsed.timeoutMs ?? DEFAULT_TIMEOUTS.timeoutMs);
      const executeOptions = {
        policy,
        scope,
        onRetry: (event: { provider: string; model: string; attempt: number; delayMs: number; error: Error }) =>
          safeHook(hooks, 'onRetry', event),
      };
      if (!stream) {
        try {
          return await execute(
            candidates,
            (deployment) => completeOnce(deployment, request, contextFor(deployment), settingsFor(deployment), scope.signal),
            executeOptions,
          );
        } finally {
          scope.dispose();
        }
      }
      let opened: { deployment: Deployment; reader: Awaited<ReturnType<typeof openStream>> };
      try {
        opened = await execute(
          candidates,
          async (deployment) => ({
            deployment,
            reader: await openStream(deployment, request, contextFor(deployment), settingsFor(deployment), scope.link()),
          }),
          executeOptions,
        );
      } catch (error) {
        scope.dispose();
        throw error;
      }
      scope.clearDeadline();
      return new ChatStream(opened.reader.reader, opened.reader.buffered, scope, opened.deployment.provider, opened.deployment.model);
    }

    return {
      chat: { completions: { create } as ChatCompletions },
      providers: [...providerMap.keys()],
      close() {
        for (const transport of transports.values()) transport.close();
        transports.clear();
      },
    };
  };
}
