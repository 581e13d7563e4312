import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPriceTable, lookupModel } from '../../src/pricing/catalog.js';
import {
  computeCost,
  computeCostPicoUsd,
  estimateCost,
  picoUsdToNanoUsd,
  picoUsdToUsd,
  type UsageForCost,
} from '../../src/pricing/cost.js';
import type { ModelInfo, ModelPrice } from '../../src/pricing/types.js';

async function price(provider: string, model: string): Promise<ModelPrice> {
  const info: ModelInfo | undefined = await lookupModel(provider, model);
  if (!info) throw new Error(`${provider}/${model} missing`);
  return info.price;
}

function usage(prompt: number, completion: number, extra: { cached?: number; write?: number; reasoning?: number } = {}): UsageForCost {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    prompt_tokens_details: { cached_tokens: extra.cached ?? 0, cache_write_tokens: extra.write ?? 0 },
    completion_tokens_details: { reasoning_tokens: extra.reasoning ?? 0 },
  };
}

describe('computeCost: hand calculations on catalog prices', () => {
  it('OpenAI gpt-4o-mini, cached input: 200 × 0.15 + 800 × 0.075 + 100 × 0.6 per 1M', async () => {
    const p = await price('openai', 'gpt-4o-mini');
    expect(computeCostPicoUsd(usage(1000, 100, { cached: 800 }), p)).toBe(150_000_000n);
    expect(computeCost(usage(1000, 100, { cached: 800 }), p)).toBe(0.00015);
    expect(computeCost(usage(1000, 100), p)).toBe(0.00021);
  });

  it('Anthropic, the gateway-semantics example: 3 input + 12 304 written + 550 out on $3/$15, $3.75 write', async () => {
    const p = await price('anthropic', 'claude-sonnet-4-5');
    // prompt_tokens includes the cache writes (unified usage); writes are not also charged as input.
    expect(computeCost(usage(3 + 12_304, 550, { write: 12_304 }), p)).toBe(0.054399); // (9 + 46 140 + 8 250) / 1e6
  });

  it('Anthropic claude-haiku-4-5: cache read + 5-minute write, and the 1-hour write price', async () => {
    const p = await price('anthropic', 'claude-haiku-4-5');
    const u = usage(10_000, 500, { cached: 6_000, write: 2_000 });
    // 2 000 × 1 + 6 000 × 0.1 + 2 000 × 1.25 + 500 × 5 = 7 600 µ$
    expect(computeCost(u, p)).toBe(0.0076);
    expect(computeCost(u, p, { cacheWriteTtl: '5m' })).toBe(0.0076);
    // 2 000 × 1 + 6 000 × 0.1 + 2 000 × 2 + 500 × 5 = 9 100 µ$
    expect(computeCost(u, p, { cacheWriteTtl: '1h' })).toBe(0.0091);
  });

  it('Gemini 2.5 Pro: thinking tokens at the output price, once; a prompt above 200k uses the tier for everything', async () => {
    const p = await price('google', 'gemini-2.5-pro');
    // 1 000 × 1.25 + 3 000 × 10 (2 500 of them thinking, inside completion_tokens) = 31 250 µ$
    expect(computeCost(usage(1_000, 3_000, { reasoning: 2_500 }), p)).toBe(0.03125);
    // exactly 200 000 is not above the threshold
    expect(computeCost(usage(200_000, 1_000), p)).toBe((200_000 * 1.25 + 1_000 * 10) / 1e6);
    // 250 000 prompt (50 000 cached), 1 000 out: 200 000 × 2.5 + 50 000 × 0.25 + 1 000 × 15 = 527 500 µ$
    expect(computeCost(usage(250_000, 1_000, { cached: 50_000 }), p)).toBe(0.5275);
  });

  it('Anthropic 1M-context tier: cache writes (5m and 1h) and reads use the tier prices too', async () => {
    const p = await price('anthropic', 'claude-sonnet-4-5');
    const u = usage(300_000, 1_000, { cached: 100_000, write: 50_000 });
    // 150 000 × 6 + 100 000 × 0.6 + 50 000 × 7.5 + 1 000 × 22.5 = 1 357 500 µ$
    expect(computeCost(u, p)).toBe(1.3575);
    // 1h writes: 50 000 × 12 instead of × 7.5
    expect(computeCost(u, p, { cacheWriteTtl: '1h' })).toBe(1.5825);
  });

  it('DeepSeek deepseek-chat: cache hit and miss tokens', async () => {
    const p = await price('deepseek', 'deepseek-chat');
    // miss 200 × 0.28 + hit 800 × 0.028 + 100 × 0.42 = 120.4 µ$
    expect(computeCostPicoUsd(usage(1_000, 100, { cached: 800 }), p)).toBe(120_400_000n);
    expect(computeCost(usage(1_000, 100, { cached: 800 }), p)).toBe(0.0001204);
  });

  it('a user override wins over the catalog price', async () => {
    const table = createPriceTable({ 'deepseek/deepseek-chat': { input: 1, output: 2, cacheRead: 0.5 } });
    const info = await table.lookupModel('deepseek', 'deepseek-chat');
    // 200 × 1 + 800 × 0.5 + 100 × 2 = 800 µ$
    expect(computeCost(usage(1_000, 100, { cached: 800 }), info!.price)).toBe(0.0008);
  });

  it('fallbacks: reads and writes at the input price when unlisted, 1h writes at the 5m price, a separate reasoning price', () => {
    const p: ModelPrice = { input: 2, output: 8 };
    expect(computeCost(usage(1_000, 0, { cached: 500, write: 300 }), p)).toBe(0.002);
    expect(computeCost(usage(1_000, 0, { write: 1_000 }), { input: 1, output: 1, cacheWrite: 1.25 }, { cacheWriteTtl: '1h' })).toBe(0.00125);
    // reasoning priced apart: 400 × 8 + 600 × 20
    expect(computeCost(usage(0, 1_000, { reasoning: 600 }), { input: 1, output: 8, reasoning: 20 })).toBe(0.0152);
  });

  it('inconsistent or missing counts never make a negative cost', () => {
    const p: ModelPrice = { input: 1, output: 1, cacheRead: 0.1 };
    expect(computeCostPicoUsd(usage(100, 10, { cached: 500, write: 500, reasoning: 50 }), p)).toBe(100n * 100_000n + 10n * 1_000_000n);
    expect(computeCostPicoUsd({ prompt_tokens: Number.NaN, completion_tokens: -5 }, p)).toBe(0n);
    expect(computeCostPicoUsd({ prompt_tokens: 10, completion_tokens: 0 }, p)).toBe(10_000_000n);
  });

  it('estimateCost: input estimate + output budget, tiers applied', async () => {
    const p = await price('google', 'gemini-2.5-pro');
    expect(estimateCost({ inputTokens: 10_000, outputTokens: 8_000 }, p)).toBe((10_000 * 1.25 + 8_000 * 10) / 1e6);
    expect(estimateCost({ inputTokens: 300_000, outputTokens: 1_000 }, p)).toBe((300_000 * 2.5 + 1_000 * 15) / 1e6);
  });

  it('converts pico-USD', () => {
    expect(picoUsdToUsd(1_500_000_000_000n)).toBe(1.5);
    expect(picoUsdToUsd(10n ** 20n + 5n * 10n ** 11n)).toBe(100_000_000.5);
    expect(picoUsdToNanoUsd(1_001n)).toBe(2n);
    expect(picoUsdToNanoUsd(1_001n, 'floor')).toBe(1n);
    expect(picoUsdToNanoUsd(2_000n)).toBe(2n);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const microPrice = fc.integer({ min: 0, max: 2_000_000_000 }); // USD per 1M tokens × 1e6 (up to $2 000 / 1M)
const count = fc.integer({ min: 0, max: 50_000_000 });

const priceArb = fc.record({
  input: microPrice,
  output: microPrice,
  cacheRead: fc.option(microPrice, { nil: undefined }),
  cacheWrite: fc.option(microPrice, { nil: undefined }),
  cacheWrite1h: fc.option(microPrice, { nil: undefined }),
  reasoning: fc.option(microPrice, { nil: undefined }),
});
type MicroPrice = { input: number; output: number; cacheRead?: number | undefined; cacheWrite?: number | undefined; cacheWrite1h?: number | undefined; reasoning?: number | undefined };

function toPrice(m: MicroPrice): ModelPrice {
  const p: ModelPrice = { input: m.input / 1e6, output: m.output / 1e6 };
  if (m.cacheRead !== undefined) p.cacheRead = m.cacheRead / 1e6;
  if (m.cacheWrite !== undefined) p.cacheWrite = m.cacheWrite / 1e6;
  if (m.cacheWrite1h !== undefined) p.cacheWrite1h = m.cacheWrite1h / 1e6;
  if (m.reasoning !== undefined) p.reasoning = m.reasoning / 1e6;
  return p;
}

const tokensArb = fc.record({ uncached: count, read: count, write: count, output: count, reasoningShare: fc.double({ min: 0, max: 1, noNaN: true }) });
type Tokens = { uncached: number; read: number; write: number; output: number; reasoningShare: number };

function toUsage(t: Tokens): UsageForCost {
  return usage(t.uncached + t.read + t.write, t.output, { cached: t.read, write: t.write, reasoning: Math.floor(t.output * t.reasoningShare) });
}

/** The hand calculation, in integers: micro-USD per 1M tokens × tokens = pico-USD. */
function byHand(m: MicroPrice, t: Tokens, ttl: '5m' | '1h'): bigint {
  const reasoning = Math.floor(t.output * t.reasoningShare);
  const write5m = m.cacheWrite ?? m.input;
  const write = ttl === '1h' ? (m.cacheWrite1h ?? write5m) : write5m;
  return (
    BigInt(t.uncached) * BigInt(m.input) +
    BigInt(t.read) * BigInt(m.cacheRead ?? m.input) +
    BigInt(t.write) * BigInt(write) +
    BigInt(t.output - reasoning) * BigInt(m.output) +
    BigInt(reasoning) * BigInt(m.reasoning ?? m.output)
  );
}

describe('cost properties', () => {
  it('equals the hand calculation exactly, in integer pico-USD, and the USD number is its nearest double', () => {
    fc.assert(
      fc.property(priceArb, tokensArb, fc.constantFrom('5m' as const, '1h' as const), (m, t, ttl) => {
        const pico = computeCostPicoUsd(toUsage(t), toPrice(m), { cacheWriteTtl: ttl });
        expect(pico).toBe(byHand(m, t, ttl));
        if (pico <= BigInt(Number.MAX_SAFE_INTEGER)) expect(computeCost(toUsage(t), toPrice(m), { cacheWriteTtl: ttl })).toBe(Number(pico) / 1e12);
      }),
      { numRuns: 500 },
    );
  });

  it('is additive over calls (untiered prices)', () => {
    fc.assert(
      fc.property(priceArb, tokensArb, tokensArb, (m, a, b) => {
        const p = toPrice({ ...m, reasoning: undefined });
        const sum: Tokens = { uncached: a.uncached + b.uncached, read: a.read + b.read, write: a.write + b.write, output: a.output + b.output, reasoningShare: 0 };
        const a0 = { ...a, reasoningShare: 0 };
        const b0 = { ...b, reasoningShare: 0 };
        expect(computeCostPicoUsd(toUsage(sum), p)).toBe(computeCostPicoUsd(toUsage(a0), p) + computeCostPicoUsd(toUsage(b0), p));
      }),
      { numRuns: 300 },
    );
  });

  it('is never negative, whatever the usage', () => {
    const anyCount = fc.oneof(fc.integer({ min: -1_000_000, max: 100_000_000 }), fc.double(), fc.constant(undefined));
    fc.assert(
      fc.property(priceArb, anyCount, anyCount, anyCount, anyCount, anyCount, (m, prompt, completion, cached, write, reasoning) => {
        const u = {
          prompt_tokens: prompt as number,
          completion_tokens: completion as number,
          prompt_tokens_details: { cached_tokens: cached, cache_write_tokens: write },
          completion_tokens_details: { reasoning_tokens: reasoning },
        };
        expect(computeCostPicoUsd(u, toPrice(m)) >= 0n).toBe(true);
        expect(computeCost(u, toPrice(m))).toBeGreaterThanOrEqual(0);
        // The double fast path and the BigInt path agree on any usage, malformed ones too.
        expect(computeCost(u, toPrice(m))).toBe(picoUsdToUsd(computeCostPicoUsd(u, toPrice(m))));
      }),
      { numRuns: 500 },
    );
  });

  it('is monotone in each token count, across tier thresholds too', () => {
    // Tier prices at or above the base prices, as every catalog tier is.
    const tiered = fc.tuple(priceArb, fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000_000 })).map(([m, above, bump]) => {
      const p = toPrice(m);
      p.tiers = [{ aboveTokens: above, input: p.input + bump / 1e6, output: p.output + bump / 1e6, cacheRead: (p.cacheRead ?? p.input) + bump / 1e6, cacheWrite: (p.cacheWrite ?? p.input) + bump / 1e6 }];
      return p;
    });
    const field = fc.constantFrom('uncached' as const, 'read' as const, 'write' as const, 'output' as const);
    fc.assert(
      fc.property(fc.oneof(priceArb.map(toPrice), tiered), tokensArb, field, fc.integer({ min: 1, max: 2_000_000 }), (p, t, f, delta) => {
        const base = { ...t, reasoningShare: 0 };
        const more = { ...base, [f]: base[f] + delta };
        expect(computeCostPicoUsd(toUsage(more), p) >= computeCostPicoUsd(toUsage(base), p)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
