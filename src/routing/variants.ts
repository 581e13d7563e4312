import type { ChatCompletionCreateParams } from '../request/types.js';
import type { Variant } from '../request/model-id.js';
import type { Group, Plan, RoutedDeployment } from './plan.js';
import { byPrice, byThroughput } from './strategies/index.js';
import type { Strategy } from './strategies/types.js';

/** A search function for `:online` where a provider has no native search: results are added as context. */
export type WebSearch = (query: string, options: { signal: AbortSignal }) => Promise<Array<{ title: string; url: string; content: string }>>;

export interface VariantOutcome {
  plan: Plan;
  params: ChatCompletionCreateParams;
  /** An ordering that replaces the configured strategy (`:nitro`, `:floor`, `:extended`). */
  order?: Strategy;
}

const isOpenRouter = (d: RoutedDeployment): boolean => d.adapter.name === 'openrouter';
const LOCAL_FREE = new Set(['ollama']);

function isFree(d: RoutedDeployment): boolean {
  if (isOpenRouter(d) || LOCAL_FREE.has(d.adapter.name)) return true;
  return d.price !== undefined && d.price.input === 0 && d.price.output === 0;
}

function filterGroups(plan: Plan, keep: (d: RoutedDeployment) => string | undefined): Plan {
  const skipped = [...plan.skipped];
  const groups: Group[] = [];
  for (const group of plan.groups) {
    const deployments = group.deployments.filter((d) => {
      const reason = keep(d);
      if (reason !== undefined) skipped.push({ provider: d.provider, model: d.model, reason });
      return reason === undefined;
    });
    if (deployments.length > 0) groups.push({ ...group, deployments });
  }
  return { ...plan, groups, skipped };
}

/** Largest context window first; unknown windows last. */
const byContextWindow: Strategy = (candidates) =>
  [...candidates].sort((a, b) => (b.contextWindow ?? -1) - (a.contextWindow ?? -1));

/**
 * Applies a model variant (DESIGN section 3). OpenRouter deployments carry the suffix themselves
 * and are left to OpenRouter. `:free` keeps zero-price deployments; `:extended` keeps those whose
 * window fits, largest first; `:thinking` turns reasoning on and keeps reasoning-capable ones;
 * `:nitro` orders by observed speed, `:floor` by price; `:online` keeps deployments with a native
 * search (or all, when a `webSearch` function is configured) and is applied per attempt.
 */
export function applyVariant(
  variant: Variant | undefined,
  plan: Plan,
  params: ChatCompletionCreateParams,
  neededTokens: number,
  hasWebSearch: boolean,
): VariantOutcome {
  switch (variant) {
    case undefined:
      return { plan, params };
    case 'online':
      return {
        plan: filterGroups(plan, (d) =>
          isOpenRouter(d) || d.adapter.nativeWebSearch === true || hasWebSearch
            ? undefined
            : 'no native web search and no routing.webSearch function (:online)',
        ),
        params,
      };
    case 'free':
      return { plan: filterGroups(plan, (d) => (isFree(d) ? undefined : 'not free (:free)')), params };
    case 'extended':
      return {
        plan: filterGroups(plan, (d) =>
          isOpenRouter(d) || (d.contextWindow !== undefined && d.contextWindow >= neededTokens)
            ? undefined
            : `context window ${d.contextWindow ?? 'unknown'} does not fit ${neededTokens} tokens (:extended)`,
        ),
        params,
        order: byContextWindow,
      };
    case 'thinking': {
      // The catalog's flags are incomplete (a missing flag reads as false): keep only the
      // reasoning-capable deployments when the catalog knows any, else keep them all.
      const capable = (d: RoutedDeployment) => isOpenRouter(d) || d.capabilities?.reasoning === true;
      const anyCapable = plan.groups.some((group) => group.deployments.some(capable));
      return {
        plan: anyCapable ? filterGroups(plan, (d) => (capable(d) ? undefined : 'not listed as reasoning-capable (:thinking)')) : plan,
        params: params.reasoning_effort === undefined || params.reasoning_effort === null ? { ...params, reasoning_effort: 'medium' } : params,
      };
    }
    case 'nitro':
      return { plan, params, order: byThroughput };
    case 'floor':
      return { plan, params, order: byPrice };
  }
}
