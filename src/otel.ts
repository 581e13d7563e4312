// The `modelmux/otel` entry point: OpenTelemetry tracing as gateway hooks (GenAI semantic
// conventions). `@opentelemetry/api` is an optional peer dependency, loaded only from here.
export { otelHooks, type OtelHooksOptions } from './hooks/otel.js';
export { combineHooks } from './hooks/combine.js';
export type { GatewayHooks } from './request/config.js';
