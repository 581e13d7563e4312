import type { DeploymentStats } from '../stats.js';

/** What a strategy needs to know about a candidate. The executor passes objects that extend it. */
export interface RoutedDeployment {
  /** `provider/model`: the key of its statistics and breaker. */
  id: string;
  provider: string;
  model: string;
  /** USD per 1M tokens, from the catalog; `undefined` when unknown. */
  price?: { input: number; output: number; cacheRead?: number };
  /** Relative share for `weighted` (missing = 1). */
  weight?: number;
  /** Configured requests per minute. */
  rpm?: number;
  /** Configured tokens per minute. */
  tpm?: number;
  contextWindow?: number;
  maxOutput?: number;
}

/** What a strategy knows about the request and the deployments' observed behaviour. */
export interface StrategyContext {
  /** Prompt size, all input tokens (cached included). */
  estimatedInputTokens: number;
  /** The output the request may produce (its max tokens, or the executor's estimate). */
  maxOutputTokens: number;
  /** Input tokens expected to be cache reads. */
  cachedInputTokens?: number;
  stream: boolean;
  stats: (id: string) => DeploymentStats;
  /** U[0, 1). */
  random: () => number;
  /** ms since the epoch. */
  now: number;
}

/** Orders candidates: returns a NEW array (the input is never mutated); may leave some out. */
export type Strategy = <D extends RoutedDeployment>(candidates: readonly D[], context: StrategyContext) => D[];

/** A user-supplied strategy: any function from candidates to (some of) the same candidates. */
export type CustomStrategy = (candidates: readonly RoutedDeployment[], context: StrategyContext) => readonly RoutedDeployment[];

/** Stable sort by a numeric key, ascending; ties keep list order. Non-finite keys sort last. */
export function sortByKey<D>(candidates: readonly D[], key: (candidate: D) => number): D[] {
  const keyed = candidates.map((candidate, index) => {
    const value = key(candidate);
    return { candidate, index, value: Number.isNaN(value) ? Infinity : value };
  });
  keyed.sort((a, b) => (a.value === b.value ? a.index - b.index : a.value < b.value ? -1 : 1));
  return keyed.map((entry) => entry.candidate);
}
