import { array, boolean, func, is, number, object, oneOf, optional, record, string, union, type Check, type Infer, type SameKeys } from './check.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { ChatMessage, CompletionUsage } from './types.js';
import type { BufferLimits } from '../http/limits.js';
import type { RetryPolicy } from '../routing/retry.js';
import type { BreakerOptions } from '../routing/cooldown.js';
import type { ModelGroupConfig, StrategyOption } from '../routing/router.js';
import { STRATEGY_NAMES } from '../routing/strategies/index.js';
import type { Strategy } from '../routing/strategies/types.js';
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

const positiveInt = number({ int: true, gt: 0 });
const nonNegativeInt = number({ int: true, min: 0 });
const nonEmpty = string({ min: 1 });
const nonEmptyList = array(nonEmpty);
const providerKey = string({ pattern: /^[A-Za-z0-9_.-]+$/, message: 'a provider key is letters, digits, "_", "-" or "." (no "/" or ":")' });
const adapter = is<ProviderAdapter>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProviderAdapter).buildRequest === 'function' &&
    typeof (value as ProviderAdapter).parseResponse === 'function',
  'a provider',
  'expected a provider, e.g. openai() or openaiCompatible({ name, baseURL })',
);

const strategy = union([oneOf(STRATEGY_NAMES), func<Strategy>()]);
const deploymentSpec = union([
  nonEmpty,
  object({ model: nonEmpty, weight: optional(number({ min: 0 })), rpm: optional(positiveInt), tpm: optional(positiveInt) }),
]);
const modelGroup = object({ deployments: array(deploymentSpec, { min: 1 }), strategy: optional(strategy) });
const fallbackTable = optional(record(nonEmptyList, nonEmpty));
const hook = optional(func<(event: never) => void>());
const routingShape = object({
  strategy: optional(strategy),
  fallbacks: fallbackTable,
  contextWindowFallbacks: fallbackTable,
  contentPolicyFallbacks: fallbackTable,
  maxAttempts: optional(number({ int: true, gt: 0, max: 50 })),
  preferFallbackAfterMs: optional(nonNegativeInt),
  maxCooldownWaitMs: optional(nonNegativeInt),
  breaker: optional(record(number({ min: 0 }))),
  webSearch: optional(func<WebSearch>('expected a function (query, { signal }) => Promise<results>')),
});
const retryShape = object({
  maxRetries: optional(number({ int: true, min: 0, max: 10 })),
  maxRetryAfterMs: optional(nonNegativeInt),
  initialDelayMs: optional(nonNegativeInt),
  maxDelayMs: optional(nonNegativeInt),
});
const limitsShape = object({ maxBodyBytes: optional(positiveInt), maxLineBytes: optional(positiveInt), maxEventBytes: optional(positiveInt) });
const hooksShape = object({
  includeContent: optional(boolean()),
  onRequest: hook,
  onAttempt: hook,
  onAttemptEnd: hook,
  onResponse: hook,
  onError: hook,
  onHookError: hook,
  onWarning: hook,
  onRetry: hook,
  onFallback: hook,
  onCooldown: hook,
  onSpend: hook,
  onBudgetThreshold: hook,
  onBudgetExceeded: hook,
});

const configShape = object({
  providers: optional(record(adapter, providerKey)),
  models: optional(record(union([nonEmpty, array(nonEmpty, { min: 1 }), modelGroup]), nonEmpty)),
  routing: optional(routingShape),
  pricing: optional(
    record(
      is<PriceOverride>((value) => typeof value === 'object' && value !== null, 'a price', 'expected { input, output } in USD per 1M tokens'),
      string({ pattern: /^[^/]+\/.+$/, message: 'a pricing key is "provider/model"' }),
    ),
  ),
  retry: optional(retryShape),
  timeoutMs: optional(positiveInt),
  idleTimeoutMs: optional(positiveInt),
  connectTimeoutMs: optional(positiveInt),
  headers: optional(record(string())),
  fetch: optional(func<typeof fetch>('expected a fetch function')),
  limits: optional(limitsShape),
  budget: optional(is<BudgetConfig>((value) => typeof value === 'object' && value !== null, 'a budget', 'expected { limits, store?, … }')),
  hooks: optional(hooksShape),
});

/** Checks a `GatewayConfig` (see ./check.ts); errors name `config.<field>`. */
export const gatewayConfigSchema: Check<GatewayConfig> = configShape;

/** Compile-time: the strict checks allow exactly the fields of the public types. */
type Exact<T extends true> = T;
type CheckedFields = [
  Exact<SameKeys<Infer<typeof configShape>, GatewayConfig>>,
  Exact<SameKeys<Infer<typeof routingShape>, RoutingConfig>>,
  Exact<SameKeys<Infer<typeof retryShape>, RetryPolicy>>,
  Exact<SameKeys<Infer<typeof limitsShape>, BufferLimits>>,
  Exact<SameKeys<Infer<typeof hooksShape>, GatewayHooks>>,
];
