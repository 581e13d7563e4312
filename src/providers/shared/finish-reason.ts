import type { FinishReason } from '../../request/types.js';

/** A provider's finish reason mapped to OpenAI's, or `error` when the provider reports a failure. */
export type FinishReasonTable = Readonly<Record<string, FinishReason | 'error'>>;

/** OpenAI-compatible providers (OpenAI, Azure, Groq, xAI, DeepSeek, Mistral, OpenRouter, Ollama `/v1`). */
export const OPENAI_FINISH_REASONS: FinishReasonTable = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
  content_filter: 'content_filter',
  function_call: 'function_call',
  model_length: 'length', // Mistral
  insufficient_system_resource: 'error', // DeepSeek: output cut by capacity
  error: 'error', // Mistral, OpenRouter (mid-stream)
};

/**
 * Maps a raw finish reason. Unknown or absent reasons are `stop`; `stop` (or unknown) on a message
 * that carries tool calls is `tool_calls`, as vercel/ai and OpenRouter's SDK do.
 */
export function mapFinishReason(
  raw: string | null | undefined,
  hasToolCalls: boolean,
  table: FinishReasonTable = OPENAI_FINISH_REASONS,
): FinishReason | 'error' {
  // Own keys only: a raw reason such as `constructor` must not find Object.prototype's members.
  const mapped = raw == null || !Object.hasOwn(table, raw) ? undefined : table[raw];
  if (mapped === 'error') return 'error';
  if (mapped === undefined || mapped === 'stop') return hasToolCalls ? 'tool_calls' : 'stop';
  return mapped;
}
