import { createFetchTransport } from './http/fetch-transport.js';
import { normalizeHeaders } from './http/headers.js';
import { DEFAULT_LIMITS, type BufferLimits } from './http/limits.js';
import type { Transport } from './http/transport.js';
import type { AdapterContext, ProviderAdapter } from './providers/adapter.js';
import type { ProviderEnvironment } from './providers/environment.js';
import { gatewayConfigSchema, type GatewayConfig, type GatewayHooks } from './request/config.js';
import { chatRequestSchema, requestOptionsSchema } from './request/schema.js';
import type {
  ChatCompletion,
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from './request/types.js';
import { parseOrThrow } from './request/validate.js';
import { computeCost } from './pricing/cost.js';
import { cacheControlTtl, estimateInputTokens } from './pricing/estimate.js';
import { createModelDirectory } from './routing/directory.js';
import { completeOnce, openStream, type AttemptSettings, type OpenedStream } from './routing/attempt.js';
import { CallScope } from './routing/call-scope.js';
import { ChatStream } from './routing/chat-stream.js';
import { Executor, type ExecutorOptions } from './routing/executor.js';
import { withSearchContext } from './routing/web-search.js';
import { HookEmitter, nextRequestId } from './hooks/emitter.js';
import type { FetchHandler } from './interop/fetch-handler.js';
import { AttemptSpend } from './routing/spend.js';
import { LimitBook } from './budget/limit-book.js';
import type { BudgetTracker } from './budget/tracker.js';
import type { BudgetLimit, BudgetScope, BudgetStatus, Reservation } from './budget/types.js';
import { ModelmuxError } from './errors/base.js';
import { AbortError, InvalidResponseError } from './errors/classes.js';
import type { RoutedDeployment } from './routing/plan.js';
import { DEFAULT_RETRY, type RetryPolicy } from './routing/retry.js';
import { type DeploymentHealth, Router, type StrategyOption } from './routing/router.js';

/** Per-request options (DESIGN section 2). */
export interface RequestOptions {
  signal?: AbortSignal;
  /** The call's deadline across all attempts and waits. */
  timeoutMs?: number;
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Headers for this request only; they win over gateway and adapter headers. */
  headers?: Record<string, string>;
  /** Orders the candidates of this request (overrides the group's and the gateway's strategy). */
  strategy?: StrategyOption;
  /** Who the request is for, matched against budget limits: `{ user: 'u_42', team: 'product' }`. */
  scope?: BudgetScope;
}

/** Budget queries and run-time changes (`mux.budget`). */
export interface GatewayBudget {
  /** Spent, reserved, limit and period end (USD) of every USD limit matching `scope`. */
  get(scope: BudgetScope): Promise<BudgetStatus[]>;
  setLimits(limits: BudgetLimit[]): void;
  addLimit(limit: BudgetLimit): void;
  removeLimit(id: string): boolean;
  listLimits(): BudgetLimit[];
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
  /** Per-deployment health: in-flight requests, latency, failures and breaker state. */
  stats(): Record<string, DeploymentHealth>;
  /** Budget queries and changes; `undefined` when no `budget` is configured. */
  readonly budget: GatewayBudget | undefined;
  /**
   * A `fetch` serving the OpenAI REST surface in-process (`POST …/chat/completions`,
   * `GET …/models`): `new OpenAI({ apiKey: 'unused', baseURL: 'http://modelmux.local/v1', fetch: mux.fetch, maxRetries: 0 })`,
   * or a ready `Request → Response` handler for any server framework.
   */
  readonly fetch: FetchHandler;
  /** Closes pooled connections. The gateway can still be used; new connections are opened on demand. */
  close(): void;
}

export const DEFAULT_ROUTING = {
  maxAttempts: 5,
  preferFallbackAfterMs: 1_000,
  maxCooldownWaitMs: 1_000,
} as const;

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

function toModelmuxError(error: unknown): ModelmuxError {
  return ModelmuxError.isInstance(error) ? error : new InvalidResponseError(error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Builds `createGateway` around the runtime's default transport (node:http on Node, fetch
 * elsewhere) and the providers it configures from the environment when none are given.
 */
export function defineCreateGateway(defaultTransport: () => Transport, environment: ProviderEnvironment): (config?: GatewayConfig) => Gateway {
  return function createGateway(config: GatewayConfig = {}): Gateway {
    const parsed = parseOrThrow(gatewayConfigSchema, config, 'config');
    const routing = parsed.routing ?? {};
    const scanned = parsed.providers === undefined ? environment.scan() : undefined;
    const providerKeys = scanned?.keys ?? Object.keys(parsed.providers ?? {});
    const providerMap = new Map(parsed.providers === undefined ? [] : Object.entries(parsed.providers));
    const router = new Router({
      providers: providerMap,
      models: parsed.models ?? {},
      strategy: routing.strategy,
      fallbacks: routing.fallbacks ?? {},
      contextWindowFallbacks: routing.contextWindowFallbacks ?? {},
      contentPolicyFallbacks: routing.contentPolicyFallbacks ?? {},
      breaker: routing.breaker,
      webSearch: routing.webSearch,
      estimateInputTokens,
    });
    // Configured from the environment, the adapters (native ones loaded on demand) join the map before the first request.
    let environmentPending = parsed.providers === undefined;
    let loadingEnvironment: Promise<void> | undefined;
    const loadEnvironment = (): Promise<void> =>
      (loadingEnvironment ??= environment.load(providerKeys).then((providers) => {
        for (const [key, adapter] of providers) providerMap.set(key, adapter);
        environmentPending = false;
      }));
    const hooks = config.hooks;
    const emitter = new HookEmitter(hooks);
    for (const key of scanned?.unloadable ?? []) {
      emitter.emit('onWarning', {
        provider: key,
        message: `${key}'s key is set, but the fetch build of modelmux (edge runtimes, browsers, Bun) configures only OpenAI-compatible providers from the environment: pass providers: { ${key}: ${key}() }`,
      });
    }
    const directory = createModelDirectory(parsed.pricing);
    // The budget config is validated now; the tracker (reservations, store, leases) loads with the first request.
    const book = parsed.budget === undefined ? undefined : new LimitBook(parsed.budget);
    let tracker: BudgetTracker | undefined;
    let loadingTracker: Promise<BudgetTracker> | undefined;
    const loadTracker = (limits: LimitBook): Promise<BudgetTracker> =>
      (loadingTracker ??= import('./budget/tracker.js').then(
        ({ BudgetTracker }) =>
          (tracker = new BudgetTracker(limits, {
            onSpend: (event) => emitter.emit('onSpend', event),
            onBudgetThreshold: (event) => emitter.emit('onBudgetThreshold', event),
            onBudgetExceeded: (event) => emitter.emit('onBudgetExceeded', event),
            onWarning: (event) => {
              const slash = event.deploymentId?.indexOf('/') ?? -1;
              emitter.emit('onWarning', {
                message: event.message,
                code: event.code,
                ...(event.deploymentId === undefined || slash < 0 ? {} : { provider: event.deploymentId.slice(0, slash) }),
                ...(event.model === undefined ? {} : { model: event.model }),
              });
            },
          })),
      ));
    const policy: RetryPolicy = { ...DEFAULT_RETRY, ...parsed.retry };
    const limits: BufferLimits = { ...DEFAULT_LIMITS, ...parsed.limits };
    const gatewayHeaders = parsed.headers === undefined ? undefined : normalizeHeaders(parsed.headers);

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
      const validated = parseOrThrow(chatRequestSchema, params, '') as ChatCompletionCreateParams;
      const opts = parseOrThrow(requestOptionsSchema, options, 'options') as RequestOptions;
      if (environmentPending) await loadEnvironment();
      const budgetTracker = book === undefined ? undefined : (tracker ?? (await loadTracker(book)));
      const { plan, params: request, inputTokens } = router.plan(validated, opts.strategy, await directory.load());
      const stream = request.stream === true;
      const requestId = nextRequestId();
      const startedAt = Date.now();
      if (emitter.has('onRequest')) {
        emitter.emit('onRequest', {
          requestId,
          model: validated.model,
          stream,
          scope: opts.scope,
          candidates: plan.groups.flatMap((group) => group.deployments.map((d) => d.id)),
          ...(emitter.includeContent ? { messages: request.messages } : {}),
        });
      }
      const failed = (error: unknown, attempts: number): void => {
        if (emitter.has('onError')) {
          emitter.emit('onError', { requestId, requestedModel: validated.model, stream, latencyMs: Date.now() - startedAt, error: toModelmuxError(error), attempts });
        }
      };
      const headers = mergeHeaders(gatewayHeaders, opts.headers === undefined ? undefined : normalizeHeaders(opts.headers));
      const warned = new Set<string>();
      const ttl = cacheControlTtl(request);
      const costOptions = ttl === undefined ? {} : { cacheWriteTtl: ttl };
      const online = plan.variant === 'online';
      const nativeSearch = (deployment: RoutedDeployment): boolean => online && deployment.adapter.name !== 'openrouter' && deployment.adapter.nativeWebSearch === true;
      let searched: Promise<ChatCompletionCreateParams> | undefined;
      /** The body for a deployment: `:online` without native search adds the user's search results (once). */
      const paramsFor = (deployment: RoutedDeployment): ChatCompletionCreateParams | Promise<ChatCompletionCreateParams> => {
        if (!online || deployment.adapter.name === 'openrouter' || nativeSearch(deployment) || routing.webSearch === undefined) return request;
        searched ??= withSearchContext(request, routing.webSearch, scope.signal);
        return searched;
      };
      const contextFor = (deployment: RoutedDeployment): AdapterContext => ({
        provider: deployment.provider,
        model: deployment.model,
        stream,
        webSearch: nativeSearch(deployment),
        warn(message) {
          if (warned.has(message)) return;
          warned.add(message);
          emitter.emit('onWarning', { provider: deployment.provider, model: deployment.model, message });
        },
      });
      const settingsFor = (deployment: RoutedDeployment): AttemptSettings => ({
        transport: transportFor(deployment.adapter),
        connectTimeoutMs: opts.connectTimeoutMs ?? parsed.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectTimeoutMs,
        idleTimeoutMs: opts.idleTimeoutMs ?? parsed.idleTimeoutMs ?? DEFAULT_TIMEOUTS.idleTimeoutMs,
        limits,
        headers,
        includeUsage: request.stream_options?.include_usage === true,
        onHeaders: (header) => router.health.headers(deployment.id, header),
        cost: (usage) => {
          if (usage.cost !== null) return usage.cost; // provider-reported (OpenRouter) wins
          if (deployment.price !== undefined) return computeCost(usage, deployment.price, costOptions);
          contextFor(deployment).warn(`no price known for ${deployment.id}: usage.cost is null (add it to pricing)`);
          return null;
        },
      });
      const scope = new CallScope(opts.signal, opts.timeoutMs ?? parsed.timeoutMs ?? DEFAULT_TIMEOUTS.timeoutMs);
      const spend = budgetTracker === undefined ? undefined : new AttemptSpend(budgetTracker, request, opts.scope ?? {}, scope, inputTokens, costOptions);
      const executorOptions: ExecutorOptions = {
        onRetry: (event) => emitter.emit('onRetry', { requestId, ...event }),
        onFallback: (event) => emitter.emit('onFallback', { requestId, ...event }),
        onCooldown: (event) => emitter.emit('onCooldown', { requestId, ...event }),
        onAttempt: (deployment, attempt) => emitter.emit('onAttempt', { requestId, attempt, provider: deployment.provider, model: deployment.model }),
        onAttemptEnd: (deployment, attempt, durationMs, error) =>
          emitter.emit('onAttemptEnd', {
            requestId,
            attempt,
            provider: deployment.provider,
            model: deployment.model,
            durationMs,
            ok: error === undefined,
            ...(error === undefined ? {} : { error }),
            ...(error?.status === undefined ? {} : { status: error.status }),
          }),
        policy,
        maxAttempts: routing.maxAttempts ?? DEFAULT_ROUTING.maxAttempts,
        preferFallbackAfterMs: routing.preferFallbackAfterMs ?? DEFAULT_ROUTING.preferFallbackAfterMs,
        maxCooldownWaitMs: routing.maxCooldownWaitMs ?? DEFAULT_ROUTING.maxCooldownWaitMs,
        scope,
        health: router.health,
      };
      if (!stream) {
        const executor = new Executor<ChatCompletion>(
            plan,
            async (deployment) => {
              const body = await paramsFor(deployment);
              if (spend === undefined) return completeOnce(deployment, body, contextFor(deployment), settingsFor(deployment), scope);
              const reservation = await spend.reserve(deployment);
              let completion: ChatCompletion;
              try {
                completion = await completeOnce(deployment, body, contextFor(deployment), settingsFor(deployment), scope);
              } catch (error) {
                void spend.fail(reservation, toModelmuxError(error));
                throw error;
              }
              await spend.settle(reservation, completion.usage, deployment);
              return completion;
            },
            executorOptions,
            (completion) => ({ completionTokens: completion.usage.completion_tokens, stream: false }),
          );
        try {
          const completion = await executor.execute();
          if (emitter.has('onResponse')) {
            emitter.emit('onResponse', {
              requestId,
              requestedModel: validated.model,
              provider: completion.provider,
              model: completion.model,
              stream: false,
              latencyMs: Date.now() - startedAt,
              usage: completion.usage,
              cost: completion.usage.cost,
              attempts: executor.attemptCount,
              finishReason: completion.choices[0]?.finish_reason ?? null,
              ...(emitter.includeContent ? { content: completion.choices[0]?.message.content ?? null } : {}),
            });
          }
          return completion;
        } catch (error) {
          failed(error, executor.attemptCount);
          throw error;
        } finally {
          scope.dispose();
        }
      }
      let opened: { deployment: RoutedDeployment; reservation: Reservation | undefined; stream: OpenedStream };
      const streamExecutor = new Executor<{ deployment: RoutedDeployment; reservation: Reservation | undefined; stream: OpenedStream }>(
          plan,
          async (deployment) => {
            const body = await paramsFor(deployment);
            const reservation = spend === undefined ? undefined : await spend.reserve(deployment);
            try {
              return { deployment, reservation, stream: await openStream(deployment, body, contextFor(deployment), settingsFor(deployment), scope.link()) };
            } catch (error) {
              if (reservation !== undefined) void spend!.fail(reservation, toModelmuxError(error));
              throw error;
            }
          },
          executorOptions,
          () => ({ stream: true }),
        );
      try {
        opened = await streamExecutor.execute();
      } catch (error) {
        scope.dispose();
        failed(error, streamExecutor.attemptCount);
        throw error;
      }
      const timeToFirstTokenMs = Date.now() - startedAt;
      scope.clearDeadline();
      const served = opened.deployment;
      const reservation = opened.reservation;
      const chatStream: ChatStream = new ChatStream(opened.stream.reader, opened.stream.buffered, scope, served.provider, served.model, {
        onComplete: (sample, usage, finishReason) => {
          router.health.streamEnd(served.id, sample);
          if (reservation !== undefined && spend !== undefined) {
            if (usage === undefined) void reservation.settleAtEstimate();
            else void spend.settle(reservation, usage, served);
          }
          if (emitter.has('onResponse')) {
            const cost = usage === undefined ? null : usage.cost ?? (served.price === undefined ? null : computeCost(usage, served.price, costOptions));
            emitter.emit('onResponse', {
              requestId,
              requestedModel: validated.model,
              provider: served.provider,
              model: opened.stream.reader.mapper.meta.model || served.model,
              stream: true,
              finishReason,
              latencyMs: Date.now() - startedAt,
              timeToFirstTokenMs,
              usage: usage === undefined ? undefined : { ...usage, cost },
              cost,
              attempts: streamExecutor.attemptCount,
              ...(emitter.includeContent ? { content: chatStream.content } : {}),
            });
          }
        },
        // A stream that broke or was abandoned after reaching the provider may have been billed.
        onEnd: (error) => {
          void reservation?.settleAtEstimate();
          // An abandoned stream (`break`, `abort()`) ends as an abort, so every started request gets an end event.
          failed(error ?? new AbortError('The caller stopped reading the stream', { provider: served.provider, model: served.model }), streamExecutor.attemptCount);
        },
      });
      return chatStream;
    }

    const gateway: Gateway = {
      chat: { completions: { create } as ChatCompletions },
      providers: providerKeys,
      stats: () => router.snapshot(),
      budget:
        book === undefined
          ? undefined
          : {
              get: async (scope) => (tracker ?? (await loadTracker(book))).get(scope),
              setLimits: (limits) => book.set(limits),
              addLimit: (limit) => book.add(limit),
              removeLimit: (id) => book.remove(id),
              listLimits: () => book.list(),
            },
      fetch: async (input, init) => {
        handler ??= await loadFetchHandler();
        return handler(input, init);
      },
      close() {
        for (const transport of transports.values()) transport.close();
        transports.clear();
        tracker?.close();
      },
    };
    // `mux.fetch` and its /models listing load on first use: most gateways never serve HTTP.
    let handler: FetchHandler | undefined;
    async function loadFetchHandler(): Promise<FetchHandler> {
      const [{ createFetchHandler }, { configuredModels }] = await Promise.all([import('./interop/fetch-handler.js'), import('./interop/configured-models.js')]);
      return createFetchHandler(gateway, {
        listModels: async () => {
          if (environmentPending) await loadEnvironment();
          return configuredModels(parsed, providerMap, await directory.load());
        },
      });
    }
    return gateway;
  };
}
