/**
 * `mockProvider()`: an in-process OpenAI-compatible provider for tests and demos. It is the real
 * OpenAI-compatible adapter given a `fetch` that answers from a script, so everything past the
 * adapter runs for real: the fetch transport, the SSE decoder, idle timeouts, retries,
 * fallbacks, cooldowns, cost and budgets. No socket is opened and no key is needed.
 */
import { openaiCompatible } from '../providers/openai-compatible/presets/compatible.js';
import type {
  MockCut,
  MockHttpError,
  MockInBandError,
  MockProvider,
  MockProviderOptions,
  MockRequest,
  MockStall,
  MockStep,
  MockStepInput,
} from './types.js';
import { type Answer, completionBody, echoText, errorObject, streamEvents, type WireEvent, type WireMeta } from './wire.js';

type Json = Record<string, unknown>;

const encoder = new TextEncoder();

/** The error undici gives when the server closes the connection mid-body. */
function socketClosed(): Error {
  const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  return new TypeError('terminated', { cause });
}

function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isHttpError(step: MockStep): step is MockHttpError {
  return 'status' in step && typeof step.status === 'number';
}
function isCut(step: MockStep): step is MockCut {
  return 'cutAfterChunks' in step && typeof step.cutAfterChunks === 'number';
}
function isStall(step: MockStep): step is MockStall {
  return 'stallAfterChunks' in step && typeof step.stallAfterChunks === 'number';
}
function isInBand(step: MockStep): step is MockInBandError {
  return 'inBandErrorAfterChunks' in step && typeof step.inBandErrorAfterChunks === 'number';
}

/** What happens once `after` content chunks have been sent. */
type Fault = { kind: 'cut' | 'stall'; after: number } | { kind: 'error'; after: number; data: string };

/** What a body's step can do: send bytes, end or fail the body, or wait (woken early when the body ends). */
interface BodyIo {
  readonly done: boolean;
  send(bytes: Uint8Array): void;
  end(): void;
  fail(error: unknown): void;
  /** Resolves after `ms`, or never until the body ends when `ms` is undefined (a stall). */
  wait(ms?: number): Promise<void>;
}

/**
 * A pull stream with no buffer (each `step` runs when the consumer reads, so a cut never discards
 * what was already sent). The caller's signal errors it, as a real `fetch` body does; cancelling it
 * ends every wait.
 */
function pullBody(signal: AbortSignal | undefined, step: (io: BodyIo) => Promise<void> | void): ReadableStream<Uint8Array> {
  let done = false;
  let wake: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const finish = (): void => {
    done = true;
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    wake?.();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        onAbort = () => {
          if (done) return;
          finish();
          controller.error(abortReason(signal));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      },
      async pull(controller) {
        if (done) return;
        await step({
          get done() {
            return done;
          },
          send: (bytes) => controller.enqueue(bytes),
          end: () => {
            finish();
            controller.close();
          },
          fail: (error) => {
            finish();
            controller.error(error);
          },
          wait: (ms) =>
            new Promise<void>((resolve) => {
              const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
              wake = () => {
                if (timer !== undefined) clearTimeout(timer);
                resolve();
              };
            }),
        });
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A body that sends `events` one by one, `delayMs` apart, as the consumer reads them, then applies the fault. */
function eventBody(events: WireEvent[], delayMs: number, fault: Fault | undefined, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  let index = 0;
  let sent = 0;
  return pullBody(signal, async (io) => {
    if (fault !== undefined && sent === fault.after) {
      // A stall: silent, connection open, until cancelled or aborted.
      if (fault.kind !== 'error') return fault.kind === 'cut' ? io.fail(socketClosed()) : io.wait();
      io.send(encoder.encode(`data: ${fault.data}\n\n`));
      return io.end();
    }
    const event = events[index];
    if (event === undefined) return io.end();
    if (index > 0 && delayMs > 0) {
      await io.wait(delayMs);
      if (io.done) return;
    }
    index++;
    if (event.content) sent++;
    io.send(encoder.encode(`data: ${event.data}\n\n`));
  });
}

/** A non-streaming body that breaks (cut) or never ends (stall) after `prefix`. */
function brokenBody(prefix: string, kind: 'cut' | 'stall', signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(prefix);
  let first = true;
  return pullBody(signal, (io) => {
    if (first) {
      first = false;
      if (bytes.length > 0) return io.send(bytes);
    }
    return kind === 'cut' ? io.fail(socketClosed()) : io.wait();
  });
}

function headerRecord(headers: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function bodyText(body: BodyInit | null | undefined): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(body));
  return '';
}

function jsonResponse(status: number, value: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/**
 * Creates a mock provider. Configure it like any provider and call it through the gateway:
 *
 * ```ts
 * const mock = mockProvider({ script: [{ status: 429, retryAfter: 1 }, { text: 'Hello!' }] });
 * const mux = createGateway({ providers: { mock } });
 * await mux.chat.completions.create({ model: 'mock/any-model', messages });   // retried, then 'Hello!'
 * mock.requests.length;  // 2
 * ```
 *
 * Each request takes the next step of its model's script (`models`), else of `script`, else
 * `default` (a short echo of the prompt). Streams are sent in realistic chunks; usage is estimated
 * from the text unless given.
 */
export function mockProvider(options: MockProviderOptions = {}): MockProvider {
  const name = options.name ?? 'mock';
  let shared: MockStepInput[] = [...(options.script ?? [])];
  let perModel = new Map<string, MockStepInput[]>(Object.entries(options.models ?? {}).map(([model, steps]) => [model, [...steps]]));
  const requests: MockRequest[] = [];
  let sequence = 0;

  const nextStep = (request: MockRequest): MockStep => {
    const own = perModel.get(request.model);
    const input = (own !== undefined && own.length > 0 ? own.shift() : shared.shift()) ?? options.default;
    const step = typeof input === 'function' ? input(request) : input;
    return step ?? { text: echoText(request.body) };
  };

  const answerOf = (step: MockStep, body: Json): Answer => {
    const reply = step as Partial<MockStep & { reasoning: string; finishReason: string }>;
    const toolCalls = 'toolCalls' in reply && reply.toolCalls !== undefined ? reply.toolCalls : [];
    const text = 'text' in reply && reply.text !== undefined ? reply.text : toolCalls.length > 0 ? undefined : echoText(body);
    return {
      text,
      reasoning: typeof reply.reasoning === 'string' ? reply.reasoning : undefined,
      toolCalls,
      usage: 'usage' in reply ? reply.usage : undefined,
      finishReason: typeof reply.finishReason === 'string' ? reply.finishReason : toolCalls.length > 0 ? 'tool_calls' : 'stop',
    };
  };

  const mockFetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const requestId = `req_mock_${(++sequence).toString().padStart(6, '0')}`;
    const baseHeaders = { 'x-request-id': requestId };
    if (!new URL(url).pathname.endsWith('/chat/completions')) {
      return jsonResponse(404, errorObject(404, { message: `Unknown path ${new URL(url).pathname}` }), baseHeaders);
    }
    let body: Json;
    try {
      body = JSON.parse(bodyText(init.body)) as Json;
    } catch {
      return jsonResponse(400, errorObject(400, { message: 'The request body is not valid JSON.' }), baseHeaders);
    }
    const request: MockRequest = {
      model: typeof body.model === 'string' ? body.model : '',
      stream: body.stream === true,
      body,
      headers: headerRecord(init.headers),
      url,
      at: Date.now(),
    };
    requests.push(request);
    const step = nextStep(request);
    await sleep(step.latencyMs ?? options.latencyMs ?? 0, signal);
    const chunkDelayMs = step.chunkDelayMs ?? options.chunkDelayMs ?? 0;

    if (isHttpError(step)) {
      const headers: Record<string, string> = { ...baseHeaders, ...step.headers };
      if (step.retryAfter !== undefined) headers['retry-after'] = String(step.retryAfter);
      if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
      if (step.body !== undefined) {
        return new Response(step.body, { status: step.status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers } });
      }
      return jsonResponse(step.status, errorObject(step.status, step.error), headers);
    }

    const meta: WireMeta = { id: `chatcmpl-mock${requestId.slice(9)}`, model: request.model, created: Math.floor(Date.now() / 1000) };
    const answer = answerOf(step, body);
    const replyHeaders = 'headers' in step && step.headers !== undefined ? step.headers : {};
    const fault: Fault | undefined = isCut(step)
      ? { kind: 'cut', after: step.cutAfterChunks }
      : isStall(step)
        ? { kind: 'stall', after: step.stallAfterChunks }
        : isInBand(step)
          ? { kind: 'error', after: step.inBandErrorAfterChunks, data: JSON.stringify(errorObject(undefined, step.error)) }
          : undefined;

    if (!request.stream) {
      if (fault?.kind === 'error') return jsonResponse(200, JSON.parse(fault.data), baseHeaders);
      const text = JSON.stringify(completionBody(answer, body, meta));
      if (fault !== undefined) {
        const prefix = fault.kind === 'cut' ? text.slice(0, Math.floor(text.length / 2)) : '';
        return new Response(brokenBody(prefix, fault.kind, signal), { status: 200, headers: { 'content-type': 'application/json', ...baseHeaders } });
      }
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json', ...baseHeaders, ...replyHeaders } });
    }
    return new Response(eventBody(streamEvents(answer, body, meta), chunkDelayMs, fault, signal), {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...baseHeaders, ...replyHeaders },
    });
  };

  const adapter = openaiCompatible({ name, baseURL: `https://${name}.mock.invalid/v1`, fetch: mockFetch as typeof fetch });
  const initialShared = [...(options.script ?? [])];
  const initialModels = Object.entries(options.models ?? {});

  return {
    ...adapter,
    requests,
    enqueue(steps: MockStepInput | MockStepInput[], model?: string): void {
      const list = Array.isArray(steps) ? steps : [steps];
      if (model === undefined) {
        shared.push(...list);
        return;
      }
      perModel.set(model, [...(perModel.get(model) ?? []), ...list]);
    },
    get pending(): number {
      let count = shared.length;
      for (const steps of perModel.values()) count += steps.length;
      return count;
    },
    reset(): void {
      requests.length = 0;
      shared = [...initialShared];
      perModel = new Map(initialModels.map(([model, steps]) => [model, [...steps]]));
    },
  };
}
