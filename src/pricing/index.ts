/** The pricing module: catalog lookups, cost arithmetic and request estimates. */
export {
  CAPABILITY_BITS,
  catalogLoadState,
  catalogSnapshotDate,
  createPriceTable,
  loadCatalog,
  lookupModel,
  providersServing,
  type PriceLookup,
  type PriceOverride,
  type PriceTable,
} from './catalog.js';
export { canonicalModelName, parseModelName, type ParsedModelName } from './canonical.js';
export {
  activeTier,
  computeCost,
  computeCostPicoUsd,
  estimateCost,
  estimateCostPicoUsd,
  PICO_USD_PER_USD,
  picoUsdPerToken,
  picoUsdToNanoUsd,
  picoUsdToUsd,
  type CacheWriteTtl,
  type CostEstimateInput,
  type CostOptions,
  type UsageForCost,
} from './cost.js';
export {
  cacheControlTtl,
  estimateInputTokens,
  estimateOutputTokens,
  estimateRequestCost,
  estimateTextTokens,
  type EstimatableRequest,
  type TokenEstimateOptions,
} from './estimate.js';
export type { ModelCapabilities, ModelInfo, ModelPrice, PriceTier, ServingModel } from './types.js';
