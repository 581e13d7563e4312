import { createPriceTable, type PriceLookup, type PriceOverride } from '../pricing/catalog.js';
import type { ModelDirectory, ModelFacts } from './plan.js';

export type { PriceOverride };

/**
 * The routing view of the price catalog plus the user's `pricing`: facts per deployment and the
 * native ids under which each provider family lists a bare model. The catalog loads on the first
 * request (`load()`), never at import or at `createGateway`.
 */
export function createModelDirectory(pricing: Record<string, PriceOverride> | undefined): { load(): Promise<ModelDirectory> } {
  const table = createPriceTable(pricing ?? {});
  let directory: ModelDirectory | undefined;
  return {
    async load() {
      if (directory !== undefined) return directory;
      const lookup = await table.load();
      directory = fromLookup(lookup);
      return directory;
    },
  };
}

function fromLookup(lookup: PriceLookup): ModelDirectory {
  return {
    describe(provider: string, family: string, model: string): ModelFacts | undefined {
      // A user override keyed by the configured provider key wins; else the catalog of its family.
      const info = lookup.lookupModel(provider, model) ?? (family === provider ? undefined : lookup.lookupModel(family, model));
      if (info === undefined) return undefined;
      return {
        price: info.price,
        ...(info.contextWindow === undefined ? {} : { contextWindow: info.contextWindow }),
        ...(info.maxOutput === undefined ? {} : { maxOutput: info.maxOutput }),
        capabilities: info.capabilities,
      };
    },
    nativeIds(family: string, bareModel: string): string[] {
      // The provider's preferred id only (not every regional inference profile).
      const match = lookup.providersServing(bareModel).find((serving) => serving.provider === family);
      return match === undefined ? [] : [match.model];
    },
  };
}
