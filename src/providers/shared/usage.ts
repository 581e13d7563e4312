import type { CompletionUsage } from '../../request/types.js';
import { isRecord, readCount, readNumber } from './json.js';

/** Token counts in the unified convention (DESIGN section 2), before they become `CompletionUsage`. */
export interface UsageCounts {
  /** All input tokens: uncached + cache reads + cache writes. */
  prompt: number;
  /** All output tokens, reasoning included. */
  completion: number;
  cacheRead?: number | undefined;
  cacheWrite?: number | undefined;
  promptAudio?: number | undefined;
  reasoning?: number | undefined;
  completionAudio?: number | undefined;
  acceptedPrediction?: number | undefined;
  rejectedPrediction?: number | undefined;
  /** A cost the provider reported itself (USD), else `null`. */
  cost?: number | null | undefined;
}

/**
 * Builds the unified usage object. `total_tokens` is always `prompt + completion`; detail fields
 * appear only when known, `cache_write_tokens` only when positive.
 */
export function buildUsage(counts: UsageCounts): CompletionUsage {
  const usage: CompletionUsage = {
    prompt_tokens: counts.prompt,
    completion_tokens: counts.completion,
    total_tokens: counts.prompt + counts.completion,
    cost: counts.cost ?? null,
  };
  const prompt: NonNullable<CompletionUsage['prompt_tokens_details']> = {};
  if (counts.cacheRead !== undefined) prompt.cached_tokens = counts.cacheRead;
  if (counts.cacheWrite !== undefined && counts.cacheWrite > 0) prompt.cache_write_tokens = counts.cacheWrite;
  if (counts.promptAudio !== undefined) prompt.audio_tokens = counts.promptAudio;
  if (Object.keys(prompt).length > 0) usage.prompt_tokens_details = prompt;
  const completion: NonNullable<CompletionUsage['completion_tokens_details']> = {};
  if (counts.reasoning !== undefined) completion.reasoning_tokens = counts.reasoning;
  if (counts.completionAudio !== undefined) completion.audio_tokens = counts.completionAudio;
  if (counts.acceptedPrediction !== undefined) completion.accepted_prediction_tokens = counts.acceptedPrediction;
  if (counts.rejectedPrediction !== undefined) completion.rejected_prediction_tokens = counts.rejectedPrediction;
  if (Object.keys(completion).length > 0) usage.completion_tokens_details = completion;
  return usage;
}

export interface OpenAIUsageOptions {
  /** xAI: `completion_tokens` excludes `reasoning_tokens`, so they are added. */
  completionExcludesReasoning?: boolean | undefined;
  /** OpenRouter: keep `usage.cost` (USD) as the provider-reported cost. */
  providerCost?: boolean | undefined;
}

/**
 * Normalizes an OpenAI-shaped `usage` object (OpenAI, Azure, Groq, xAI, DeepSeek, Mistral,
 * OpenRouter, Ollama `/v1`). `undefined` when `raw` is not a usage object.
 */
export function normalizeOpenAIUsage(raw: unknown, options: OpenAIUsageOptions = {}): CompletionUsage | undefined {
  if (!isRecord(raw)) return undefined;
  const promptDetails = isRecord(raw.prompt_tokens_details) ? raw.prompt_tokens_details : undefined;
  const completionDetails = isRecord(raw.completion_tokens_details) ? raw.completion_tokens_details : undefined;
  const reasoning = readCount(completionDetails?.reasoning_tokens);
  const completion = readCount(raw.completion_tokens) ?? 0;
  return buildUsage({
    prompt: readCount(raw.prompt_tokens) ?? 0,
    completion: options.completionExcludesReasoning ? completion + (reasoning ?? 0) : completion,
    // DeepSeek mirrors cache hits into prompt_tokens_details; older answers only have prompt_cache_hit_tokens.
    cacheRead: readCount(promptDetails?.cached_tokens) ?? readCount(raw.prompt_cache_hit_tokens),
    cacheWrite: readCount(promptDetails?.cache_write_tokens),
    promptAudio: positive(readCount(promptDetails?.audio_tokens)),
    reasoning,
    completionAudio: positive(readCount(completionDetails?.audio_tokens)),
    acceptedPrediction: positive(readCount(completionDetails?.accepted_prediction_tokens)),
    rejectedPrediction: positive(readCount(completionDetails?.rejected_prediction_tokens)),
    cost: options.providerCost ? providerCost(raw.cost) : null,
  });
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}

function providerCost(value: unknown): number | null {
  const cost = readNumber(value);
  return cost !== undefined && cost >= 0 ? cost : null;
}
