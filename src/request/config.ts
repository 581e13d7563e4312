import { z } from 'zod';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { ChatMessage, CompletionUsage } from './types.js';
import type { BufferLimits } from '../http/limits.js';
import type { RetryPolicy } from '../routing/retry.js';
import type { BreakerOptions } from '../routing/cooldown.js';
import type { ModelGroupConfig, StrategyOption } from '../routing/router.js';
import { STRATEGY_NAMES } from '../routing/strategies/index.js';
import type { PriceOverride } from '../routing/directory.js';
import type { WebSearch } from '../routing/variants.js';
import type { BudgetConfig, BudgetExceededEvent, BudgetThresholdEvent, SpendEvent } from '../budget/types.js';

/** Something worth knowing that did not fail the request: a dropped setting, an unknown price, a budget store retry. */
export interface WarningEvent {
  /** The configured provider key, when the warning is about one. */
  provider?: string;
  model?: string;
  message: string;
  /** A budget warning's code (`unpriced_allowed`, `store_retry`, …). */
  code?: string;
}

/** A retry about to happen on the same deployment. */
export interface RetryHookEvent {
  requestId?: string;
  provider: string;
  model: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  error: Error;
}

/** The request moves on from one model (or alias) to the next in its chain. */
export interface FallbackHookEvent {
  requestId?: string;
  from: string;
  to: string;
  /** The error code that ended the previous group (`no_route` when nothing there could be tried). */
  reason: string;
  error?: Error;
}

/** A deployment is kept out until `untilMs` (a retry-after beyond the retry cap). */
export interface CooldownHookEvent {
  requestId?: string;
  provider: string;
  model: string;
  untilMs: number;
  error: Error;
}

/** A request starts (after validation and planning). */
export interface RequestEvent {
  requestId: string;
  /** The model id as requested (alias, group, `provider/model` or bare id, variant included). */
  model: string;
  stream: boolean;
  scope: Record<string, string> | undefined;
  /** The candidates, in the order they will be tried (`provider/model`). */
  candidates: string[];
  /** The request's messages, only with `hooks.includeContent: true`. */
  messages?: ChatMessage[];
}

/** One attempt at one deployment starts. */
export interface AttemptEvent {
  requestId: string;
  /** 1 for the first attempt of the request, across all deployments. */
  attempt: number;
  provider: string;
  model: string;
}

/** One attempt ended. */
export interface AttemptEndEvent extends AttemptEvent {
  durationMs: number;
  ok: boolean;
  /** The typed error of a failed attempt. */
  error?: Error;
  status?: number;
}

/** The request succeeded (for a stream: when it completed). */
export interface ResponseEvent {
  requestId: string;
  /** The model id as requested. */
  requestedModel: string;
  /** The configured provider key and the provider's model id that served it. */
  provider: string;
  model: string;
  stream: boolean;
  latencyMs: number;
  /** Streams: time to the first meaningful chunk. */
  timeToFirstTokenMs?: number;
  usage: CompletionUsage | undefined;
  /** USD, `null` when unpriced. */
  cost: number | null;
  /** Attempts made, this successful one included. */
  attempts: number;
  finishReason?: string | null;
  /** The answer's text, only with `hooks.includeContent: true`. */
  content?: string | null;
}

/** The request failed (for a stream: also after it started). */
export interface ErrorEvent {
  requestId: string;
  requestedModel: string;
  stream: boolean;
  latencyMs: number;
  error: Error;
  attempts: number;
}

export interface HookErrorEvent {
  /** The hook that threw or rejected (reported once per hook). */
  hook: string;
  error: unknown;
}

export interface GatewayHooks {
  /** Put message and answer content in events (default: no payload content in any event). */
  includeContent?: boolean;
  onRequest?(event: RequestEvent): void;
  onAttempt?(event: AttemptEvent): void;
  onAttemptEnd?(event: AttemptEndEvent): void;
  onResponse?(event: ResponseEvent): void;
  onError?(event: ErrorEvent): void;
  onHookError?(event: HookErrorEvent): void;
  onWarning?(event: WarningEvent): void;
  onSpend?(event: SpendEvent): void;
  onBudgetThreshold?(event: BudgetThresholdEvent): void;
  onBudgetExceeded?(event: BudgetExceededEvent): void;
  onRetry?(event: RetryHookEvent): void;
  onFallback?(event: FallbackHookEvent): void;
  onCooldown?(event: CooldownHookEvent): void;
}

export interface RoutingConfig {
  /** How candidates of a group are ordered: 'fallback' (as listed, default), 'cost', 'latency', 'weighted', 'least-busy', 'usage', or a function. */
  strategy?: StrategyOption;
  /** Model id or alias → the models tried when its group is exhausted. */
  fallbacks?: Record<string, string[]>;
  /** Taken first when the error is a context window overflow (and before the call, when the prompt cannot fit). */
  contextWindowFallbacks?: Record<string, string[]>;
  /** Taken first when the error is a content-policy refusal. */
  contentPolicyFallbacks?: Record<string, string[]>;
  /** Attempts across the whole request. Default 5. */
  maxAttempts?: number;
  /** A retry-after longer than this moves to the next model at once when there is one. Default 1000. */
  preferFallbackAfterMs?: number;
  /** When every candidate is cooling down, wait for the soonest if it is at most this long. Default 1000. */
  maxCooldownWaitMs?: number;
  breaker?: Partial<BreakerOptions>;
  /** `:online` for providers without native web search: results are added to the prompt as context. */
  webSearch?: WebSearch;
}

export interface GatewayConfig {
  /** Provider key → adapter. Default: every provider whose API key is in the environment. */
  providers?: Record<string, ProviderAdapter>;
  /** Aliases and groups: a name → a model id, a list of equivalent deployments, or a group with its strategy. */
  models?: Record<string, string | string[] | ModelGroupConfig>;
  routing?: RoutingConfig;
  /** Spend limits, rate limits and allowed models per scope, reserved before each attempt and settled after. */
  budget?: BudgetConfig;
  /** USD per 1M tokens, keyed `provider/model`: overrides the catalog or adds models to it. */
  pricing?: Record<string, PriceOverride>;
  retry?: Partial<RetryPolicy>;
  /** The call's deadline across all attempts (non-stream: to the answer; stream: to the first meaningful chunk). */
  timeoutMs?: number;
  /** Longest silence between stream events, counted from the response headers. */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Headers added to every provider request (they win over the adapter's). */
  headers?: Record<string, string>;
  /** Use this `fetch` (and the fetch transport) for every provider instead of `node:http`. */
  fetch?: typeof fetch;
  limits?: Partial<BufferLimits>;
  hooks?: GatewayHooks;
}

const positiveInt = z.number().int().positive();
const providerKey = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a provider key is letters, digits, "_", "-" or "." (no "/" or ":")');
const adapter = z.custom<ProviderAdapter>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProviderAdapter).buildRequest === 'function' &&
    typeof (value as ProviderAdapter).parseResponse === 'function',
  'expected a provider, e.g. openai() or openaiCompatible({ name, baseURL })',
);

const strategy = z.union([
  z.enum(STRATEGY_NAMES),
  z.custom<StrategyOption>((value) => typeof value === 'function', 'expected a strategy name or a function'),
]);
const deploymentSpec = z.union([
  z.string().min(1),
  z.strictObject({ model: z.string().min(1), weight: z.number().min(0).optional(), rpm: positiveInt.optional(), tpm: positiveInt.optional() }),
]);
const modelGroup = z.strictObject({ deployments: z.array(deploymentSpec).min(1), strategy: strategy.optional() });

export const gatewayConfigSchema = z.strictObject({
  providers: z.record(providerKey, adapter).optional(),
  models: z.record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1), modelGroup])).optional(),
  routing: z
    .strictObject({
      strategy: strategy.optional(),
      fallbacks: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
      contextWindowFallbacks: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
      contentPolicyFallbacks: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
      maxAttempts: positiveInt.max(50).optional(),
      preferFallbackAfterMs: z.number().int().min(0).optional(),
      maxCooldownWaitMs: z.number().int().min(0).optional(),
      breaker: z.record(z.string(), z.number().min(0)).optional(),
      webSearch: z.custom<WebSearch>((value) => typeof value === 'function', 'expected a function (query, { signal }) => Promise<results>').optional(),
    })
    .optional(),
  pricing: z.record(z.string().regex(/^[^/]+\/.+$/, 'a pricing key is "provider/model"'), z.custom<PriceOverride>((value) => typeof value === 'object' && value !== null, 'expected { input, output } in USD per 1M tokens')).optional(),
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(10).optional(),
      maxRetryAfterMs: z.number().int().min(0).optional(),
      initialDelayMs: z.number().int().min(0).optional(),
      maxDelayMs: z.number().int().min(0).optional(),
    })
    .optional(),
  timeoutMs: positiveInt.optional(),
  idleTimeoutMs: positiveInt.optional(),
  connectTimeoutMs: positiveInt.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  fetch: z.custom<typeof fetch>((value) => typeof value === 'function', 'expected a fetch function').optional(),
  limits: z
    .strictObject({
      maxBodyBytes: positiveInt.optional(),
      maxLineBytes: positiveInt.optional(),
      maxEventBytes: positiveInt.optional(),
    })
    .optional(),
  budget: z.custom<BudgetConfig>((value) => typeof value === 'object' && value !== null, 'expected { limits, store?, … }').optional(),
  hooks: z
    .strictObject({
      includeContent: z.boolean().optional(),
      ...Object.fromEntries(
        [
          'onRequest', 'onAttempt', 'onAttemptEnd', 'onResponse', 'onError', 'onHookError', 'onWarning', 'onRetry',
          'onFallback', 'onCooldown', 'onSpend', 'onBudgetThreshold', 'onBudgetExceeded',
        ].map((name) => [name, z.custom<(event: never) => void>((value) => typeof value === 'function', 'expected a function').optional()]),
      ),
    })
    .optional(),
});
