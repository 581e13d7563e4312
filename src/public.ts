// Everything both entry points export, except createGateway (bound to each runtime's transport).
export type { ChatCompletions, Gateway, RequestOptions } from './gateway.js';
export type { GatewayConfig, GatewayHooks, RetryHookEvent, WarningEvent } from './request/config.js';
export type * from './request/types.js';
export { VARIANTS, splitVariant, type Variant } from './request/model-id.js';
export { ChatStream } from './routing/chat-stream.js';
export type { RetryPolicy } from './routing/retry.js';
export type { BufferLimits } from './http/limits.js';
export type { Abortable, HttpRequest, HttpResponse, Transport, TransportOptions } from './http/transport.js';
export type { AdapterContext, ProviderAdapter, StreamEvent, StreamMapper } from './providers/adapter.js';
export * from './errors/index.js';
export * from './providers/openai-compatible/index.js';
export { anthropic, type AnthropicProviderOptions, type AnthropicSettings, type CacheBreakpoint } from './providers/anthropic/index.js';
export { google, type GoogleSettings } from './providers/google/index.js';
export { bedrock, type AwsCredentials, type BedrockSettings } from './providers/bedrock/index.js';
export { catalogSnapshotDate, computeCost, type ModelInfo, type ModelPrice, type PriceOverride } from './pricing/index.js';
export type { ModelGroupConfig, StrategyOption, DeploymentHealth } from './routing/router.js';
export type { Strategy, StrategyContext, RoutedDeployment as StrategyCandidate } from './routing/strategies/types.js';
export type {
  AttemptEndEvent,
  AttemptEvent,
  CooldownHookEvent,
  ErrorEvent,
  FallbackHookEvent,
  HookErrorEvent,
  RequestEvent,
  ResponseEvent,
  RoutingConfig,
} from './request/config.js';
export type { BreakerOptions } from './routing/cooldown.js';
export type { GatewayBudget } from './gateway.js';
export {
  createFetchHandler,
  MODELMUX_HEADERS,
  toOpenAIError,
  type FetchHandler,
  type FetchHandlerOptions,
  type ModelListEntry,
} from './interop/index.js';
export { memoryStore, type MemoryStoreOptions } from './budget/memory-store.js';
export type {
  BudgetConfig,
  BudgetLimit,
  BudgetPeriod,
  BudgetScope,
  BudgetStatus,
  BudgetStore,
  BudgetThresholdEvent,
  BudgetExceededEvent,
  DeploymentLimit,
  SpendEvent,
} from './budget/types.js';
