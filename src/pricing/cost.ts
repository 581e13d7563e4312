/**
 * Cost of a call from its unified usage and the model's price (DESIGN section 5).
 *
 *   uncached input = prompt_tokens − cached_tokens − cache_write_tokens   (never below 0)
 *   cost = uncached × input + cache reads × cacheRead + cache writes × cacheWrite (cacheWrite1h for
 *          a 1-hour TTL) + (completion − reasoning) × output + reasoning × reasoning
 *
 * - A missing cache read price charges reads at the input price, a missing write price charges
 *   writes at the input price (the provider lists no discount or surcharge: OpenAI-style automatic
 *   caching has no write fee; every provider with a read discount lists it), a missing 1-hour write
 *   price falls back to the 5-minute one.
 * - Reasoning tokens are part of `completion_tokens` and charged once: at `reasoning` when the
 *   model prices them apart, else at `output` (Gemini's thinking tokens, OpenAI's reasoning).
 * - Tiers: when `prompt_tokens` (all input tokens, cache reads and writes included) is above a
 *   tier's `aboveTokens`, every token of the request — input, cache, output — is charged at that
 *   tier's prices (the highest tier exceeded; a price the tier lacks keeps the base price). That
 *   is how Gemini (">200k tokens prompts") and Anthropic's 1M-context models bill, and what
 *   LiteLLM does with `*_above_<N>k_tokens` (reference/gateway-semantics.md B10: "that rate
 *   applies to all tokens", "prompt of 250k … ⇒ all 250k at the higher rate").
 * - Audio tokens are charged as text tokens (the catalog keeps no audio prices).
 *
 * Arithmetic is exact: a price with at most 6 decimals per 1M tokens is an integer number of
 * pico-USD (1e-12 USD) per token, so the cost is an integer number of pico-USD, summed as a
 * BigInt. Only the final conversion to a USD number rounds (once). Token counts that are not
 * non-negative numbers count as 0; fractions are floored.
 */
import type { CompletionUsage } from '../request/types.js';
import type { ModelPrice, PriceTier } from './types.js';

export type CacheWriteTtl = '5m' | '1h';

export interface CostOptions {
  /** TTL of the cache writes in this call (Anthropic `cache_control.ttl`); default `5m`. */
  cacheWriteTtl?: CacheWriteTtl;
}

/** The usage fields the cost reads (a full `CompletionUsage` fits). */
export type UsageForCost = Pick<CompletionUsage, 'prompt_tokens' | 'completion_tokens' | 'prompt_tokens_details' | 'completion_tokens_details'>;

/** Pico-USD (1e-12 USD) in one USD. */
export const PICO_USD_PER_USD = 1_000_000_000_000n;

/** USD per 1M tokens → integer pico-USD per token (exact for prices with ≤ 6 decimals). */
export function picoUsdPerToken(usdPerMillion: number): bigint {
  return BigInt(picoPerToken(usdPerMillion));
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Pico-USD → USD: the nearest double to the exact value (up to ~9 007 USD; beyond, within 1 ulp). */
export function picoUsdToUsd(pico: bigint): number {
  if (pico <= MAX_EXACT && pico >= -MAX_EXACT) return Number(pico) / 1e12;
  const whole = pico / PICO_USD_PER_USD;
  const frac = pico % PICO_USD_PER_USD;
  return Number(whole) + Number(frac) / 1e12;
}

/** Pico-USD → integer nano-USD (1e-9 USD), rounded up by default, for budget counters. */
export function picoUsdToNanoUsd(pico: bigint, rounding: 'ceil' | 'floor' = 'ceil'): bigint {
  const nano = pico / 1000n;
  return rounding === 'ceil' && pico % 1000n !== 0n ? nano + 1n : nano;
}

function count(value: number | undefined): bigint {
  return typeof value === 'number' && value > 0 && Number.isFinite(value) ? BigInt(Math.floor(value)) : 0n;
}

/** The highest tier whose threshold `promptTokens` exceeds, if any. */
export function activeTier(price: ModelPrice, promptTokens: number): PriceTier | undefined {
  let active: PriceTier | undefined;
  for (const tier of price.tiers ?? []) if (promptTokens > tier.aboveTokens && (!active || tier.aboveTokens > active.aboveTokens)) active = tier;
  return active;
}

/** The per-million prices that apply to a call with `promptTokens` input tokens (its tier, cache TTL). */
function pricesFor(price: ModelPrice, promptTokens: number, options: CostOptions) {
  const tier = activeTier(price, promptTokens);
  const input = tier?.input ?? price.input;
  const output = tier?.output ?? price.output;
  const write5m = tier?.cacheWrite ?? price.cacheWrite ?? input;
  return {
    input,
    output,
    cacheRead: tier?.cacheRead ?? price.cacheRead ?? input,
    cacheWrite: options.cacheWriteTtl === '1h' ? (tier?.cacheWrite1h ?? price.cacheWrite1h ?? write5m) : write5m,
    reasoning: price.reasoning ?? output,
  };
}

/** Exact cost in pico-USD. */
export function computeCostPicoUsd(usage: UsageForCost, price: ModelPrice, options: CostOptions = {}): bigint {
  const prompt = count(usage.prompt_tokens);
  const completion = count(usage.completion_tokens);
  let cacheRead = count(usage.prompt_tokens_details?.cached_tokens);
  let cacheWrite = count(usage.prompt_tokens_details?.cache_write_tokens);
  // Inconsistent usage (more cache tokens than prompt tokens): cache counts are capped so that
  // nothing is negative; reads first, as providers report them.
  if (cacheRead > prompt) cacheRead = prompt;
  if (cacheWrite > prompt - cacheRead) cacheWrite = prompt - cacheRead;
  const uncached = prompt - cacheRead - cacheWrite;
  let reasoning = count(usage.completion_tokens_details?.reasoning_tokens);
  if (reasoning > completion) reasoning = completion;

  const p = pricesFor(price, Number(prompt), options);
  return (
    uncached * picoUsdPerToken(p.input) +
    cacheRead * picoUsdPerToken(p.cacheRead) +
    cacheWrite * picoUsdPerToken(p.cacheWrite) +
    (completion - reasoning) * picoUsdPerToken(p.output) +
    reasoning * picoUsdPerToken(p.reasoning)
  );
}

function tokens(value: number | undefined): number {
  return typeof value === 'number' && value > 0 && Number.isFinite(value) ? Math.floor(value) : 0;
}

function picoPerToken(usdPerMillion: number): number {
  if (!Number.isFinite(usdPerMillion) || usdPerMillion < 0) throw new RangeError(`invalid price ${usdPerMillion}`);
  return Math.round(usdPerMillion * 1e6);
}

/**
 * Cost in USD of a call with this usage. Same arithmetic as `computeCostPicoUsd`, in doubles while
 * every term and the sum are exact integers (any real call); otherwise through the BigInt path.
 */
export function computeCost(usage: UsageForCost, price: ModelPrice, options: CostOptions = {}): number {
  const prompt = tokens(usage.prompt_tokens);
  const completion = tokens(usage.completion_tokens);
  if (prompt > Number.MAX_SAFE_INTEGER || completion > Number.MAX_SAFE_INTEGER) return picoUsdToUsd(computeCostPicoUsd(usage, price, options));
  const cacheRead = Math.min(tokens(usage.prompt_tokens_details?.cached_tokens), prompt);
  const cacheWrite = Math.min(tokens(usage.prompt_tokens_details?.cache_write_tokens), prompt - cacheRead);
  const reasoning = Math.min(tokens(usage.completion_tokens_details?.reasoning_tokens), completion);
  const p = pricesFor(price, prompt, options);
  const terms = [
    (prompt - cacheRead - cacheWrite) * picoPerToken(p.input),
    cacheRead * picoPerToken(p.cacheRead),
    cacheWrite * picoPerToken(p.cacheWrite),
    (completion - reasoning) * picoPerToken(p.output),
    reasoning * picoPerToken(p.reasoning),
  ];
  let pico = 0;
  for (const term of terms) {
    pico += term;
    if (term > Number.MAX_SAFE_INTEGER || pico > Number.MAX_SAFE_INTEGER) return picoUsdToUsd(computeCostPicoUsd(usage, price, options));
  }
  return pico / 1e12;
}

export interface CostEstimateInput {
  /** Estimated input tokens (all of them, cached included). */
  inputTokens: number;
  /** Output tokens to budget for: the request's max tokens (× `n`), else the model's max output. */
  outputTokens: number;
  /** Expected cache reads among `inputTokens` (default 0: the worst case for reads). */
  cachedTokens?: number;
  /** Expected cache writes among `inputTokens` (default 0). */
  cacheWriteTokens?: number;
}

/** Exact estimate in pico-USD of a call before it is sent (same arithmetic as `computeCostPicoUsd`). */
export function estimateCostPicoUsd(estimate: CostEstimateInput, price: ModelPrice, options: CostOptions = {}): bigint {
  const details: NonNullable<UsageForCost['prompt_tokens_details']> = {};
  if (estimate.cachedTokens !== undefined) details.cached_tokens = estimate.cachedTokens;
  if (estimate.cacheWriteTokens !== undefined) details.cache_write_tokens = estimate.cacheWriteTokens;
  return computeCostPicoUsd(
    { prompt_tokens: estimate.inputTokens, completion_tokens: estimate.outputTokens, prompt_tokens_details: details },
    price,
    options,
  );
}

/** Estimated USD of a call before it is sent: input estimate × input price + output budget × output price (tiers applied). */
export function estimateCost(estimate: CostEstimateInput, price: ModelPrice, options: CostOptions = {}): number {
  return picoUsdToUsd(estimateCostPicoUsd(estimate, price, options));
}
