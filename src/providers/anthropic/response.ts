import { InvalidResponseError } from '../../errors/classes.js';
import type { ChatCompletion, ChatCompletionMessage, CompletionUsage, FinishReason, ReasoningDetail, ToolCall } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { type FinishReasonTable, mapFinishReason } from '../shared/finish-reason.js';
import { isRecord, type JsonRecord, readCount, readString, stringifyJson } from '../shared/json.js';
import { buildUsage } from '../shared/usage.js';
import { parseInBandError } from './errors.js';
import { encryptedDetail, textDetail } from './reasoning.js';

type Header = (name: string) => string | null;

/**
 * Anthropic `stop_reason` → OpenAI `finish_reason`. `pause_turn` (a server-tool loop paused; the
 * caller resends the conversation to continue) is `stop`.
 */
export const ANTHROPIC_FINISH_REASONS: FinishReasonTable = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

export function mapStopReason(raw: string | null | undefined, hasToolCalls: boolean): FinishReason {
  const mapped = mapFinishReason(raw, hasToolCalls, ANTHROPIC_FINISH_REASONS);
  return mapped === 'error' ? 'stop' : mapped;
}

/**
 * Anthropic usage → unified. `input_tokens` excludes cache reads and writes, so
 * `prompt_tokens = input + cache reads + cache writes`; cache writes are
 * `cache_creation_input_tokens` (the total of the 5m and 1h writes; the `cache_creation` split is
 * summed when the total is absent); `output_tokens` already includes thinking.
 */
export function anthropicUsage(raw: JsonRecord): CompletionUsage {
  const split = isRecord(raw.cache_creation) ? raw.cache_creation : undefined;
  const splitTotal =
    split === undefined ? undefined : (readCount(split.ephemeral_5m_input_tokens) ?? 0) + (readCount(split.ephemeral_1h_input_tokens) ?? 0);
  const cacheWrite = readCount(raw.cache_creation_input_tokens) ?? splitTotal ?? 0;
  const cacheRead = readCount(raw.cache_read_input_tokens) ?? 0;
  const details = isRecord(raw.output_tokens_details) ? raw.output_tokens_details : undefined;
  return buildUsage({
    prompt: (readCount(raw.input_tokens) ?? 0) + cacheRead + cacheWrite,
    completion: readCount(raw.output_tokens) ?? 0,
    cacheRead,
    cacheWrite,
    reasoning: readCount(details?.thinking_tokens),
  });
}

function invalid(ctx: AdapterContext, what: string): InvalidResponseError {
  return new InvalidResponseError(`${ctx.provider}: invalid message: ${what}`, { provider: ctx.provider, model: ctx.model });
}

/** Tool input → arguments JSON; `{}` for an empty or missing input. */
export function toolArguments(input: unknown, ctx: AdapterContext): string {
  if (!isRecord(input)) return '{}';
  const text = stringifyJson(input);
  if (text === undefined) throw invalid(ctx, 'tool input is nested too deeply');
  return text;
}

function mapContent(blocks: unknown[], ctx: AdapterContext): { message: ChatCompletionMessage; toolCalls: number } {
  let text: string | null = null;
  let reasoning: string | null = null;
  const details: ReasoningDetail[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    switch (block.type) {
      case 'text':
        text = (text ?? '') + (readString(block.text) ?? '');
        break;
      case 'tool_use':
        toolCalls.push({
          id: readString(block.id) ?? `toolu_${toolCalls.length}`,
          type: 'function',
          function: { name: readString(block.name) ?? '', arguments: toolArguments(block.input, ctx) },
        });
        break;
      case 'thinking': {
        const thinking = readString(block.thinking) ?? '';
        reasoning = (reasoning ?? '') + thinking;
        details.push(textDetail(thinking, readString(block.signature), details.length));
        break;
      }
      case 'redacted_thinking':
        details.push(encryptedDetail(readString(block.data) ?? '', details.length));
        break;
      // Server-tool blocks (server_tool_use, web_search_tool_result, …) have no OpenAI equivalent.
    }
  }
  const message: ChatCompletionMessage = { role: 'assistant', content: text, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== null) message.reasoning_content = reasoning;
  if (details.length > 0) message.reasoning_details = details;
  return { message, toolCalls: toolCalls.length };
}

/** The type requires usage; a provider that sent none gets zeros and a warning, never a silent zero. */
function missingUsage(ctx: AdapterContext): CompletionUsage {
  ctx.warn('the provider reported no usage: usage is zero and cost unknown');
  return buildUsage({ prompt: 0, completion: 0 });
}

/**
 * Maps a Messages API answer to a `ChatCompletion`, field by field: text blocks joined into
 * `content` (`null` when there is none), `tool_use` → `tool_calls`, `thinking` →
 * `reasoning_content` plus `reasoning_details` (with its signature), `redacted_thinking` →
 * `reasoning.encrypted`. A 2xx body that is an error object is thrown as its typed error.
 */
export function parseMessage(body: unknown, ctx: AdapterContext, header: Header): ChatCompletion {
  if (!isRecord(body)) throw invalid(ctx, 'the body is not a JSON object');
  if (body.type === 'error') throw parseInBandError(body, header, ctx);
  if (!Array.isArray(body.content)) throw invalid(ctx, 'no "content" array');
  const { message, toolCalls } = mapContent(body.content, ctx);
  return {
    id: readString(body.id) ?? '',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: readString(body.model) ?? ctx.model,
    choices: [{ index: 0, message, finish_reason: mapStopReason(readString(body.stop_reason), toolCalls > 0), logprobs: null }],
    usage: isRecord(body.usage) ? anthropicUsage(body.usage) : missingUsage(ctx),
    provider: ctx.provider,
  };
}
