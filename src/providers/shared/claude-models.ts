import type { ReasoningEffort } from '../../request/types.js';

/**
 * What an adapter needs to know about a Claude model from its id alone, shared by the Anthropic
 * and Bedrock adapters. Ids come in two namings: `claude-3-5-haiku-…` (version first) and
 * `claude-haiku-4-5-…` (family first), possibly behind a vendor or inference-profile prefix
 * (`anthropic.`, `us.anthropic.`); a trailing `-YYYYMMDD` is a snapshot date.
 */

export interface ClaudeModel {
  family: 'opus' | 'sonnet' | 'haiku';
  major: number;
  minor: number;
}

/** Parses a Claude model id; `undefined` for ids of another shape. */
export function parseClaudeModel(model: string): ClaudeModel | undefined {
  const id = model.toLowerCase();
  const familyFirst = /(?:^|[./])claude-(opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?=$|[-@.:])/.exec(id);
  if (familyFirst !== null) {
    return { family: familyFirst[1] as ClaudeModel['family'], major: Number(familyFirst[2]), minor: Number(familyFirst[3] ?? 0) };
  }
  const versionFirst = /(?:^|[./])claude-(\d+)(?:-(\d{1,2}))?-(opus|sonnet|haiku)(?=$|[-@.:])/.exec(id);
  if (versionFirst !== null) {
    return { family: versionFirst[3] as ClaudeModel['family'], major: Number(versionFirst[1]), minor: Number(versionFirst[2] ?? 0) };
  }
  return undefined;
}

function atLeast(model: ClaudeModel, major: number, minor: number): boolean {
  return model.major > major || (model.major === major && model.minor >= minor);
}

/** `max_tokens` for a request that set none (Anthropic requires it and has no server default). */
export const UNKNOWN_MODEL_MAX_TOKENS = 4096;

/**
 * The default `max_tokens`: each model's documented output limit (for the 4.6+ generation, the
 * 64 000 every member supports), else 4096.
 *
 * | model | default |
 * |---|---|
 * | claude-3-haiku, claude-3-opus | 4096 |
 * | claude-3-5-haiku, claude-3-5-sonnet | 8192 |
 * | claude-3-7-sonnet, claude-sonnet-4*, claude-haiku-4-5 | 64000 |
 * | claude-opus-4, claude-opus-4-1 | 32000 |
 * | claude-opus-4-5 and every later 4.5+ / 5+ model | 64000 |
 * | anything else | 4096 |
 */
export function defaultMaxTokens(modelId: string): number {
  const model = parseClaudeModel(modelId);
  if (model === undefined) return UNKNOWN_MODEL_MAX_TOKENS;
  if (model.major === 3) {
    if (model.minor === 7 && model.family === 'sonnet') return 64_000;
    if (model.minor === 5) return 8192;
    return UNKNOWN_MODEL_MAX_TOKENS;
  }
  if (model.major === 4 && model.minor < 5) {
    if (model.family === 'opus') return 32_000;
    if (model.family === 'sonnet') return 64_000;
    return UNKNOWN_MODEL_MAX_TOKENS;
  }
  return model.major >= 4 ? 64_000 : UNKNOWN_MODEL_MAX_TOKENS;
}

/**
 * Whether reasoning uses adaptive thinking (`thinking: {type:'adaptive'}` + `output_config.effort`)
 * rather than a token budget: Claude 4.6 and later (Opus 4.7+ accept nothing else).
 */
export function usesAdaptiveThinking(modelId: string): boolean {
  const model = parseClaudeModel(modelId);
  return model !== undefined && atLeast(model, 4, 6);
}

/**
 * `reasoning_effort` → `thinking.budget_tokens` for models with budgeted thinking (before 4.6).
 * modelmux's convention, not Anthropic's (1024 is Anthropic's minimum budget).
 */
export const THINKING_BUDGETS: Readonly<Record<Exclude<ReasoningEffort, 'none'>, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 24_576,
  xhigh: 32_768,
};

/** `reasoning_effort` → `output_config.effort` for adaptive-thinking models (4.6+). */
export const ADAPTIVE_EFFORTS: Readonly<Record<Exclude<ReasoningEffort, 'none'>, string>> = {
  minimal: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'max',
};

/** The smallest thinking budget Anthropic accepts. */
export const MIN_THINKING_BUDGET = 1024;
