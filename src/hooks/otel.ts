/**
 * OpenTelemetry tracing as gateway hooks, following the GenAI semantic conventions: a CLIENT
 * span per request (`chat {requested model}`) with a child span per attempt
 * (`chat {provider's model id}`). Only `modelmux/otel` imports this file: `@opentelemetry/api`
 * is an optional peer and the core never loads it.
 */
import { type Attributes, type AttributeValue, context, type Context, type Span, SpanKind, SpanStatusCode, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { redact } from '../http/redact.js';
import type {
  AttemptEndEvent,
  AttemptEvent,
  CooldownHookEvent,
  ErrorEvent,
  FallbackHookEvent,
  GatewayHooks,
  RequestEvent,
  ResponseEvent,
  RetryHookEvent,
} from '../request/config.js';
import type { ChatMessage, CompletionUsage } from '../request/types.js';

export interface OtelHooksOptions {
  /** The tracer to use. Default: `tracerProvider.getTracer('modelmux')`. */
  tracer?: Tracer;
  /** Default: the global provider (`trace.getTracerProvider()`). Ignored when `tracer` is given. */
  tracerProvider?: TracerProvider;
  /**
   * Record prompts and answers (`gen_ai.input.messages`, `gen_ai.output.messages`) — they may hold
   * personal data. Sets `includeContent: true` on the returned hooks. Default false.
   */
  captureContent?: boolean;
  /**
   * Requests tracked at once. A stream the caller abandons (`break`, `abort()`) reports no end, so
   * past this many open requests the oldest is ended with `modelmux.abandoned: true`. Default 10,000.
   */
  maxOpenRequests?: number;
}

const OPERATION = 'chat';
const TRACER_NAME = 'modelmux';
const DEFAULT_MAX_OPEN = 10_000;

interface RequestState {
  span: Span;
  /** The request span in the context current at onRequest: the parent of every attempt span. */
  parent: Context;
  /** Attempt number → its open span. */
  attempts: Map<number, Span>;
}

/** A string with every registered key and every known key shape removed (errors already are; this is a second guard). */
const safe = (text: string): string => redact(text);

function errorType(error: Error | undefined): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error?.name || '_OTHER';
}

/** Marks a span failed: `error.type`, status ERROR and an exception event with the redacted message only (no stack). */
function fail(span: Span, error: Error | undefined): void {
  const type = errorType(error);
  const message = error === undefined ? type : safe(error.message);
  span.setAttribute('error.type', type);
  span.recordException({ name: error?.name ?? 'Error', message, code: type });
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

function providerOf(candidate: string): string | undefined {
  const slash = candidate.indexOf('/');
  return slash > 0 ? candidate.slice(0, slash) : undefined;
}

function usageAttributes(usage: CompletionUsage | undefined): Attributes {
  if (usage === undefined) return {};
  const out: Attributes = {
    'gen_ai.usage.input_tokens': usage.prompt_tokens,
    'gen_ai.usage.output_tokens': usage.completion_tokens,
  };
  const cached = usage.prompt_tokens_details?.cached_tokens;
  const written = usage.prompt_tokens_details?.cache_write_tokens;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  if (cached !== undefined) out['gen_ai.usage.cache_read.input_tokens'] = cached;
  if (written !== undefined) out['gen_ai.usage.cache_creation.input_tokens'] = written;
  if (reasoning !== undefined) out['gen_ai.usage.reasoning.output_tokens'] = reasoning;
  return out;
}

type Part = Record<string, unknown>;

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function textParts(content: string | Array<{ type: string; text?: string }> | null | undefined): Part[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', content }];
  return content.map((part): Part => {
    if (part.type === 'text') return { type: 'text', content: part.text ?? '' };
    if (part.type === 'image_url') {
      const url = (part as { image_url?: { url?: string } }).image_url?.url ?? '';
      // A remote image is a URI; inline data (base64) is not copied into telemetry.
      return /^https?:\/\//i.test(url) ? { type: 'uri', modality: 'image', uri: url } : { type: 'blob', modality: 'image' };
    }
    if (part.type === 'input_audio') return { type: 'blob', modality: 'audio' };
    return { type: part.type };
  });
}

/** The request's messages in the GenAI input-messages schema (`{ role, parts }`). */
function inputMessages(messages: ChatMessage[]): Part[] {
  return messages.map((message) => {
    switch (message.role) {
      case 'tool':
        return {
          role: 'tool',
          parts: [{ type: 'tool_call_response', id: message.tool_call_id, result: typeof message.content === 'string' ? message.content : message.content.map((p) => p.text).join('') }],
        };
      case 'assistant': {
        const parts: Part[] = [];
        if (message.reasoning_content) parts.push({ type: 'reasoning', content: message.reasoning_content });
        parts.push(...textParts(message.content));
        for (const call of message.tool_calls ?? []) parts.push({ type: 'tool_call', id: call.id, name: call.function.name, arguments: parseArguments(call.function.arguments) });
        return { role: 'assistant', parts };
      }
      default:
        return { role: message.role, parts: textParts(message.content) };
    }
  });
}

/** The span name of the GenAI conventions: `{gen_ai.operation.name} {gen_ai.request.model}`. */
const spanName = (model: string): string => `${OPERATION} ${model}`;

/**
 * Gateway hooks that trace every request with OpenTelemetry (GenAI semantic conventions).
 * Pass to `createGateway({ hooks })`, or `combineHooks(otelHooks(), yourHooks)`.
 */
export function otelHooks(options: OtelHooksOptions = {}): GatewayHooks {
  const tracer = options.tracer ?? (options.tracerProvider ?? trace.getTracerProvider()).getTracer(TRACER_NAME);
  const captureContent = options.captureContent === true;
  const maxOpen = Math.max(1, options.maxOpenRequests ?? DEFAULT_MAX_OPEN);
  const open = new Map<string, RequestState>();
  /** A failed attempt's error → its request: onRetry, onFallback and onCooldown carry the same error object, not the request id. */
  const owners = new WeakMap<object, string>();

  /** Ends the request's open attempts and the request span, and forgets the request. */
  const finish = (requestId: string, state: RequestState): void => {
    for (const span of state.attempts.values()) {
      span.setAttribute('modelmux.attempt_unfinished', true);
      span.end();
    }
    state.attempts.clear();
    state.span.end();
    open.delete(requestId);
  };

  /** The request an onRetry/onFallback/onCooldown event belongs to. */
  const stateFor = (event: { error?: Error | undefined }): RequestState | undefined => {
    const explicit = (event as { requestId?: unknown }).requestId;
    const requestId = typeof explicit === 'string' ? explicit : event.error === undefined ? undefined : owners.get(event.error);
    if (requestId !== undefined) return open.get(requestId);
    // No error to match (a group skipped before any attempt): unambiguous only with one request in flight.
    return open.size === 1 ? open.values().next().value : undefined;
  };

  const addEvent = (name: string, event: { error?: Error | undefined }, attributes: Record<string, AttributeValue | undefined>): void => {
    const state = stateFor(event);
    if (state === undefined) return;
    const clean: Attributes = {};
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) clean[key] = value;
    state.span.addEvent(name, clean);
  };

  const hooks: GatewayHooks = {
    onRequest(event: RequestEvent) {
      const providers = new Set(event.candidates.map(providerOf));
      const only = providers.size === 1 ? [...providers][0] : undefined;
      const attributes: Attributes = {
        'gen_ai.operation.name': OPERATION,
        'gen_ai.request.model': event.model,
        'modelmux.stream': event.stream,
        'modelmux.request_id': event.requestId,
        'modelmux.candidates': event.candidates,
      };
      if (only !== undefined) attributes['gen_ai.provider.name'] = only;
      if (captureContent && event.messages !== undefined) attributes['gen_ai.input.messages'] = safe(JSON.stringify(inputMessages(event.messages)));
      const parentContext = context.active();
      const span = tracer.startSpan(spanName(event.model), { kind: SpanKind.CLIENT, attributes }, parentContext);
      const stale = open.get(event.requestId);
      if (stale !== undefined) finish(event.requestId, stale);
      open.set(event.requestId, { span, parent: trace.setSpan(parentContext, span), attempts: new Map() });
      while (open.size > maxOpen) {
        const [oldestId, oldest] = open.entries().next().value as [string, RequestState];
        oldest.span.setAttribute('modelmux.abandoned', true);
        finish(oldestId, oldest);
      }
    },

    onAttempt(event: AttemptEvent) {
      const state = open.get(event.requestId);
      if (state === undefined) return;
      state.attempts.get(event.attempt)?.end();
      const span = tracer.startSpan(
        spanName(event.model),
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': OPERATION,
            'gen_ai.provider.name': event.provider,
            'gen_ai.request.model': event.model,
            'modelmux.attempt': event.attempt,
            'modelmux.request_id': event.requestId,
          },
        },
        state.parent,
      );
      state.attempts.set(event.attempt, span);
    },

    onAttemptEnd(event: AttemptEndEvent) {
      const state = open.get(event.requestId);
      if (state === undefined) return;
      const span = state.attempts.get(event.attempt);
      state.attempts.delete(event.attempt);
      if (event.error !== undefined) owners.set(event.error, event.requestId);
      if (span === undefined) return;
      if (event.status !== undefined) span.setAttribute('http.response.status_code', event.status);
      if (!event.ok) fail(span, event.error);
      span.end();
    },

    onResponse(event: ResponseEvent) {
      const state = open.get(event.requestId);
      if (state === undefined) return;
      const { span } = state;
      span.setAttributes({
        'gen_ai.provider.name': event.provider,
        'gen_ai.response.model': event.model,
        'modelmux.attempts': event.attempts,
        'modelmux.stream': event.stream,
        ...usageAttributes(event.usage),
      });
      if (event.cost !== null) span.setAttribute('modelmux.cost_usd', event.cost);
      if (event.finishReason) span.setAttribute('gen_ai.response.finish_reasons', [event.finishReason]);
      if (event.timeToFirstTokenMs !== undefined) {
        span.setAttribute('modelmux.time_to_first_token_ms', event.timeToFirstTokenMs);
        span.setAttribute('gen_ai.response.time_to_first_chunk', event.timeToFirstTokenMs / 1000);
      }
      if (captureContent && event.content !== undefined) {
        const output: Part = { role: 'assistant', parts: textParts(event.content) };
        if (event.finishReason) output.finish_reason = event.finishReason;
        span.setAttribute('gen_ai.output.messages', safe(JSON.stringify([output])));
      }
      finish(event.requestId, state);
    },

    onError(event: ErrorEvent) {
      const state = open.get(event.requestId);
      if (state === undefined) return;
      state.span.setAttributes({ 'modelmux.attempts': event.attempts, 'modelmux.stream': event.stream });
      fail(state.span, event.error);
      finish(event.requestId, state);
    },

    onFallback(event: FallbackHookEvent) {
      addEvent('modelmux.fallback', event, {
        'modelmux.fallback.from': event.from,
        'modelmux.fallback.to': event.to,
        'modelmux.fallback.reason': event.reason,
      });
    },

    onRetry(event: RetryHookEvent) {
      addEvent('modelmux.retry', event, {
        'gen_ai.provider.name': event.provider,
        'gen_ai.request.model': event.model,
        'modelmux.retry.attempt': event.attempt,
        'modelmux.retry.delay_ms': event.delayMs,
        'error.type': errorType(event.error),
      });
    },

    onCooldown(event: CooldownHookEvent) {
      addEvent('modelmux.cooldown', event, {
        'gen_ai.provider.name': event.provider,
        'gen_ai.request.model': event.model,
        'modelmux.cooldown.until_ms': event.untilMs,
        'error.type': errorType(event.error),
      });
    },
  };
  if (captureContent) hooks.includeContent = true;
  return hooks;
}
