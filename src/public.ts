// Everything both entry points export, except createGateway (bound to each runtime's transport).
export type { ChatCompletions, Gateway, RequestOptions } from './gateway.js';
export type { GatewayConfig, GatewayHooks, RetryHookEvent, WarningEvent } from './request/config.js';
export type * from './request/types.js';
export { VARIANTS, splitVariant, type Variant } from './request/model-id.js';
export { ChatStream } from './routing/chat-stream.js';
export type { RetryPolicy } from './routing/retry.js';
export type { BufferLimits } from './http/limits.js';
export type { HttpRequest, HttpResponse, Transport, TransportOptions } from './http/transport.js';
export type { AdapterContext, ProviderAdapter, StreamEvent, StreamMapper } from './providers/adapter.js';
export * from './errors/index.js';
export * from './providers/openai-compatible/index.js';
