import { type RoutedDeployment, type Strategy, type StrategyContext, sortByKey } from './types.js';

/**
 * Headroom of a deployment for this request: the minimum, over every limit that is known, of
 * `(limit − used − need) / limit`, where
 * - configured `rpm`: used = requests started in the last 60 s, need = 1;
 * - configured `tpm`: used = tokens used in the last 60 s, need = input + max output tokens (as
 *   OpenAI counts `max_tokens` against TPM);
 * - provider headers (`x-ratelimit-remaining-*`, `anthropic-ratelimit-*`): `(remaining − need) / limit`,
 *   where remaining is the header's value minus what was started or used since it was read; with
 *   no limit header the remaining count only decides "at the limit or not" (score 1 otherwise).
 * No known limit → 1 (full headroom). Below 0 → this request would exceed a limit.
 */
export function usageHeadroom(deployment: RoutedDeployment, context: StrategyContext): number {
  const stats = context.stats(deployment.id);
  const tokensNeeded = Math.max(0, context.estimatedInputTokens) + Math.max(0, context.maxOutputTokens);
  const ratios: number[] = [];
  const ratio = (limit: number, left: number): void => {
    ratios.push(limit > 0 ? left / limit : left >= 0 ? 1 : -1);
  };
  if (deployment.rpm !== undefined) ratio(deployment.rpm, deployment.rpm - stats.requestsLastMinute(context.now) - 1);
  if (deployment.tpm !== undefined) ratio(deployment.tpm, deployment.tpm - stats.tokensLastMinute(context.now) - tokensNeeded);
  const provider = stats.providerRemaining(context.now);
  if (provider.requests !== undefined) {
    const left = provider.requests - 1;
    if (provider.limitRequests !== undefined) ratio(provider.limitRequests, left);
    else ratios.push(left >= 0 ? 1 : -1);
  }
  if (provider.tokens !== undefined) {
    const left = provider.tokens - tokensNeeded;
    if (provider.limitTokens !== undefined) ratio(provider.limitTokens, left);
    else ratios.push(left >= 0 ? 1 : -1);
  }
  return ratios.length === 0 ? 1 : Math.min(...ratios);
}

/**
 * Most headroom first (see `usageHeadroom`); candidates this request would push over a limit go
 * last; ties keep list order.
 */
export const usage: Strategy = (candidates, context) => {
  const scored = candidates.map((candidate) => ({ candidate, score: usageHeadroom(candidate, context) }));
  const open = sortByKey(scored.filter((entry) => entry.score >= 0), (entry) => -entry.score).map((entry) => entry.candidate);
  const full = scored.filter((entry) => entry.score < 0).map((entry) => entry.candidate);
  return [...open, ...full];
};
