/** Prices are USD per 1M tokens, with at most 6 decimals (finer digits are rounded away). */

/**
 * A threshold tier: when the request's prompt (all input tokens, cache reads and writes
 * included) is above `aboveTokens`, every token of the request uses the tier's prices
 * (a field the tier does not set keeps the base price). That is how Gemini's and Anthropic's
 * long-context prices bill, and how LiteLLM applies `*_above_<N>k_tokens`.
 */
export interface PriceTier {
  aboveTokens: number;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
}

export interface ModelPrice {
  /** Uncached input. */
  input: number;
  /** Output, reasoning included unless `reasoning` is set. */
  output: number;
  /** Cache reads; absent = charged at `input`. */
  cacheRead?: number;
  /** Cache writes with the default (5-minute) TTL; absent = charged at `input`. */
  cacheWrite?: number;
  /** Cache writes with a 1-hour TTL (Anthropic, Bedrock); absent = `cacheWrite`. */
  cacheWrite1h?: number;
  /** Reasoning tokens when the model prices them apart from output; absent = `output`. */
  reasoning?: number;
  /** Sorted by `aboveTokens`, ascending. */
  tiers?: readonly PriceTier[];
}

export interface ModelCapabilities {
  tools: boolean;
  vision: boolean;
  /** Structured output with a JSON schema (`response_format: json_schema`). */
  jsonSchema: boolean;
  reasoning: boolean;
  webSearch: boolean;
  promptCaching: boolean;
}

export interface ModelInfo {
  /** Provider name (`openai`, `bedrock`, …), or the key given in a user override. */
  provider: string;
  /** The provider's native model id. */
  model: string;
  /** `canonicalModelName(model)`: the name shared by every provider serving this model. */
  canonical: string;
  price: ModelPrice;
  /** Maximum input tokens. */
  contextWindow?: number;
  /** Maximum output tokens. */
  maxOutput?: number;
  capabilities: ModelCapabilities;
  /** `catalog` (the generated LiteLLM snapshot) or `override` (user `pricing`). */
  source: 'catalog' | 'override';
}

/** One provider's model serving a bare model id. */
export interface ServingModel {
  provider: string;
  model: string;
  info: ModelInfo;
}
