import type { ProviderAdapter } from '../providers/adapter.js';
import { splitVariant } from '../request/model-id.js';
import type { GatewayConfig } from '../request/config.js';
import type { ModelDirectory } from '../routing/plan.js';
import type { ModelListEntry } from './models.js';

/**
 * `GET /models` of `mux.fetch`: the configured aliases and groups (with their deployments), and
 * every `provider/model` the config names (groups, fallback chains, pricing), with prices and
 * context windows where known.
 */
export function configuredModels(
  config: Pick<GatewayConfig, 'models' | 'routing' | 'pricing'>,
  providers: ReadonlyMap<string, ProviderAdapter>,
  directory: ModelDirectory,
): ModelListEntry[] {
  const entries: ModelListEntry[] = [];
  const named = new Set<string>();
  const mention = (id: string): void => {
    const slash = id.indexOf('/');
    if (slash > 0 && providers.has(id.slice(0, slash))) named.add(splitVariant(id).base);
  };
  for (const [alias, target] of Object.entries(config.models ?? {})) {
    const list = typeof target === 'string' ? [target] : Array.isArray(target) ? target : target.deployments;
    const deployments = list.map((d) => (typeof d === 'string' ? d : d.model));
    deployments.forEach(mention);
    entries.push({ id: alias, owned_by: 'modelmux', deployments });
  }
  const routing = config.routing ?? {};
  for (const chains of [routing.fallbacks, routing.contextWindowFallbacks, routing.contentPolicyFallbacks]) {
    for (const [from, to] of Object.entries(chains ?? {})) [from, ...to].forEach(mention);
  }
  Object.keys(config.pricing ?? {}).forEach(mention);
  for (const id of named) {
    const slash = id.indexOf('/');
    const provider = id.slice(0, slash);
    const adapter = providers.get(provider);
    const facts = adapter === undefined ? undefined : directory.describe(provider, adapter.name, id.slice(slash + 1));
    entries.push({
      id,
      owned_by: provider,
      ...(facts?.price === undefined ? {} : { pricing: { ...facts.price, unit: 'USD per 1M tokens' } }),
      ...(facts?.contextWindow === undefined ? {} : { context_window: facts.contextWindow }),
    });
  }
  return entries;
}
