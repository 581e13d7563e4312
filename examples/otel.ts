/**
 * OpenTelemetry tracing for modelmux, against a local mock provider (no API key needed):
 *
 *   npx tsx examples/otel.ts            # prints the span tree
 *   npx tsx examples/otel.ts --console  # also prints every span with ConsoleSpanExporter
 *
 * In an application, register your SDK (NodeSDK, or a provider with an OTLP exporter pointed at
 * Langfuse, Helicone, Honeycomb, Jaeger…) and pass `otelHooks()`: it uses the global provider.
 */
import { type HrTime, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, ConsoleSpanExporter, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createGateway, openaiCompatible } from '../src/index.js';
import { combineHooks, otelHooks } from '../src/otel.js';
import { startMockServer } from './mock-openai-server.js';

const exporter = new InMemorySpanExporter();
const processors: SpanProcessor[] = [new SimpleSpanProcessor(exporter)];
if (process.argv.includes('--console')) processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
const provider = new BasicTracerProvider({ spanProcessors: processors });

const server = await startMockServer({ latencyMs: 20 });
// The first two calls to flaky-model fail: one retry, then the fallback to steady-model.
const unavailable = { kind: 'status', status: 503, body: { error: { message: 'overloaded', type: 'server_error' } } } as const;
server.failNext('flaky-model', unavailable, unavailable);

const mux = createGateway({
  providers: { mock: openaiCompatible({ name: 'mock', baseURL: server.baseURL }) },
  models: { fast: 'mock/flaky-model' },
  routing: { fallbacks: { fast: ['mock/steady-model'] } },
  retry: { maxRetries: 1, initialDelayMs: 20, maxDelayMs: 40 },
  pricing: { 'mock/flaky-model': { input: 0.1, output: 0.4 }, 'mock/steady-model': { input: 0.15, output: 0.6 } },
  hooks: combineHooks(
    otelHooks({ tracerProvider: provider }), // or otelHooks() with a globally registered SDK
    { onFallback: (e) => console.log(`[hook] fallback ${e.from} → ${e.to} (${e.reason})`) },
  ),
});

try {
  await mux.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'Say hi' }] });
  const stream = await mux.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'Stream a hello' }], stream: true });
  for await (const chunk of stream) void chunk;
} finally {
  mux.close();
  await server.close();
}
await provider.forceFlush();

const ms = (from: HrTime, to: HrTime) => Math.round((to[0] - from[0]) * 1e3 + (to[1] - from[1]) / 1e6);
const spans = exporter.getFinishedSpans();
const children = (parent: ReadableSpan) => spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
const describe = (span: ReadableSpan) => {
  const a = span.attributes;
  const parts = [`${span.name}`, `${ms(span.startTime, span.endTime)} ms`];
  if (span.status.code === SpanStatusCode.ERROR) parts.push(`ERROR ${String(a['error.type'])}`);
  if (a['gen_ai.response.model'] !== undefined) parts.push(`served by ${String(a['gen_ai.provider.name'])}/${String(a['gen_ai.response.model'])}`);
  if (a['gen_ai.usage.input_tokens'] !== undefined) parts.push(`tokens ${String(a['gen_ai.usage.input_tokens'])} in / ${String(a['gen_ai.usage.output_tokens'])} out`);
  if (a['modelmux.cost_usd'] !== undefined) parts.push(`$${Number(a['modelmux.cost_usd']).toFixed(8)}`);
  if (a['modelmux.time_to_first_token_ms'] !== undefined) parts.push(`ttft ${String(a['modelmux.time_to_first_token_ms'])} ms`);
  if (a['modelmux.attempts'] !== undefined) parts.push(`${String(a['modelmux.attempts'])} attempt(s)`);
  return parts.join('  ');
};

console.log('\nspans:');
for (const request of spans.filter((s) => s.parentSpanContext === undefined)) {
  console.log(describe(request));
  for (const event of request.events) console.log(`  · ${event.name} ${JSON.stringify(event.attributes)}`);
  for (const attempt of children(request)) console.log(`  └─ ${describe(attempt)}`);
}
await provider.shutdown();
