import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors/classes.js';
import { StatsRegistry } from '../../src/routing/stats.js';
import {
  byPrice,
  byThroughput,
  cost,
  createLatencyStrategy,
  expectedCostUsd,
  fallback,
  latency,
  leastBusy,
  type RoutedDeployment,
  resolveStrategy,
  STRATEGIES,
  STRATEGY_NAMES,
  type StrategyContext,
  usage,
  usageHeadroom,
  weighted,
} from '../../src/routing/strategies/index.js';

/** mulberry32: a small seeded PRNG. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface TestDeployment extends RoutedDeployment {
  tag: string;
}

function dep(name: string, extra: Partial<RoutedDeployment> = {}): TestDeployment {
  return { id: `p/${name}`, provider: 'p', model: name, tag: name, ...extra };
}

function setup(overrides: Partial<StrategyContext> = {}) {
  const registry = new StatsRegistry({ now: () => 0 });
  const context: StrategyContext = {
    estimatedInputTokens: 1000,
    maxOutputTokens: 500,
    stream: false,
    stats: (id) => registry.get(id),
    random: () => 0.99,
    now: 0,
    ...overrides,
  };
  return { registry, context };
}

const names = (list: readonly TestDeployment[]) => list.map((d) => d.tag);

describe('fallback', () => {
  it('keeps the listed order in a new array', () => {
    const { context } = setup();
    const input = [dep('a'), dep('b'), dep('c')];
    const out = fallback(input, context);
    expect(names(out)).toEqual(['a', 'b', 'c']);
    expect(out).not.toBe(input);
  });
});

describe('cost', () => {
  it('computes expected USD for this request, cache-aware', () => {
    const { context } = setup({ estimatedInputTokens: 1000, cachedInputTokens: 400, maxOutputTokens: 500 });
    const d = dep('a', { price: { input: 2, output: 8, cacheRead: 0.5 } });
    // (600 × 2 + 400 × 0.5 + 500 × 8) / 1e6
    expect(expectedCostUsd(d, context)).toBeCloseTo(0.0054, 12);
    expect(expectedCostUsd(dep('x', { price: { input: 2, output: 8 } }), context)).toBeCloseTo((1000 * 2 + 500 * 8) / 1e6, 12);
    expect(expectedCostUsd(dep('u'), context)).toBeUndefined();
  });

  it('picks the cheapest and changes its pick when prices change', () => {
    const { context } = setup();
    const a = dep('a', { price: { input: 1, output: 2 } });
    const b = dep('b', { price: { input: 0.5, output: 1 } });
    expect(names(cost([a, b], context))).toEqual(['b', 'a']);
    const pricier = { ...b, price: { input: 3, output: 6 } };
    expect(names(cost([a, pricier], context))).toEqual(['a', 'b']);
  });

  it('weighs tokens: a cheap-input model wins a long prompt, a cheap-output one a long answer', () => {
    const a = dep('a', { price: { input: 0.1, output: 10 } });
    const b = dep('b', { price: { input: 5, output: 1 } });
    expect(names(cost([a, b], setup({ estimatedInputTokens: 100_000, maxOutputTokens: 100 }).context))).toEqual(['a', 'b']);
    expect(names(cost([a, b], setup({ estimatedInputTokens: 100, maxOutputTokens: 100_000 }).context))).toEqual(['b', 'a']);
  });

  it('cache reads change the pick', () => {
    const a = dep('a', { price: { input: 1, output: 1, cacheRead: 0.1 } });
    const b = dep('b', { price: { input: 0.8, output: 1 } });
    expect(names(cost([a, b], setup({ estimatedInputTokens: 10_000, maxOutputTokens: 0 }).context))).toEqual(['b', 'a']);
    expect(names(cost([a, b], setup({ estimatedInputTokens: 10_000, cachedInputTokens: 9000, maxOutputTokens: 0 }).context))).toEqual(['a', 'b']);
  });

  it('unknown prices go last; ties keep list order; byPrice is the same ordering', () => {
    const { context } = setup();
    const list = [dep('u1'), dep('a', { price: { input: 1, output: 1 } }), dep('u2'), dep('b', { price: { input: 1, output: 1 } }), dep('free', { price: { input: 0, output: 0 } })];
    expect(names(cost(list, context))).toEqual(['free', 'a', 'b', 'u1', 'u2']);
    expect(names(byPrice(list, context))).toEqual(['free', 'a', 'b', 'u1', 'u2']);
  });
});

describe('latency', () => {
  it('orders by ms per output token and changes its pick when observed latencies change', () => {
    const { registry, context } = setup();
    const a = dep('a');
    const b = dep('b');
    registry.get(a.id).recordSuccess({ latencyMs: 2000, completionTokens: 10, stream: false }); // 200 ms/token
    registry.get(b.id).recordSuccess({ latencyMs: 5000, completionTokens: 10, stream: false }); // 500 ms/token
    expect(names(latency([b, a], context))).toEqual(['a', 'b']);
    for (let i = 0; i < 10; i += 1) registry.get(a.id).recordSuccess({ latencyMs: 9000, completionTokens: 10, stream: false });
    expect(names(latency([b, a], context))).toEqual(['b', 'a']);
  });

  it('normalises by output tokens: a long answer does not look slow', () => {
    const { registry, context } = setup();
    registry.get('p/long').recordSuccess({ latencyMs: 10_000, completionTokens: 1000, stream: false }); // 10 ms/token
    registry.get('p/short').recordSuccess({ latencyMs: 1000, completionTokens: 10, stream: false }); // 100 ms/token
    expect(names(latency([dep('short'), dep('long')], context))).toEqual(['long', 'short']);
  });

  it('streams rank by time to first token', () => {
    const { registry, context } = setup({ stream: true });
    registry.get('p/a').recordSuccess({ latencyMs: 800, stream: true });
    registry.get('p/b').recordSuccess({ latencyMs: 300, stream: true });
    registry.get('p/a').recordSuccess({ latencyMs: 100, completionTokens: 100, stream: false }); // not a TTFT
    expect(names(latency([dep('a'), dep('b')], context))).toEqual(['b', 'a']);
    registry.get('p/a').recordSuccess({ latencyMs: 50, stream: true });
    registry.get('p/a').recordSuccess({ latencyMs: 50, stream: true });
    registry.get('p/a').recordSuccess({ latencyMs: 50, stream: true });
    registry.get('p/a').recordSuccess({ latencyMs: 50, stream: true });
    expect(names(latency([dep('a'), dep('b')], context))).toEqual(['a', 'b']);
  });

  it('unmeasured candidates follow the measured ones, except with probability ε', () => {
    const { registry, context } = setup();
    registry.get('p/m').recordSuccess({ latencyMs: 100, completionTokens: 1, stream: false });
    const list = [dep('u1'), dep('m'), dep('u2')];
    expect(names(latency(list, { ...context, random: () => 0.1 }))).toEqual(['m', 'u1', 'u2']);
    expect(names(latency(list, { ...context, random: () => 0.09 }))).toEqual(['u1', 'm', 'u2']);
    let firsts = 0;
    const random = seeded(7);
    for (let i = 0; i < 10_000; i += 1) if (latency(list, { ...context, random })[0]!.tag !== 'm') firsts += 1;
    expect(firsts / 10_000).toBeCloseTo(0.1, 1);
  });

  it('re-explores a candidate whose samples went stale', () => {
    const { registry, context } = setup();
    registry.get('p/fast').recordSuccess({ latencyMs: 10, completionTokens: 1, stream: false, now: 400_000 });
    registry.get('p/slow').recordSuccess({ latencyMs: 900, completionTokens: 1, stream: false, now: 0 });
    const list = [dep('fast'), dep('slow')];
    expect(names(latency(list, { ...context, now: 400_000, random: () => 0 }))).toEqual(['slow', 'fast']);
    expect(names(latency(list, { ...context, now: 200_000, random: () => 0 }))).toEqual(['fast', 'slow']);
    expect(names(createLatencyStrategy({ epsilon: 0 })(list, { ...context, now: 400_000, random: () => 0 }))).toEqual(['fast', 'slow']);
  });

  it('with nothing measured keeps list order', () => {
    const { context } = setup();
    expect(names(latency([dep('a'), dep('b')], { ...context, random: () => 0.5 }))).toEqual(['a', 'b']);
  });
});

describe('weighted', () => {
  it('draws 1:2 weights in proportion (±0.01 over 30 000 draws)', () => {
    const { context } = setup({ random: seeded(42) });
    const list = [dep('a', { weight: 1 }), dep('b', { weight: 2 })];
    let a = 0;
    for (let i = 0; i < 30_000; i += 1) {
      if (weighted(list, context)[0]!.tag === 'a') a += 1;
    }
    expect(weighted(list, context)).toHaveLength(2);
    expect(Math.abs(a / 30_000 - 1 / 3)).toBeLessThan(0.01);
    expect(Math.abs((30_000 - a) / 30_000 - 2 / 3)).toBeLessThan(0.01);
  });

  it('missing weight = 1; weight 0 goes last; draws without replacement', () => {
    const list = [dep('zero', { weight: 0 }), dep('one'), dep('big', { weight: 3 })];
    // r = 0 → first positive; r near 1 → last positive.
    expect(names(weighted(list, setup({ random: () => 0 }).context))).toEqual(['one', 'big', 'zero']);
    expect(names(weighted(list, setup({ random: () => 0.99 }).context))).toEqual(['big', 'one', 'zero']);
  });
});

describe('least-busy', () => {
  it('picks the candidate with fewest in flight; ties keep list order; counters settle', () => {
    const { registry, context } = setup();
    const ends = [registry.get('p/a').begin(), registry.get('p/a').begin(), registry.get('p/a').begin()];
    expect(names(leastBusy([dep('a'), dep('b')], context))).toEqual(['b', 'a']);
    const endC = registry.get('p/c').begin();
    expect(names(leastBusy([dep('a'), dep('c'), dep('b')], context))).toEqual(['b', 'c', 'a']);
    for (const end of ends) end();
    endC();
    expect(names(leastBusy([dep('a'), dep('c'), dep('b')], context))).toEqual(['a', 'c', 'b']);
  });
});

describe('usage', () => {
  it('most headroom first against configured rpm/tpm; a candidate at its limit goes last', () => {
    const { registry, context } = setup({ now: 1000 });
    const a = dep('a', { rpm: 10 });
    const b = dep('b', { rpm: 10 });
    for (let i = 0; i < 5; i += 1) registry.get(a.id).begin(1000)();
    expect(names(usage([a, b], context))).toEqual(['b', 'a']);
    expect(usageHeadroom(a, context)).toBeCloseTo(0.4, 10);
    for (let i = 0; i < 10; i += 1) registry.get(b.id).begin(1000)();
    expect(usageHeadroom(b, context)).toBeLessThan(0);
    expect(names(usage([b, a], context))).toEqual(['a', 'b']);
    // A minute later both are free again: list order.
    expect(names(usage([b, a], { ...context, now: 61_000 }))).toEqual(['b', 'a']);
  });

  it('counts this request’s tokens against tpm', () => {
    const { registry, context } = setup({ estimatedInputTokens: 800, maxOutputTokens: 200, now: 0 });
    const a = dep('a', { tpm: 10_000 });
    const b = dep('b', { tpm: 2_000 });
    expect(names(usage([b, a], context))).toEqual(['a', 'b']);
    registry.get(a.id).recordTokens(9_500, 0);
    expect(names(usage([a, b], context))).toEqual(['b', 'a']); // a: 9 500 + 1 000 > 10 000
  });

  it('uses the provider’s remaining-requests/tokens headers', () => {
    const { registry, context } = setup();
    const a = dep('a');
    const b = dep('b');
    const header = (values: Record<string, string>) => (name: string) => values[name] ?? null;
    registry.get(a.id).recordRateLimitHeaders(header({ 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-limit-requests': '100', 'x-ratelimit-reset-requests': '30s' }), 0);
    registry.get(b.id).recordRateLimitHeaders(header({ 'x-ratelimit-remaining-requests': '80', 'x-ratelimit-limit-requests': '100', 'x-ratelimit-reset-requests': '30s' }), 0);
    expect(names(usage([a, b], context))).toEqual(['b', 'a']);
    registry.get(b.id).recordRateLimitHeaders(header({ 'anthropic-ratelimit-tokens-remaining': '100' }), 0);
    expect(usageHeadroom(b, context)).toBeLessThan(0);
    expect(names(usage([b, a], context))).toEqual(['a', 'b']);
  });

  it('no limits at all keeps list order', () => {
    const { context } = setup();
    expect(names(usage([dep('x'), dep('y')], context))).toEqual(['x', 'y']);
  });
});

describe('byThroughput (:nitro)', () => {
  it('highest tokens/s first, then lowest TTFT, unmeasured last', () => {
    const { registry, context } = setup();
    registry.get('p/slow').recordStreamEnd({ generationMs: 1000, completionTokens: 50 });
    registry.get('p/fast').recordStreamEnd({ generationMs: 1000, completionTokens: 300 });
    registry.get('p/ttft').recordSuccess({ latencyMs: 200, stream: true });
    registry.get('p/ttft2').recordSuccess({ latencyMs: 100, stream: true });
    const list = [dep('none'), dep('ttft'), dep('slow'), dep('ttft2'), dep('fast')];
    expect(names(byThroughput(list, context))).toEqual(['fast', 'slow', 'ttft2', 'ttft', 'none']);
    for (let i = 0; i < 5; i += 1) registry.get('p/slow').recordStreamEnd({ generationMs: 1000, completionTokens: 900 });
    expect(names(byThroughput(list, context))[0]).toBe('slow');
  });
});

describe('every strategy', () => {
  it('returns a permutation in a new array and never mutates its input', () => {
    const strategies = [...Object.values(STRATEGIES), byThroughput, byPrice];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            weight: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
            price: fc.option(fc.record({ input: fc.integer({ min: 0, max: 10 }), output: fc.integer({ min: 0, max: 10 }) }), { nil: undefined }),
            rpm: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
            inFlight: fc.integer({ min: 0, max: 3 }),
            latency: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
          }),
          { maxLength: 8 },
        ),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (specs, r) => {
          const { registry, context } = setup({ random: () => r });
          const list = specs.map((spec, i) => {
            const d = dep(`d${i}`, { ...(spec.weight === undefined ? {} : { weight: spec.weight }), ...(spec.price === undefined ? {} : { price: spec.price }), ...(spec.rpm === undefined ? {} : { rpm: spec.rpm }) });
            for (let k = 0; k < spec.inFlight; k += 1) registry.get(d.id).begin(0);
            if (spec.latency !== undefined) registry.get(d.id).recordSuccess({ latencyMs: spec.latency, completionTokens: 1, stream: false });
            return d;
          });
          const frozen = Object.freeze([...list]);
          for (const strategy of strategies) {
            const out = strategy(frozen, context);
            expect(out).not.toBe(frozen);
            expect([...out].sort((x, y) => x.tag.localeCompare(y.tag))).toEqual([...list].sort((x, y) => x.tag.localeCompare(y.tag)));
          }
        },
      ),
    );
  });
});

describe('resolveStrategy', () => {
  it('resolves every built-in name', () => {
    expect([...STRATEGY_NAMES].sort()).toEqual(Object.keys(STRATEGIES).sort());
    for (const name of STRATEGY_NAMES) expect(resolveStrategy(name)).toBe(STRATEGIES[name]);
  });

  it('an unknown name is a ValidationError naming strategy', () => {
    const attempt = () => resolveStrategy('fastest' as never);
    expect(attempt).toThrow(ValidationError);
    try {
      attempt();
    } catch (error) {
      expect((error as ValidationError).field).toBe('strategy');
      expect((error as ValidationError).message).toContain('fastest');
    }
    expect(() => resolveStrategy('toString' as never, 'routing.strategy')).toThrow(/routing\.strategy/);
  });

  it('accepts a custom function and hands back the caller’s own objects', () => {
    const { context } = setup();
    const list = [dep('a'), dep('b'), dep('c')];
    const custom = resolveStrategy((candidates) => [...candidates].reverse().map((d) => ({ ...d })).slice(0, 2).concat([{ id: 'nope', provider: 'x', model: 'y' }]));
    const out = custom(list, context);
    expect(names(out)).toEqual(['c', 'b']);
    expect(out[0]).toBe(list[2]);
    const bad = resolveStrategy((() => 'no') as never);
    expect(() => bad(list, context)).toThrow(ValidationError);
  });
});
