import type { CompletionUsage } from '../../request/types.js';
import { isRecord, readCount } from '../shared/json.js';
import { buildUsage } from '../shared/usage.js';

function modalityCount(details: unknown, modality: string): number | undefined {
  if (!Array.isArray(details)) return undefined;
  let total = 0;
  for (const entry of details) {
    if (isRecord(entry) && entry.modality === modality) total += readCount(entry.tokenCount) ?? 0;
  }
  return total > 0 ? total : undefined;
}

/**
 * `usageMetadata` → unified usage:
 * - `prompt_tokens` = `promptTokenCount` (cached tokens included) + `toolUsePromptTokenCount`
 *   (the results of Google's own tools, e.g. search grounding, which are input too);
 * - `cached_tokens` = `cachedContentTokenCount`;
 * - `completion_tokens` = `candidatesTokenCount` + `thoughtsTokenCount` (candidates exclude thoughts);
 * - `reasoning_tokens` = `thoughtsTokenCount`;
 * - `total_tokens` = prompt + completion, which is Gemini's `totalTokenCount` whenever Gemini's
 *   own counts add up (when they do not, the sum of the parts is kept: cost follows the parts).
 * `undefined` when there is no usage object.
 */
export function mapUsage(raw: unknown): CompletionUsage | undefined {
  if (!isRecord(raw)) return undefined;
  const thoughts = readCount(raw.thoughtsTokenCount);
  return buildUsage({
    prompt: (readCount(raw.promptTokenCount) ?? 0) + (readCount(raw.toolUsePromptTokenCount) ?? 0),
    completion: (readCount(raw.candidatesTokenCount) ?? 0) + (thoughts ?? 0),
    cacheRead: readCount(raw.cachedContentTokenCount),
    promptAudio: modalityCount(raw.promptTokensDetails, 'AUDIO'),
    reasoning: thoughts,
  });
}
