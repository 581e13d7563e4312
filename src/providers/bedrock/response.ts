import { InvalidResponseError, ServerError } from '../../errors/classes.js';
import type { ChatCompletion, ChatCompletionMessage, CompletionUsage, FinishReason, ReasoningDetail, ToolCall } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { type FinishReasonTable, mapFinishReason } from '../shared/finish-reason.js';
import { isRecord, readCount, readString, stringifyJson } from '../shared/json.js';
import { buildUsage } from '../shared/usage.js';
import { CLAUDE_REASONING_FORMAT, modelFamily } from './request.js';

type Header = (name: string) => string | null;

/** Bedrock `stopReason` → OpenAI `finish_reason` (`error`: the generation failed). */
export const BEDROCK_FINISH_REASONS: FinishReasonTable = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
  malformed_model_output: 'error',
  malformed_tool_use: 'error',
};

/**
 * Maps a `stopReason`. `tool_use` with no tool call left (the model called only the
 * `response_format` tool, whose input became the content) is `stop`. A failed generation
 * (`malformed_model_output`, `malformed_tool_use`) is thrown as a retryable `ServerError`.
 */
export function mapStopReason(raw: string | undefined, hasToolCalls: boolean, ctx: AdapterContext): FinishReason {
  const finish = raw === 'tool_use' && !hasToolCalls ? 'stop' : mapFinishReason(raw, hasToolCalls, BEDROCK_FINISH_REASONS);
  if (finish === 'error') {
    throw new ServerError(`${ctx.provider}: the generation ended with stopReason "${raw ?? ''}"`, {
      provider: ctx.provider,
      model: ctx.model,
      providerCode: raw,
    });
  }
  return finish;
}

/**
 * Bedrock usage → unified. `inputTokens` excludes cache reads and writes (as Anthropic's), so
 * `prompt_tokens = inputTokens + cacheReadInputTokens + cacheWriteInputTokens`. Bedrock reports
 * no separate reasoning count: reasoning is inside `outputTokens`.
 */
export function bedrockUsage(raw: unknown): CompletionUsage | undefined {
  if (!isRecord(raw)) return undefined;
  const input = readCount(raw.inputTokens) ?? 0;
  const cacheRead = readCount(raw.cacheReadInputTokens);
  const cacheWrite = readCount(raw.cacheWriteInputTokens);
  return buildUsage({
    prompt: input + (cacheRead ?? 0) + (cacheWrite ?? 0),
    completion: readCount(raw.outputTokens) ?? 0,
    cacheRead,
    cacheWrite,
  });
}

/** `chatcmpl-<x-amzn-RequestId>` when known (non-streaming answers), else a random id. */
export function completionId(requestId?: string | null): string {
  if (requestId !== undefined && requestId !== null && requestId !== '') return `chatcmpl-${requestId}`;
  return `chatcmpl-${globalThis.crypto.randomUUID().replace(/-/g, '')}`;
}

function invalid(ctx: AdapterContext, what: string): InvalidResponseError {
  return new InvalidResponseError(`${ctx.provider}: invalid Converse response: ${what}`, { provider: ctx.provider, model: ctx.model });
}

/** The `format` of reasoning details: Claude's (as OpenRouter names it) for Claude models, none otherwise. */
export function reasoningFormat(model: string): string | undefined {
  return modelFamily(model) === 'anthropic' ? CLAUDE_REASONING_FORMAT : undefined;
}

/** A reasoning text detail (OpenRouter format). */
export function textDetail(text: string, signature: string | undefined, format: string | undefined): ReasoningDetail {
  const detail: Extract<ReasoningDetail, { type: 'reasoning.text' }> = { type: 'reasoning.text', text };
  if (signature !== undefined) detail.signature = signature;
  if (format !== undefined) detail.format = format;
  return detail;
}

/** A redacted reasoning detail (OpenRouter format). */
export function encryptedDetail(data: string, format: string | undefined): ReasoningDetail {
  const detail: Extract<ReasoningDetail, { type: 'reasoning.encrypted' }> = { type: 'reasoning.encrypted', data };
  if (format !== undefined) detail.format = format;
  return detail;
}

/** A `reasoningContent` block as a detail (text with its signature, or redacted content). */
function reasoningDetail(block: unknown, format: string | undefined): ReasoningDetail | undefined {
  if (!isRecord(block)) return undefined;
  if (isRecord(block.reasoningText)) {
    return textDetail(readString(block.reasoningText.text) ?? '', readString(block.reasoningText.signature), format);
  }
  const redacted = readString(block.redactedContent);
  return redacted === undefined ? undefined : encryptedDetail(redacted, format);
}

/**
 * Maps a Converse answer. `jsonTool` names the tool standing for `response_format`: its input
 * becomes the content instead of a tool call.
 */
export function parseConverseResponse(body: unknown, ctx: AdapterContext, header: Header, jsonTool: string | undefined): ChatCompletion {
  if (!isRecord(body)) throw invalid(ctx, 'the body is not a JSON object');
  const output = isRecord(body.output) ? body.output : undefined;
  const raw = isRecord(output?.message) ? output.message : undefined;
  if (raw === undefined || !Array.isArray(raw.content)) throw invalid(ctx, 'no output.message.content');

  const format = reasoningFormat(ctx.model);
  let text: string | null = null;
  let reasoning: string | null = null;
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of raw.content) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') {
      text = (text ?? '') + block.text;
    } else if (isRecord(block.toolUse)) {
      const use = block.toolUse;
      const name = readString(use.name) ?? '';
      const args = stringifyJson(use.input ?? {});
      if (args === undefined) throw invalid(ctx, 'tool input is nested too deeply');
      if (jsonTool !== undefined && name === jsonTool) {
        text = (text ?? '') + args;
        continue;
      }
      toolCalls.push({ id: readString(use.toolUseId) ?? `tooluse_${toolCalls.length}`, type: 'function', function: { name, arguments: args } });
    } else if (block.reasoningContent !== undefined) {
      const detail = reasoningDetail(block.reasoningContent, format);
      if (detail === undefined) continue;
      details.push(detail);
      if (detail.type === 'reasoning.text') reasoning = (reasoning ?? '') + detail.text;
    }
  }

  const message: ChatCompletionMessage = { role: 'assistant', content: text, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== null) message.reasoning_content = reasoning;
  if (details.length > 0) message.reasoning_details = details;

  let usage = bedrockUsage(body.usage);
  if (usage === undefined) {
    ctx.warn('the provider reported no usage: usage is zero and cost unknown');
    usage = buildUsage({ prompt: 0, completion: 0 });
  }
  return {
    id: completionId(header('x-amzn-requestid')),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: ctx.model,
    choices: [{ index: 0, message, finish_reason: mapStopReason(readString(body.stopReason), toolCalls.length > 0, ctx), logprobs: null }],
    usage,
    provider: ctx.provider,
  };
}
