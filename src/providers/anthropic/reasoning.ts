import type { ReasoningDetail, ReasoningEffort } from '../../request/types.js';
import type { JsonRecord } from '../shared/json.js';
import { ADAPTIVE_EFFORTS, MIN_THINKING_BUDGET as MIN_BUDGET, THINKING_BUDGETS, usesAdaptiveThinking } from '../shared/claude-models.js';

/** The `format` of the `reasoning_details` this adapter produces, as OpenRouter names Claude's. */
export const CLAUDE_REASONING_FORMAT = 'anthropic-claude-v1';


export interface ThinkingPlan {
  thinking: JsonRecord;
  /** `output_config.effort`, for adaptive thinking. */
  effort?: string;
  /** `max_tokens` to send. */
  maxTokens: number;
}

/**
 * Turns `reasoning_effort` into Anthropic's thinking settings; `undefined` for no thinking.
 * Budgeted thinking needs `budget_tokens < max_tokens`:
 * - with the caller's `max_tokens` at or below the budget, `max_tokens` is raised to
 *   `budget + max_tokens`, so the answer keeps the room the caller asked for;
 * - with the model's default `max_tokens`, the budget is lowered to leave at least 4096 tokens
 *   (never below 1024) for the answer.
 */
export function planThinking(
  effort: ReasoningEffort | null | undefined,
  model: string,
  maxTokens: number,
  callerMaxTokens: boolean,
): ThinkingPlan | undefined {
  if (effort == null || effort === 'none') return undefined;
  if (usesAdaptiveThinking(model)) return { thinking: { type: 'adaptive' }, effort: ADAPTIVE_EFFORTS[effort], maxTokens };
  let budget = THINKING_BUDGETS[effort];
  if (callerMaxTokens) {
    return { thinking: { type: 'enabled', budget_tokens: budget }, maxTokens: maxTokens <= budget ? budget + maxTokens : maxTokens };
  }
  if (budget > maxTokens - 4096) budget = Math.max(MIN_BUDGET, maxTokens - 4096);
  return { thinking: { type: 'enabled', budget_tokens: budget }, maxTokens };
}

/**
 * The Anthropic block for one replayed reasoning detail, or `undefined` when it cannot be sent
 * back: a detail of another provider's format, a summary, or thinking text without a signature
 * (Anthropic rejects unsigned thinking blocks).
 */
export function thinkingBlock(detail: ReasoningDetail): JsonRecord | undefined {
  if (detail.format !== undefined && detail.format !== CLAUDE_REASONING_FORMAT) return undefined;
  if (detail.type === 'reasoning.text') {
    if (typeof detail.signature !== 'string' || detail.signature === '') return undefined;
    return { type: 'thinking', thinking: detail.text, signature: detail.signature };
  }
  if (detail.type === 'reasoning.encrypted') return { type: 'redacted_thinking', data: detail.data };
  return undefined;
}

/** A `reasoning.text` detail for a thinking block. */
export function textDetail(text: string, signature: string | undefined, index: number): ReasoningDetail {
  const detail: Extract<ReasoningDetail, { type: 'reasoning.text' }> = { type: 'reasoning.text', text, format: CLAUDE_REASONING_FORMAT, index };
  if (signature !== undefined) detail.signature = signature;
  return detail;
}

/** A `reasoning.encrypted` detail for a redacted thinking block. */
export function encryptedDetail(data: string, index: number): ReasoningDetail {
  return { type: 'reasoning.encrypted', data, format: CLAUDE_REASONING_FORMAT, index };
}
