import { type RoutedDeployment, type Strategy, type StrategyContext, sortByKey } from './types.js';

/**
 * Expected USD of this request on a deployment (prices are USD per 1M tokens):
 * `((input − cached) × price.input + cached × (price.cacheRead ?? price.input) + maxOutput × price.output) / 1e6`,
 * with `cached` clamped to [0, input]. `undefined` when the price is unknown.
 */
export function expectedCostUsd(deployment: RoutedDeployment, context: StrategyContext): number | undefined {
  const price = deployment.price;
  if (price === undefined) return undefined;
  const input = Math.max(0, context.estimatedInputTokens);
  const cached = Math.min(input, Math.max(0, context.cachedInputTokens ?? 0));
  const output = Math.max(0, context.maxOutputTokens);
  const usd = ((input - cached) * price.input + cached * (price.cacheRead ?? price.input) + output * price.output) / 1e6;
  return Number.isFinite(usd) ? usd : undefined;
}

/** Cheapest first for this request; unknown prices last; ties keep list order. */
export const cost: Strategy = (candidates, context) => sortByKey(candidates, (d) => expectedCostUsd(d, context) ?? Infinity);

/** The `:floor` variant's order: the same as `cost`. */
export const byPrice: Strategy = cost;
