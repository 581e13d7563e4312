import { ValidationError } from '../../errors/classes.js';
import { cost } from './cost.js';
import { fallback } from './fallback.js';
import { latency } from './latency.js';
import { leastBusy } from './least-busy.js';
import type { CustomStrategy, RoutedDeployment, Strategy, StrategyContext } from './types.js';
import { usage } from './usage.js';
import { weighted } from './weighted.js';

export { byPrice, cost, expectedCostUsd } from './cost.js';
export { fallback } from './fallback.js';
export { byThroughput, createLatencyStrategy, latency, latencyMetric, type LatencyOptions } from './latency.js';
export { leastBusy } from './least-busy.js';
export { usage, usageHeadroom } from './usage.js';
export { weighted } from './weighted.js';
export { type CustomStrategy, type RoutedDeployment, sortByKey, type Strategy, type StrategyContext } from './types.js';

/** The built-in strategies' names. */
export const STRATEGY_NAMES = ['fallback', 'cost', 'latency', 'weighted', 'least-busy', 'usage'] as const;

export type StrategyName = (typeof STRATEGY_NAMES)[number];

export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = Object.freeze({
  fallback,
  cost,
  latency,
  weighted,
  'least-busy': leastBusy,
  usage,
});

/**
 * A strategy by name, or a custom function (a built-in `Strategy` is assignable to
 * `CustomStrategy`; built-ins are returned as they are). A custom function is called as is; its result is mapped
 * back onto the candidates passed in (by identity, else by `id`), so the executor gets its own
 * objects back: unknown entries and duplicates are dropped, and candidates left out stay out (a
 * custom strategy may filter). An unknown name, or a result that is not an array, is a
 * `ValidationError` on `field` (default `strategy`).
 */
export function resolveStrategy(nameOrFunction: StrategyName | CustomStrategy, field = 'strategy'): Strategy {
  if (typeof nameOrFunction === 'function') {
    const builtIn = (Object.values(STRATEGIES) as unknown[]).includes(nameOrFunction);
    if (builtIn) return nameOrFunction as Strategy;
    const custom = nameOrFunction;
    return <D extends RoutedDeployment>(candidates: readonly D[], context: StrategyContext): D[] => {
      const result: unknown = custom(candidates, context);
      if (!Array.isArray(result)) {
        throw new ValidationError([{ path: field, message: 'a custom strategy must return an array of the candidates it was given' }]);
      }
      const byId = new Map(candidates.map((candidate) => [candidate.id, candidate] as const));
      const seen = new Set<D>();
      const ordered: D[] = [];
      for (const entry of result as unknown[]) {
        const own = candidates.includes(entry as D)
          ? (entry as D)
          : typeof entry === 'object' && entry !== null
            ? byId.get((entry as { id?: unknown }).id as string)
            : undefined;
        if (own !== undefined && !seen.has(own)) {
          seen.add(own);
          ordered.push(own);
        }
      }
      return ordered;
    };
  }
  if (typeof nameOrFunction === 'string' && Object.hasOwn(STRATEGIES, nameOrFunction)) return STRATEGIES[nameOrFunction];
  throw new ValidationError([
    {
      path: field,
      message: `unknown strategy ${JSON.stringify(nameOrFunction)}: use one of ${Object.keys(STRATEGIES).join(', ')}, or a function (candidates, context) => candidates`,
    },
  ]);
}
