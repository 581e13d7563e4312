import type { ReasoningDetail, ReasoningEffort } from '../../request/types.js';
import type { JsonRecord } from '../shared/json.js';

/** What the adapter needs to know about a model id (the `models/` prefix already removed). */
export interface ModelTraits {
  /** Gemini 3 and later: `thinkingLevel`, thought signatures enforced on function calls. */
  readonly thinkingLevels: boolean;
  /** Gemini 2.5 Pro: thinking cannot be turned off (minimum budget 128). */
  readonly alwaysThinks: boolean;
  /** Gemini 1.x / 2.0 and Gemma: no thinking at all. */
  readonly noThinking: boolean;
  /** Gemma: no system instruction (it is prepended to the first user turn). */
  readonly noSystemInstruction: boolean;
}

export function modelTraits(model: string): ModelTraits {
  const id = model.replace(/^(models|tunedModels)\//, '').toLowerCase();
  const gemma = id.startsWith('gemma-');
  return {
    thinkingLevels: /^gemini-([3-9]|\d\d)/.test(id),
    alwaysThinks: /^gemini-2\.5-pro/.test(id),
    noThinking: gemma || /^gemini-(1\.|2\.0)/.test(id),
    noSystemInstruction: gemma,
  };
}

/**
 * `reasoning_effort` → `thinkingBudget` for Gemini 2.5 (and other budget-based models). The
 * values are valid for every 2.5 model (Flash-Lite's minimum is 512, Flash's maximum 24 576).
 */
export const THINKING_BUDGETS: Readonly<Record<Exclude<ReasoningEffort, 'none'>, number>> = {
  minimal: 512,
  low: 2048,
  medium: 8192,
  high: 24576,
  xhigh: 24576,
};
/** 2.5 Pro goes to 32 768 and cannot go below 128. */
const PRO_XHIGH_BUDGET = 32768;
const PRO_MIN_BUDGET = 128;

/** `reasoning_effort` → `thinkingLevel` for Gemini 3: levels as named, `xhigh` → `high`, `none` → `minimal`. */
export const THINKING_LEVELS: Readonly<Record<ReasoningEffort, string>> = {
  none: 'minimal',
  minimal: 'minimal',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
};

/**
 * `generationConfig.thinkingConfig` for a `reasoning_effort`, or `undefined` when none is sent.
 * Thoughts are asked for (`includeThoughts: true`) whenever thinking is on, so they come back as
 * `reasoning_content`.
 */
export function thinkingConfig(effort: ReasoningEffort, traits: ModelTraits, warn: (message: string) => void): JsonRecord | undefined {
  if (traits.noThinking) {
    warn('this Gemini model does not think: "reasoning_effort" was not sent');
    return undefined;
  }
  if (traits.thinkingLevels) {
    if (effort === 'none') warn('Gemini 3 models cannot turn thinking off: "reasoning_effort": "none" was sent as thinkingLevel "minimal"');
    return { thinkingLevel: THINKING_LEVELS[effort], includeThoughts: true };
  }
  if (effort === 'none') {
    if (!traits.alwaysThinks) return { thinkingBudget: 0 };
    warn(`Gemini 2.5 Pro cannot turn thinking off: "reasoning_effort": "none" was sent as the minimum thinkingBudget ${PRO_MIN_BUDGET}`);
    return { thinkingBudget: PRO_MIN_BUDGET, includeThoughts: true };
  }
  const budget = effort === 'xhigh' && traits.alwaysThinks ? PRO_XHIGH_BUDGET : THINKING_BUDGETS[effort];
  return { thinkingBudget: budget, includeThoughts: true };
}

/**
 * Thought signatures travel as OpenRouter-format `reasoning.encrypted` details:
 * `{ type: 'reasoning.encrypted', data: <thoughtSignature>, id: <where>, format: 'google-gemini-v1' }`
 * where `id` names the part the signature came on: the tool call's id for a `functionCall` part,
 * `'text'` for a text part, `'reasoning'` for a thought part. Replayed, each goes back on the same
 * kind of part: the function call with that id, the (joined) text part, the thought part.
 */
export const SIGNATURE_FORMAT = 'google-gemini-v1';
export const TEXT_SIGNATURE_ID = 'text';
export const REASONING_SIGNATURE_ID = 'reasoning';
/** Google's documented value for function calls whose signature is unknown (history from another model). */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

export function signatureDetail(signature: string, id: string): ReasoningDetail {
  return { type: 'reasoning.encrypted', data: signature, id, format: SIGNATURE_FORMAT };
}

/**
 * The signatures on a replayed assistant message, by part id. Only `google-gemini-v1` entries are
 * read (details from other providers are never sent to Gemini); a later entry for an id wins.
 */
export function readSignatures(details: readonly ReasoningDetail[] | undefined): Map<string, string> {
  const signatures = new Map<string, string>();
  for (const detail of details ?? []) {
    if (detail.type !== 'reasoning.encrypted' || detail.format !== SIGNATURE_FORMAT) continue;
    if (typeof detail.id !== 'string' || typeof detail.data !== 'string' || detail.data === '') continue;
    signatures.set(detail.id, detail.data);
  }
  return signatures;
}
