/**
 * A cheap token estimate of a request, for budget reservations and the `cost` routing strategy
 * (no tokenizer: a tokenizer per provider would be megabytes and still not exact).
 *
 * - Text: ASCII characters / 4 (English and code average 3.5–4.5 characters per token), plus one
 *   token per non-ASCII UTF-16 unit (CJK is about one token per character; accents and emoji
 *   count high, which errs on the safe side).
 * - Each message: +4 tokens of framing (role, separators), +3 for the reply's priming.
 * - Images: a flat 1 600 tokens each, whatever the `detail` (Anthropic's cost of a ~1.15 MP image,
 *   above OpenAI's 1 105 for a high-detail 1024×1024 and Gemini's 258 per tile).
 *   Audio and file parts: a flat 1 600 as well — a rough figure: a long recording or a many-page
 *   PDF costs far more; pass `audioTokens` / `fileTokens` to budget for them.
 * - Tools and a JSON-schema `response_format`: their JSON text, as text.
 * - Assistant `tool_calls` (name and arguments) and `reasoning_content` count as text.
 * - The sum is raised by a 10 % margin (`margin`), rounded up.
 *
 * It over- rather than under-estimates typical prompts, which is what a reservation wants; the
 * actual cost, from the provider's usage, always replaces it.
 */
import type { ChatCompletionCreateParamsBase, ChatMessage, UserContentPart } from '../request/types.js';
import { estimateCost, type CacheWriteTtl, type CostOptions } from './cost.js';
import type { ModelInfo } from './types.js';

export const IMAGE_TOKEN_ESTIMATE = 1600;
export const AUDIO_TOKEN_ESTIMATE = 1600;
export const FILE_TOKEN_ESTIMATE = 1600;
export const MESSAGE_OVERHEAD_TOKENS = 4;
export const REPLY_PRIMING_TOKENS = 3;
export const ESTIMATE_MARGIN = 0.1;
/** Output budget when neither the request nor the catalog gives a maximum. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

export interface TokenEstimateOptions {
  imageTokens?: number;
  audioTokens?: number;
  fileTokens?: number;
  /** Fraction added to the raw estimate (default 0.1). */
  margin?: number;
}

export type EstimatableRequest = Pick<ChatCompletionCreateParamsBase, 'messages'> &
  Partial<Pick<ChatCompletionCreateParamsBase, 'tools' | 'response_format' | 'max_tokens' | 'max_completion_tokens' | 'n'>>;

/** Estimated tokens of a piece of text (no margin). */
export function estimateTextTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

function partTokens(part: UserContentPart, options: TokenEstimateOptions): number {
  switch (part.type) {
    case 'text':
      return estimateTextTokens(part.text);
    case 'image_url':
      return options.imageTokens ?? IMAGE_TOKEN_ESTIMATE;
    case 'input_audio':
      return options.audioTokens ?? AUDIO_TOKEN_ESTIMATE;
    case 'file':
      return options.fileTokens ?? FILE_TOKEN_ESTIMATE;
    default:
      return 0;
  }
}

function contentTokens(content: string | ReadonlyArray<UserContentPart> | null | undefined, options: TokenEstimateOptions): number {
  if (content == null) return 0;
  if (typeof content === 'string') return estimateTextTokens(content);
  let sum = 0;
  for (const part of content) sum += partTokens(part, options);
  return sum;
}

function messageTokens(message: ChatMessage, options: TokenEstimateOptions): number {
  let sum = MESSAGE_OVERHEAD_TOKENS + contentTokens(message.content as string | UserContentPart[] | null | undefined, options);
  if ('name' in message && message.name) sum += estimateTextTokens(message.name);
  if (message.role === 'assistant') {
    for (const call of message.tool_calls ?? []) sum += estimateTextTokens(call.function.name) + estimateTextTokens(call.function.arguments);
    if (message.reasoning_content) sum += estimateTextTokens(message.reasoning_content);
    if (message.refusal) sum += estimateTextTokens(message.refusal);
  }
  return sum;
}

/** Estimated input tokens of a request (messages, tools, response schema), margin included. */
export function estimateInputTokens(request: EstimatableRequest, options: TokenEstimateOptions = {}): number {
  let raw = REPLY_PRIMING_TOKENS;
  for (const message of request.messages) raw += messageTokens(message, options);
  if (request.tools && request.tools.length > 0) raw += estimateTextTokens(JSON.stringify(request.tools));
  if (request.response_format?.type === 'json_schema') raw += estimateTextTokens(JSON.stringify(request.response_format.json_schema));
  return Math.ceil(raw * (1 + (options.margin ?? ESTIMATE_MARGIN)));
}

/**
 * Output tokens to budget for: `max_completion_tokens` ?? `max_tokens`, else the model's
 * maximum output, else 4 096; times `n`.
 */
export function estimateOutputTokens(request: EstimatableRequest, info?: Pick<ModelInfo, 'maxOutput'>): number {
  const max = request.max_completion_tokens ?? request.max_tokens ?? info?.maxOutput ?? DEFAULT_MAX_OUTPUT_TOKENS;
  return Math.max(0, Math.ceil(max)) * Math.max(1, Math.floor(request.n ?? 1));
}

/** The TTL of the request's explicit cache breakpoints (`cache_control`), if it has any. */
export function cacheControlTtl(request: Pick<EstimatableRequest, 'messages'>): CacheWriteTtl | undefined {
  let ttl: CacheWriteTtl | undefined;
  for (const message of request.messages) {
    if (typeof message.content !== 'object' || message.content === null) continue;
    for (const part of message.content) {
      if (part.type !== 'text' || !part.cache_control) continue;
      if (part.cache_control.ttl === '1h') return '1h';
      ttl = '5m';
    }
  }
  return ttl;
}

/**
 * Worst-case USD of a request before it is sent: estimated input + output budget, no cache
 * reads; when the request sets `cache_control` breakpoints, every input token is priced as a
 * cache write (at the 1-hour price if any breakpoint asks for `ttl: '1h'`), since writes cost
 * more than plain input (Anthropic: 1.25× and 2×).
 */
export function estimateRequestCost(
  request: EstimatableRequest,
  info: Pick<ModelInfo, 'price' | 'maxOutput'>,
  options: TokenEstimateOptions & CostOptions = {},
): number {
  const inputTokens = estimateInputTokens(request, options);
  const marked = cacheControlTtl(request);
  const ttl = marked && (options.cacheWriteTtl ?? marked);
  return estimateCost(
    {
      inputTokens,
      outputTokens: estimateOutputTokens(request, info),
      ...(ttl ? { cacheWriteTokens: inputTokens } : {}),
    },
    info.price,
    ttl ? { cacheWriteTtl: ttl } : {},
  );
}
