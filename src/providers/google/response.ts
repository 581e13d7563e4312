import { InvalidResponseError } from '../../errors/classes.js';
import type { ChatCompletion, ChatCompletionChoice, ChatCompletionMessage } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { isRecord, type JsonRecord, readNumber, readString } from '../shared/json.js';
import { buildUsage } from '../shared/usage.js';
import { parseInBandError } from './errors.js';
import { mapGrounding } from './grounding.js';
import { newCompletionId } from './ids.js';
import { blockedPrompt, finishReason, mapLogprobs, readParts, unmappedWarner } from './parts.js';
import { mapUsage } from './usage.js';

type Header = (name: string) => string | null;

function invalid(ctx: AdapterContext, what: string): InvalidResponseError {
  return new InvalidResponseError(`${ctx.provider}: invalid generateContent answer: ${what}`, { provider: ctx.provider, model: ctx.model });
}

/** `createTime` (Vertex) in epoch seconds, else now. */
export function createdAt(body: JsonRecord): number {
  const time = readString(body.createTime);
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

function mapCandidate(raw: unknown, position: number, ctx: AdapterContext, warn: (kind: string) => void): ChatCompletionChoice {
  if (!isRecord(raw)) throw invalid(ctx, `candidates[${position}] is not an object`);
  const parts = readParts(raw.content, warn, ctx);
  const message: ChatCompletionMessage = {
    role: 'assistant',
    // No text (a tool-call-only turn, a filtered answer) is null; empty signature-only text too when there are calls.
    content: parts.text === undefined || (parts.text === '' && parts.toolCalls.length > 0) ? null : parts.text,
    refusal: null,
  };
  if (parts.toolCalls.length > 0) message.tool_calls = parts.toolCalls;
  if (parts.reasoning !== undefined) message.reasoning_content = parts.reasoning;
  if (parts.signatures.length > 0) message.reasoning_details = parts.signatures;
  const annotations = mapGrounding(raw.groundingMetadata, parts.text);
  if (annotations !== undefined) message.annotations = annotations;
  return {
    index: readNumber(raw.index) ?? position,
    message,
    // A candidate always ends in a non-stream answer; a missing reason is a plain stop.
    finish_reason: finishReason(raw, parts.toolCalls.length > 0, ctx) ?? (parts.toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    logprobs: mapLogprobs(raw.logprobsResult),
  };
}

/**
 * A `generateContent` answer → `ChatCompletion`, field by field. Each candidate is a choice;
 * a body carrying `error` is thrown as its typed error; a blocked prompt (no candidates,
 * `promptFeedback.blockReason`) is a `ContentPolicyError`.
 */
export function parseGenerateContent(body: unknown, ctx: AdapterContext, header: Header): ChatCompletion {
  if (!isRecord(body)) throw invalid(ctx, 'the body is not a JSON object');
  if (isRecord(body.error)) throw parseInBandError(body, ctx, header);
  const candidates = Array.isArray(body.candidates) ? body.candidates : [];
  if (candidates.length === 0) throw blockedPrompt(body, ctx) ?? invalid(ctx, 'no candidates');
  const warn = unmappedWarner(ctx);
  let usage = mapUsage(body.usageMetadata);
  if (usage === undefined) {
    ctx.warn('the provider reported no usage: usage is zero and cost unknown');
    usage = buildUsage({ prompt: 0, completion: 0 });
  }
  return {
    id: readString(body.responseId) ?? newCompletionId(),
    object: 'chat.completion',
    created: createdAt(body),
    model: readString(body.modelVersion) ?? ctx.model,
    choices: candidates.map((candidate, i) => mapCandidate(candidate, i, ctx, warn)),
    usage,
    provider: ctx.provider,
  };
}
