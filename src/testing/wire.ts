/**
 * OpenAI's wire format, as the mock provider sends it: a `chat.completion` body, or the
 * `chat.completion.chunk` events of a stream (role chunk, content chunks, tool-call argument
 * fragments, finish chunk, usage chunk, `[DONE]`).
 */
import { estimateTextTokens } from '../pricing/estimate.js';
import type { MockToolCall, MockUsage } from './types.js';

/** The answer a step resolves to, whatever step it came from. */
export interface Answer {
  text: string | undefined;
  reasoning: string | undefined;
  toolCalls: MockToolCall[];
  usage: MockUsage | undefined;
  finishReason: string;
}

/** One SSE event; `content` when it carries part of the answer (what fault steps count). */
export interface WireEvent {
  data: string;
  content: boolean;
}

export interface WireMeta {
  id: string;
  model: string;
  created: number;
}

type Json = Record<string, unknown>;

/** The text of a message's content (string, or text parts). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (typeof part === 'object' && part !== null && typeof (part as Json).text === 'string' ? ((part as Json).text as string) : ''))
    .join('');
}

/** The last user message's text, or `''`. */
export function lastUserText(body: Json): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === 'user') return contentText(message.content);
  }
  return '';
}

/** The default answer: a short echo of the prompt. */
export function echoText(body: Json): string {
  const prompt = lastUserText(body).replace(/\s+/g, ' ').trim();
  if (prompt === '') return 'Hello from the mock provider.';
  const excerpt = prompt.length > 80 ? `${prompt.slice(0, 77)}...` : prompt;
  return `You said: "${excerpt}". This is a short answer from the mock provider.`;
}

/** Splits text into token-sized pieces: one word per chunk with its leading space, long words cut. */
export function splitText(text: string): string[] {
  const pieces: string[] = [];
  for (const word of text.match(/\s*\S+|\s+/g) ?? []) {
    if (word.length <= 12) {
      pieces.push(word);
      continue;
    }
    for (let i = 0; i < word.length; i += 8) pieces.push(word.slice(i, i + 8));
  }
  return pieces;
}

/** Splits a tool call's JSON arguments into fragments, as providers stream them (at least two when long enough). */
export function splitArguments(args: string): string[] {
  if (args.length <= 1) return [args];
  const size = Math.max(1, Math.min(8, Math.ceil(args.length / 2)));
  const out: string[] = [];
  for (let i = 0; i < args.length; i += size) out.push(args.slice(i, i + size));
  return out;
}

export function argumentsText(call: MockToolCall): string {
  if (call.arguments === undefined) return '{}';
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

function promptTokens(body: Json): number {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  let tokens = 3;
  for (const message of messages) tokens += 4 + estimateTextTokens(contentText(message?.content));
  if (Array.isArray(body.tools)) tokens += estimateTextTokens(JSON.stringify(body.tools));
  return tokens;
}

/** Usage in OpenAI's shape: the step's counts, else estimates from the request and the answer. */
export function usageOf(answer: Answer, body: Json): Json {
  const prompt = answer.usage?.prompt_tokens ?? promptTokens(body);
  const reasoning = answer.reasoning === undefined ? 0 : estimateTextTokens(answer.reasoning);
  const estimatedOutput =
    estimateTextTokens(answer.text ?? '') + reasoning + answer.toolCalls.reduce((sum, call) => sum + estimateTextTokens(call.name + argumentsText(call)) + 3, 0);
  const completion = answer.usage?.completion_tokens ?? Math.max(1, estimatedOutput);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: answer.usage?.cached_tokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function toolCallsOf(answer: Answer, meta: WireMeta): Json[] {
  return answer.toolCalls.map((call, index) => ({
    id: call.id ?? `call_${meta.id.slice(-8)}_${index}`,
    type: 'function',
    function: { name: call.name, arguments: argumentsText(call) },
  }));
}

/** A whole `chat.completion` body. */
export function completionBody(answer: Answer, body: Json, meta: WireMeta): Json {
  const message: Json = { role: 'assistant', content: answer.text ?? null, refusal: null, annotations: [] };
  if (answer.reasoning !== undefined) message.reasoning_content = answer.reasoning;
  if (answer.toolCalls.length > 0) message.tool_calls = toolCallsOf(answer, meta);
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: answer.finishReason }],
    usage: usageOf(answer, body),
    service_tier: 'default',
    system_fingerprint: 'fp_mock',
  };
}

/** The events of a streamed answer, `[DONE]` included; usage only when the request asked for it, as OpenAI does. */
export function streamEvents(answer: Answer, body: Json, meta: WireMeta): WireEvent[] {
  const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
  const frame = (choices: Json[], usage: Json | null): string =>
    JSON.stringify({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      service_tier: 'default',
      system_fingerprint: 'fp_mock',
      choices,
      ...(includeUsage ? { usage } : {}),
    });
  const chunk = (delta: Json, finish: string | null = null): string => frame([{ index: 0, delta, logprobs: null, finish_reason: finish }], null);
  const events: WireEvent[] = [{ data: chunk({ role: 'assistant', content: '', refusal: null }), content: false }];
  for (const piece of answer.reasoning === undefined ? [] : splitText(answer.reasoning)) {
    events.push({ data: chunk({ reasoning_content: piece }), content: true });
  }
  for (const piece of answer.text === undefined ? [] : splitText(answer.text)) events.push({ data: chunk({ content: piece }), content: true });
  toolCallsOf(answer, meta).forEach((call, index) => {
    const fn = call.function as { name: string; arguments: string };
    events.push({ data: chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: fn.name, arguments: '' } }] }), content: true });
    for (const fragment of splitArguments(fn.arguments)) events.push({ data: chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }), content: true });
  });
  events.push({ data: chunk({}, answer.finishReason), content: false });
  if (includeUsage) {
    events.push({ data: frame([], usageOf(answer, body)), content: false });
  }
  events.push({ data: '[DONE]', content: false });
  return events;
}

/** An error object as OpenAI sends it. */
export function errorObject(status: number | undefined, error: { message?: string; type?: string; code?: string | number | null; param?: string | null } = {}): Json {
  const defaults = defaultError(status);
  return {
    error: {
      message: error.message ?? defaults.message,
      type: error.type ?? defaults.type,
      param: error.param ?? null,
      code: error.code === undefined ? defaults.code : error.code,
    },
  };
}

function defaultError(status: number | undefined): { message: string; type: string; code: string | number | null } {
  switch (status) {
    case undefined:
      return { message: 'The server had an error while processing your request.', type: 'server_error', code: 502 };
    case 400:
      return { message: 'Invalid request.', type: 'invalid_request_error', code: null };
    case 401:
      return { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' };
    case 403:
      return { message: 'You are not allowed to use this model.', type: 'invalid_request_error', code: null };
    case 404:
      return { message: 'The model does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' };
    case 429:
      return { message: 'Rate limit reached for requests.', type: 'requests', code: 'rate_limit_exceeded' };
    case 529:
      return { message: 'Overloaded', type: 'overloaded_error', code: null };
    case 503:
      return { message: 'Service unavailable.', type: 'server_error', code: null };
  }
  return status >= 500
    ? { message: 'The server had an error while processing your request.', type: 'server_error', code: null }
    : { message: `Request failed with status ${status}.`, type: 'invalid_request_error', code: null };
}
