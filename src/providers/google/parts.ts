import { ContentPolicyError, InvalidResponseError } from '../../errors/classes.js';
import type { ChoiceLogprobs, FinishReason, ReasoningDetail, TokenLogprob, ToolCall } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { type FinishReasonTable, mapFinishReason } from '../shared/finish-reason.js';
import { isRecord, type JsonRecord, readNumber, readString, stringifyJson } from '../shared/json.js';
import { newToolCallId } from './ids.js';
import { REASONING_SIGNATURE_ID, signatureDetail, TEXT_SIGNATURE_ID } from './thinking.js';

/**
 * Gemini `finishReason` → OpenAI. `STOP` (and unknown reasons) become `tool_calls` when the
 * candidate called a function; a broken function call is an error (`InvalidResponseError`, retryable).
 */
export const GEMINI_FINISH_REASONS: FinishReasonTable = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
  IMAGE_RECITATION: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
  TOO_MANY_TOOL_CALLS: 'error',
};

/** What one candidate (or one stream fragment of it) carries, in unified terms. */
export interface CandidateParts {
  /** Non-thought text joined; `undefined` when there was no text part. */
  text: string | undefined;
  /** Thought text joined; `undefined` when there was no thought part. */
  reasoning: string | undefined;
  toolCalls: ToolCall[];
  /** Thought signatures, in part order (see `thinking.ts`). */
  signatures: ReasoningDetail[];
}

/** Kinds of output part that have no OpenAI equivalent (dropped with one warning per kind). */
const UNMAPPED = ['inlineData', 'fileData', 'executableCode', 'codeExecutionResult'] as const;

/** Reads a candidate's `content.parts`. Function calls get Gemini's id when it sends one, else a generated one. */
export function readParts(content: unknown, warn: (kind: string) => void, ctx: AdapterContext): CandidateParts {
  const out: CandidateParts = { text: undefined, reasoning: undefined, toolCalls: [], signatures: [] };
  const parts = isRecord(content) && Array.isArray(content.parts) ? content.parts : [];
  for (const part of parts) {
    if (!isRecord(part)) continue;
    const signature = readString(part.thoughtSignature);
    let at = TEXT_SIGNATURE_ID;
    if (isRecord(part.functionCall)) {
      const call = part.functionCall;
      const id = readString(call.id);
      const args = stringifyJson(isRecord(call.args) ? call.args : {});
      if (args === undefined) {
        throw new InvalidResponseError(`${ctx.provider}: function call arguments are nested too deeply`, { provider: ctx.provider, model: ctx.model });
      }
      const toolCall: ToolCall = {
        id: id !== undefined && id !== '' ? id : newToolCallId(),
        type: 'function',
        function: { name: readString(call.name) ?? '', arguments: args },
      };
      out.toolCalls.push(toolCall);
      at = toolCall.id;
    } else if (part.thought === true) {
      out.reasoning = (out.reasoning ?? '') + (readString(part.text) ?? '');
      at = REASONING_SIGNATURE_ID;
    } else if (typeof part.text === 'string') {
      out.text = (out.text ?? '') + part.text;
    } else {
      const kind = UNMAPPED.find((name) => part[name] !== undefined);
      if (kind !== undefined) warn(kind);
    }
    if (signature !== undefined && signature !== '') out.signatures.push(signatureDetail(signature, at));
  }
  return out;
}

/** The mapped finish reason of a candidate; throws for Gemini's function-call failures. */
export function finishReason(candidate: JsonRecord, hasToolCalls: boolean, ctx: AdapterContext): FinishReason | null {
  const raw = readString(candidate.finishReason);
  if (raw === undefined) return null;
  const mapped = mapFinishReason(raw, hasToolCalls, GEMINI_FINISH_REASONS);
  if (mapped !== 'error') return mapped;
  const detail = readString(candidate.finishMessage);
  return failFinish(raw, detail, ctx);
}

function failFinish(raw: string, detail: string | undefined, ctx: AdapterContext): never {
  throw new InvalidResponseError(`${ctx.provider}: the generation ended with finishReason "${raw}"${detail === undefined ? '' : `: ${detail}`}`, {
    provider: ctx.provider,
    model: ctx.model,
    providerCode: raw,
  });
}

/** A prompt Gemini refused to answer: `promptFeedback.blockReason` and no candidate. */
export function blockedPrompt(body: JsonRecord, ctx: AdapterContext): ContentPolicyError | undefined {
  const feedback = isRecord(body.promptFeedback) ? body.promptFeedback : undefined;
  const reason = readString(feedback?.blockReason);
  if (reason === undefined) return undefined;
  const detail = readString(feedback?.blockReasonMessage);
  return new ContentPolicyError(`${ctx.provider}: the prompt was blocked (${reason})${detail === undefined ? '' : `: ${detail}`}`, {
    provider: ctx.provider,
    model: ctx.model,
    providerCode: reason,
  });
}

function utf8(token: string): number[] {
  return Array.from(new TextEncoder().encode(token));
}

/** `logprobsResult` (`chosenCandidates` + `topCandidates`) → OpenAI `logprobs`, or `null`. */
export function mapLogprobs(raw: unknown): ChoiceLogprobs | null {
  if (!isRecord(raw) || !Array.isArray(raw.chosenCandidates)) return null;
  const top = Array.isArray(raw.topCandidates) ? raw.topCandidates : [];
  const content: TokenLogprob[] = [];
  raw.chosenCandidates.forEach((chosen, i) => {
    if (!isRecord(chosen)) return;
    const token = readString(chosen.token) ?? '';
    const alternatives = isRecord(top[i]) && Array.isArray(top[i].candidates) ? top[i].candidates : [];
    content.push({
      token,
      logprob: readNumber(chosen.logProbability) ?? 0,
      bytes: utf8(token),
      top_logprobs: alternatives.filter(isRecord).map((alt) => {
        const text = readString(alt.token) ?? '';
        return { token: text, logprob: readNumber(alt.logProbability) ?? 0, bytes: utf8(text) };
      }),
    });
  });
  return { content, refusal: null };
}

/** Warns once per kind of output part the unified shape cannot carry. */
export function unmappedWarner(ctx: AdapterContext): (kind: string) => void {
  const warned = new Set<string>();
  return (kind) => {
    if (warned.has(kind)) return;
    warned.add(kind);
    ctx.warn(`${ctx.provider}: Gemini returned a "${kind}" part, which has no chat-completion equivalent; it was dropped`);
  };
}
