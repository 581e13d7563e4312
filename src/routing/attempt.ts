import type { ErrorDetails } from '../errors/base.js';
import { InvalidResponseError } from '../errors/classes.js';
import { readBody } from '../http/body.js';
import type { BufferLimits } from '../http/limits.js';
import type { Abortable, HttpRequest, HttpResponse, Transport } from '../http/transport.js';
import type { AdapterContext } from '../providers/adapter.js';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams, CompletionUsage } from '../request/types.js';
import type { AttemptController } from './call-scope.js';
import type { RoutedDeployment as Deployment } from './plan.js';
import { decoderFor, isMeaningful, StreamReader } from './stream-reader.js';

/** The most of an error body that is read: enough for any provider's error JSON. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface AttemptSettings {
  transport: Transport;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  limits: BufferLimits;
  /** Gateway and per-request headers, lower-case names; they win over the adapter's. */
  headers: Record<string, string> | undefined;
  includeUsage: boolean;
  /** Response headers of every attempt (rate-limit headers for routing). */
  onHeaders?(header: (name: string) => string | null): void;
  /** USD for this usage on this deployment (the provider-reported cost when there is one), or null when unpriced. */
  cost(usage: CompletionUsage): number | null;
}

/** An attempt's abort: cheap to listen to, with a real `AbortSignal` made only when asked for. */
export type AttemptAbort = Abortable & { readonly signal: AbortSignal };

async function send(
  deployment: Deployment,
  params: ChatCompletionCreateParams,
  ctx: AdapterContext,
  settings: AttemptSettings,
  abort: AttemptAbort,
): Promise<HttpResponse> {
  const request: HttpRequest = await deployment.adapter.buildRequest(params, ctx);
  if (settings.headers !== undefined) Object.assign(request.headers, settings.headers);
  const errorDetails: ErrorDetails = { provider: deployment.provider, model: deployment.model };
  const response = await settings.transport.send(request, {
    get signal() {
      return abort.signal;
    },
    abortable: abort,
    connectTimeoutMs: settings.connectTimeoutMs,
    errorDetails,
  });
  const status = response.status;
  settings.onHeaders?.((name) => response.header(name));
  if (status >= 200 && status < 300) return response;
  if (status >= 300 && status < 400) {
    response.cancel();
    throw new InvalidResponseError(`Refused a ${status} redirect: provider calls never follow redirects (they would forward the API key)`, {
      ...errorDetails,
      status,
      retryable: false,
    });
  }
  let text = '';
  try {
    text = await readBody(response, MAX_ERROR_BODY_BYTES, errorDetails);
  } catch (error) {
    if (!(error instanceof InvalidResponseError)) throw error;
  }
  throw deployment.adapter.parseError(status, text, (name) => response.header(name), ctx);
}

function mediaType(response: HttpResponse): string {
  const type = response.header('content-type') ?? '';
  const semicolon = type.indexOf(';');
  return (semicolon === -1 ? type : type.slice(0, semicolon)).trim().toLowerCase();
}

function parseJson(text: string, errorDetails: ErrorDetails, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidResponseError(`The provider answered ${status} with a body that is not valid JSON (${text.length} characters)`, {
      ...errorDetails,
      status,
      cause: error instanceof Error ? new Error(error.message.slice(0, 120)) : undefined,
    });
  }
}

/** A 2xx that is not what was asked for: an error object gets its typed error, anything else InvalidResponseError. */
function unexpectedBody(deployment: Deployment, response: HttpResponse, text: string, ctx: AdapterContext, expected: string): Error {
  const errorDetails: ErrorDetails = { provider: deployment.provider, model: deployment.model, status: response.status };
  const type = mediaType(response);
  if (type.includes('json')) {
    const body = parseJson(text, errorDetails, response.status) as { error?: unknown } | null;
    if (body !== null && typeof body === 'object' && body.error !== undefined) {
      return deployment.adapter.parseError(response.status, text, (name) => response.header(name), ctx);
    }
  }
  return new InvalidResponseError(`Expected ${expected} but the provider answered ${response.status} with ${type || 'no content type'}`, errorDetails);
}

/** One non-streaming attempt: request, bounded body, mapped answer. Only the call's signal can abort it. */
export async function completeOnce(
  deployment: Deployment,
  params: ChatCompletionCreateParams,
  ctx: AdapterContext,
  settings: AttemptSettings,
  abort: AttemptAbort,
): Promise<ChatCompletion> {
  try {
    const response = await send(deployment, params, ctx, settings, abort);
    const errorDetails: ErrorDetails = { provider: deployment.provider, model: deployment.model, status: response.status };
    const text = await readBody(response, settings.limits.maxBodyBytes, errorDetails);
    const type = mediaType(response);
    if (type !== '' && !type.includes('json')) throw unexpectedBody(deployment, response, text, ctx, 'JSON');
    const completion = deployment.adapter.parseResponse(parseJson(text, errorDetails, response.status), ctx, (name) => response.header(name));
    completion.usage.cost = settings.cost(completion.usage);
    return completion;
  } catch (error) {
    throw abort.aborted ? abort.reason : error;
  }
}

export interface OpenedStream {
  reader: StreamReader;
  /** Chunks up to and including the first meaningful one. */
  buffered: ChatCompletionChunk[];
}

/**
 * One streaming attempt, up to its first meaningful chunk: any failure before that point is a
 * plain typed error, so the executor can retry or fall back and the caller sees one clean stream.
 */
export async function openStream(
  deployment: Deployment,
  params: ChatCompletionCreateParams,
  ctx: AdapterContext,
  settings: AttemptSettings,
  controller: AttemptController,
): Promise<OpenedStream> {
  let reader: StreamReader | undefined;
  try {
    const response = await send(deployment, params, ctx, settings, controller);
    const errorDetails: ErrorDetails = { provider: deployment.provider, model: deployment.model, status: response.status };
    const format = deployment.adapter.streamFormat;
    const expected = format === 'sse' ? 'text/event-stream' : 'application/vnd.amazon.eventstream';
    if (mediaType(response) !== expected) {
      const text = await readBody(response, MAX_ERROR_BODY_BYTES, errorDetails).catch(() => '');
      throw unexpectedBody(deployment, response, text, ctx, expected);
    }
    const decoder = await decoderFor(format, errorDetails);
    reader = new StreamReader(response, deployment.adapter.createStreamMapper(ctx), controller, {
      decoder,
      idleTimeoutMs: settings.idleTimeoutMs,
      limits: settings.limits,
      includeUsage: settings.includeUsage,
      cost: settings.cost,
      provider: deployment.provider,
      errorDetails,
    });
    const buffered: ChatCompletionChunk[] = [];
    for (;;) {
      const chunk = await reader.next();
      if (chunk === undefined) break;
      buffered.push(chunk);
      if (isMeaningful(chunk)) break;
    }
    return { reader, buffered };
  } catch (error) {
    if (reader !== undefined) reader.close();
    else controller.release();
    throw controller.aborted ? controller.reason : error;
  }
}
