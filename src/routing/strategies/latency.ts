import type { Ewma } from '../stats.js';
import { type RoutedDeployment, type Strategy, type StrategyContext, sortByKey } from './types.js';

export interface LatencyOptions {
  /** Probability that an unmeasured (or stale) candidate is tried first. Default 0.1. */
  epsilon?: number;
  /** A candidate whose last sample is older than this is explored again as if unmeasured. Default 300 000 ms. */
  staleAfterMs?: number;
}

/** The metric `latency` ranks by: TTFT for streams, ms per output token otherwise. */
export function latencyMetric(deployment: RoutedDeployment, context: StrategyContext): Ewma {
  const stats = context.stats(deployment.id);
  return context.stream ? stats.ttft : stats.latencyPerToken;
}

/**
 * Lowest EWMA first: for streams the time-to-first-token EWMA, else the per-output-token latency
 * EWMA (`latencyMs / max(1, completionTokens)`). Measured candidates come first, fastest first;
 * unmeasured ones follow in list order. Exploration: when some candidate is unmeasured (or its
 * last sample is older than `staleAfterMs`), with probability ε the least-sampled of those goes
 * first (ties: list order). One `context.random()` call, only when there is something to explore.
 *
 * Why ε rather than LiteLLM's "unmeasured scores 0": a score of 0 sends every request to a new
 * deployment until its first answer comes back, so a burst of concurrent requests all lands on an
 * unknown (possibly slow) deployment; ε caps exploration at 10 % of traffic while still measuring
 * every candidate soon, and re-measures candidates whose estimate went stale.
 */
export function createLatencyStrategy(options: LatencyOptions = {}): Strategy {
  const epsilon = options.epsilon ?? 0.1;
  const staleAfterMs = options.staleAfterMs ?? 300_000;
  return (candidates, context) => {
    const measured = sortByKey(
      candidates.filter((d) => latencyMetric(d, context).samples > 0),
      (d) => latencyMetric(d, context).value ?? Infinity,
    );
    const unmeasured = candidates.filter((d) => latencyMetric(d, context).samples === 0);
    const ordered = [...measured, ...unmeasured];
    const explorable = candidates.filter((d) => {
      const metric = latencyMetric(d, context);
      return metric.samples === 0 || (metric.lastAt !== undefined && context.now - metric.lastAt > staleAfterMs);
    });
    if (explorable.length === 0 || ordered.length < 2 || context.random() >= epsilon) return ordered;
    const explore = sortByKey(explorable, (d) => latencyMetric(d, context).samples)[0]!;
    return [explore, ...ordered.filter((d) => d !== explore)];
  };
}

/** The `latency` strategy with the defaults (ε = 0.1, stale after 5 min). */
export const latency: Strategy = createLatencyStrategy();

/**
 * The `:nitro` variant's order: highest tokens/s EWMA first (ties: lower TTFT, then list order);
 * then candidates with only a TTFT, lowest first; unmeasured last, in list order.
 */
export const byThroughput: Strategy = (candidates, context) => {
  const withThroughput = candidates.filter((d) => context.stats(d.id).throughput.value !== undefined);
  const withTtft = candidates.filter((d) => {
    const stats = context.stats(d.id);
    return stats.throughput.value === undefined && stats.ttft.value !== undefined;
  });
  const unmeasured = candidates.filter((d) => {
    const stats = context.stats(d.id);
    return stats.throughput.value === undefined && stats.ttft.value === undefined;
  });
  const fastest = sortByKey(sortByKey(withThroughput, (d) => context.stats(d.id).ttft.value ?? Infinity), (d) => -context.stats(d.id).throughput.value!);
  return [...fastest, ...sortByKey(withTtft, (d) => context.stats(d.id).ttft.value!), ...unmeasured];
};
