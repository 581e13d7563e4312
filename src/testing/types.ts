import type { ProviderAdapter } from '../providers/adapter.js';

/** One tool call of a scripted answer. `arguments` is sent as JSON text (an object is stringified). */
export interface MockToolCall {
  name: string;
  arguments?: string | Record<string, unknown>;
  /** Default: `call_mock_<n>`. */
  id?: string;
}

/** Token counts of a scripted answer; a missing count is estimated from the text (about 4 characters a token). */
export interface MockUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  /** Reported as `prompt_tokens_details.cached_tokens`. */
  cached_tokens?: number;
}

/** Timing shared by every step. */
export interface MockTiming {
  /** Wait before the response headers, in ms (abortable: the caller's abort or the gateway's deadline ends it). */
  latencyMs?: number;
  /** Wait between two stream events, in ms. */
  chunkDelayMs?: number;
}

/** A successful answer: text and/or tool calls, streamed in realistic chunks when the request streams. */
export interface MockReply extends MockTiming {
  /** Default: a short echo of the last user message (none when `toolCalls` are given). */
  text?: string;
  /** Reasoning text, sent as `reasoning_content` before the answer. */
  reasoning?: string;
  toolCalls?: MockToolCall[];
  usage?: MockUsage;
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Extra response headers (e.g. `x-ratelimit-remaining-requests`). */
  headers?: Record<string, string>;
}

/** An HTTP error answer in OpenAI's format: `{"error":{"message","type","param","code"}}`. */
export interface MockHttpError extends MockTiming {
  status: number;
  /** Default: a message and type that fit the status (`rate_limit_exceeded` for 429, `server_error` for 5xx, …). */
  error?: { message?: string; type?: string; code?: string | number | null; param?: string | null };
  /** A raw body sent instead of the JSON error (an HTML error page, an empty body). */
  body?: string;
  /** `retry-after` header, in seconds. */
  retryAfter?: number;
  /** `retry-after-ms` header. */
  retryAfterMs?: number;
  headers?: Record<string, string>;
}

/** Fields of the answer a fault step delivers before it fails (default: the default answer). */
export interface MockPartial extends MockTiming {
  text?: string;
  toolCalls?: MockToolCall[];
  usage?: MockUsage;
}

/**
 * The connection breaks after `cutAfterChunks` content chunks (the role chunk is not counted;
 * 0 breaks before the first token). A non-streaming request gets half of its JSON body, then the break.
 */
export interface MockCut extends MockPartial {
  cutAfterChunks: number;
}

/**
 * The stream goes silent, connection open, after `stallAfterChunks` content chunks: the
 * gateway's `idleTimeoutMs` (or the deadline, or the caller's abort) ends it. A non-streaming
 * request gets its headers and then no body.
 */
export interface MockStall extends MockPartial {
  stallAfterChunks: number;
}

/**
 * An error event inside the stream (`data: {"error":{…}}`) after `inBandErrorAfterChunks` content
 * chunks, as OpenRouter and others send; a non-streaming request gets a 200 whose body is the error.
 */
export interface MockInBandError extends MockPartial {
  inBandErrorAfterChunks: number;
  /** Default: `{ message: 'The server had an error while processing your request', type: 'server_error', code: 502 }`. */
  error?: { message?: string; type?: string; code?: string | number | null };
}

/** What the mock does with one request. */
export type MockStep = MockReply | MockHttpError | MockCut | MockStall | MockInBandError;

/** A step, or a function of the request that returns one (to answer from the request's content). */
export type MockStepInput = MockStep | ((request: MockRequest) => MockStep);

/** One request the mock received. */
export interface MockRequest {
  /** The provider's model id the gateway sent. */
  model: string;
  stream: boolean;
  /** The JSON body as sent on the wire (after the adapter's translation). */
  body: Record<string, unknown>;
  /** The request headers, lower-case names. */
  headers: Record<string, string>;
  url: string;
  /** `Date.now()` when the request arrived. */
  at: number;
}

export interface MockProviderOptions extends MockTiming {
  /** The provider's name and default key. Default `mock`. */
  name?: string;
  /** Steps consumed one per request, in order, by requests whose model has no script of its own. */
  script?: MockStepInput[];
  /** Per-model scripts (the provider's model id, e.g. `mock-large`), consumed before `script`. */
  models?: Record<string, MockStepInput[]>;
  /** The step once the scripts are used up. Default: a short echo of the last user message. */
  default?: MockStepInput;
}

/** An in-process provider serving OpenAI's wire format through its own `fetch`: no socket, no key. */
export interface MockProvider extends ProviderAdapter {
  /** Every request received, oldest first. */
  readonly requests: readonly MockRequest[];
  /** Appends steps to the shared script (`model` given: to that model's script). */
  enqueue(steps: MockStepInput | MockStepInput[], model?: string): void;
  /** Steps not yet consumed (shared script plus every model's script). */
  readonly pending: number;
  /** Forgets the recorded requests and restores the scripts given at creation. */
  reset(): void;
}
