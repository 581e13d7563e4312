import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors/classes.js';
import {
  catalogSnapshotDate,
  createPriceTable,
  loadCatalog,
  lookupModel,
  providersServing,
  type PriceOverride,
} from '../../src/pricing/catalog.js';
import { canonicalModelName, parseModelName } from '../../src/pricing/canonical.js';

const serving = async (model: string) => (await providersServing(model)).map((s) => `${s.provider}:${s.model}`);

describe('canonicalModelName', () => {
  it.each([
    ['claude-haiku-4-5', 'claude-haiku-4-5'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5'],
    ['us.anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['apac.anthropic.claude-3-5-sonnet-20241022-v2:0', 'claude-3-5-sonnet'],
    ['anthropic.claude-opus-4-6-v1', 'claude-opus-4-6'],
    ['anthropic/claude-haiku-4.5', 'claude-haiku-4-5'],
    ['anthropic/claude-3.5-sonnet', 'claude-3-5-sonnet'],
    ['openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['gpt-4.1', 'gpt-4-1'],
    ['google/gemini-2.5-pro', 'gemini-2-5-pro'],
    ['gemini-2.5-pro', 'gemini-2-5-pro'],
    ['openai.gpt-oss-120b-1:0', 'gpt-oss-120b'],
    ['accounts/fireworks/models/gpt-oss-120b', 'gpt-oss-120b'],
    ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'llama-3-3-70b-instruct-turbo'],
    ['deepseek.v3.2', 'deepseek-v3-2'],
    ['us.deepseek.r1-v1:0', 'deepseek-r1'],
    ['deepseek/deepseek-v3.2', 'deepseek-v3-2'],
    ['anthropic.claude-haiku-4-5@20251001', 'claude-haiku-4-5'],
    // kept apart
    ['meta-llama/llama-3.3-70b-instruct:free', 'llama-3-3-70b-instruct:free'],
    ['llama3:8b', 'llama3:8b'],
    ['mistral-large-2407', 'mistral-large-2407'],
    ['gpt-3.5-turbo-0125', 'gpt-3-5-turbo-0125'],
    ['gemini-2.5-flash-preview-09-2025', 'gemini-2-5-flash-preview-09-2025'],
  ])('%s → %s', (id, canonical) => {
    expect(canonicalModelName(id)).toBe(canonical);
  });

  it('parses the parts it removes', () => {
    expect(parseModelName('us.anthropic.claude-haiku-4-5-20251001-v1:0')).toEqual({
      canonical: 'claude-haiku-4-5', date: '20251001', region: 'us', vendor: 'anthropic',
    });
    expect(parseModelName('gpt-4o-2024-08-06')).toEqual({ canonical: 'gpt-4o', date: '20240806' });
    expect(parseModelName('openrouter/auto')).toEqual({ canonical: 'auto', vendor: 'openrouter' });
  });

  it('is idempotent on every catalog id', async () => {
    const catalog = await loadCatalog();
    for (const info of catalog.models()) {
      expect(canonicalModelName(info.canonical), info.model).toBe(info.canonical);
      expect(info.canonical).toBe(canonicalModelName(info.model));
    }
  });
});

describe('lookupModel', () => {
  it('finds exact native ids', async () => {
    expect((await lookupModel('openai', 'gpt-4o-mini'))?.price).toEqual({ input: 0.15, output: 0.6, cacheRead: 0.075 });
    expect((await lookupModel('bedrock', 'us.anthropic.claude-haiku-4-5-20251001-v1:0'))?.price.input).toBe(1.1);
    expect((await lookupModel('openrouter', 'anthropic/claude-haiku-4.5'))?.model).toBe('anthropic/claude-haiku-4.5');
    expect((await lookupModel('ollama', 'llama3:8b'))?.price.input).toBe(0);
    expect((await lookupModel('together', 'meta-llama/llama-3.3-70b-instruct-turbo'))?.model).toBe('meta-llama/Llama-3.3-70B-Instruct-Turbo');
  });

  it('matches dated ids and their aliases, never another date', async () => {
    expect((await lookupModel('anthropic', 'claude-haiku-4-5-20251001'))?.model).toBe('claude-haiku-4-5-20251001');
    expect((await lookupModel('anthropic', 'claude-3-haiku'))?.model).toBe('claude-3-haiku-20240307');
    expect((await lookupModel('openai', 'gpt-4o-mini-2024-07-18'))?.model).toBe('gpt-4o-mini-2024-07-18');
    // an unknown date of a known alias → the alias
    expect((await lookupModel('openai', 'gpt-4o-mini-2030-01-01'))?.model).toBe('gpt-4o-mini');
    // another known date is not substituted
    expect((await lookupModel('anthropic', 'claude-3-haiku-20200101'))).toBeUndefined();
    expect((await lookupModel('openai', 'gpt-4o-2024-05-13'))?.price.input).toBe(5);
    expect((await lookupModel('openai', 'gpt-4o'))?.price.input).toBe(2.5);
  });

  it('resolves Bedrock spellings and an unlisted inference profile to the base id', async () => {
    expect((await lookupModel('bedrock', 'claude-haiku-4-5'))?.model).toBe('anthropic.claude-haiku-4-5-20251001-v1:0');
    expect((await lookupModel('bedrock', 'ca.anthropic.claude-haiku-4-5-20251001-v1:0'))?.model).toBe('anthropic.claude-haiku-4-5-20251001-v1:0');
  });

  it('keeps :free OpenRouter ids distinct and fine-tunes on their base', async () => {
    expect(await lookupModel('openrouter', 'anthropic/claude-haiku-4.5:free')).toBeUndefined();
    expect((await lookupModel('openai', 'ft:gpt-4o-mini-2024-07-18:acme::abc123'))?.model).toBe('ft:gpt-4o-mini-2024-07-18');
    expect(await lookupModel('openai', 'ft:gpt-9:acme::x')).toBeUndefined();
  });

  it('answers undefined for unknown models and providers', async () => {
    expect(await lookupModel('openai', 'no-such-model')).toBeUndefined();
    expect(await lookupModel('nope', 'gpt-4o-mini')).toBeUndefined();
    expect(await lookupModel('azure', 'my-deployment')).toBeUndefined();
  });
});

describe('providersServing', () => {
  it('claude-haiku-4-5: anthropic, bedrock (base id, then global, then regional profiles), openrouter', async () => {
    const list = await serving('claude-haiku-4-5');
    expect(list[0]).toBe('anthropic:claude-haiku-4-5');
    expect(list).not.toContain('anthropic:claude-haiku-4-5-20251001');
    expect(list[1]).toBe('bedrock:anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(list[2]).toBe('bedrock:global.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(list).toContain('bedrock:us.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(list.at(-1)).toBe('openrouter:anthropic/claude-haiku-4.5');
    const info = (await providersServing('claude-haiku-4-5'))[0]!.info;
    expect(info.price.cacheWrite1h).toBe(2);
  });

  it('a dated bare id keeps its date where the provider lists it', async () => {
    const list = await serving('claude-haiku-4-5-20251001');
    expect(list[0]).toBe('anthropic:claude-haiku-4-5-20251001');
    expect(list).toContain('openrouter:anthropic/claude-haiku-4.5');
  });

  it('gpt-4o-mini: openai and azure (this snapshot has no OpenRouter entry for it)', async () => {
    expect(await serving('gpt-4o-mini')).toEqual(['azure:gpt-4o-mini', 'openai:gpt-4o-mini']);
    expect(await serving('gpt-4o')).toEqual(['azure:gpt-4o', 'openai:gpt-4o', 'openrouter:openai/gpt-4o']);
  });

  it('normalizes dots and vendor paths, and keeps :free apart', async () => {
    expect(await serving('claude-haiku-4.5')).toEqual(await serving('claude-haiku-4-5'));
    expect(await serving('gpt-oss-120b')).toEqual(expect.arrayContaining([
      'bedrock:openai.gpt-oss-120b-1:0', 'groq:openai/gpt-oss-120b', 'openrouter:openai/gpt-oss-120b', 'together:openai/gpt-oss-120b',
    ]));
    expect(await serving('gpt-oss-120b:free')).toEqual([]);
    expect(await serving('no-such-model')).toEqual([]);
  });

  it('only the latest date when a provider has no undated alias', async () => {
    const list = await serving('claude-3-5-sonnet');
    expect(list.filter((s) => s.startsWith('bedrock:'))).toEqual([
      'bedrock:anthropic.claude-3-5-sonnet-20241022-v2:0',
      'bedrock:apac.anthropic.claude-3-5-sonnet-20241022-v2:0',
      'bedrock:eu.anthropic.claude-3-5-sonnet-20241022-v2:0',
      'bedrock:us.anthropic.claude-3-5-sonnet-20241022-v2:0',
    ]);
  });
});

describe('createPriceTable (user pricing)', () => {
  it('an override wins over the catalog, keeping its limits and capabilities', async () => {
    const table = createPriceTable({ 'openai/gpt-4o-mini': { input: 0.1, output: 0.4 } });
    const info = await table.lookupModel('openai', 'gpt-4o-mini');
    expect(info).toMatchObject({ source: 'override', price: { input: 0.1, output: 0.4 }, contextWindow: 128000, maxOutput: 16384 });
    expect(info?.price.cacheRead).toBeUndefined();
    expect(info?.capabilities.tools).toBe(true);
    // the default catalog is untouched
    expect((await lookupModel('openai', 'gpt-4o-mini'))?.price.input).toBe(0.15);
    // providersServing sees the override
    const served = await table.providersServing('gpt-4o-mini');
    expect(served.find((s) => s.provider === 'openai')?.info.source).toBe('override');
  });

  it('adds models the catalog lacks, under any provider key', async () => {
    const table = createPriceTable({
      'llama/meta-llama/Llama-3.3-70B': { input: 0, output: 0, contextWindow: 131072, capabilities: { tools: true } },
      'azure/my-gpt4o-deployment': { input: 2.5, output: 10, cacheRead: 1.25 },
    });
    const llama = await table.lookupModel('llama', 'meta-llama/Llama-3.3-70B');
    expect(llama).toMatchObject({ provider: 'llama', model: 'meta-llama/Llama-3.3-70B', contextWindow: 131072 });
    expect(llama?.capabilities).toMatchObject({ tools: true, vision: false });
    expect((await table.lookupModel('azure', 'my-gpt4o-deployment'))?.price).toEqual({ input: 2.5, output: 10, cacheRead: 1.25 });
    expect((await table.load()).snapshotDate).toBe(catalogSnapshotDate);
  });

  it('rounds override prices to 6 decimals and sorts tiers', async () => {
    const table = createPriceTable({
      'x/m': { input: 0.1234567, output: 1, tiers: [{ aboveTokens: 500_000, input: 3 }, { aboveTokens: 100_000, input: 2 }] },
    });
    const info = await table.lookupModel('x', 'm');
    expect(info?.price.input).toBe(0.123457);
    expect(info?.price.tiers?.map((t) => t.aboveTokens)).toEqual([100_000, 500_000]);
  });

  it.each<[string, unknown, string]>([
    ['negative', { 'openai/gpt-4o': { input: -1, output: 1 } }, 'pricing.openai/gpt-4o.input'],
    ['NaN', { 'openai/gpt-4o': { input: 1, output: Number.NaN } }, 'pricing.openai/gpt-4o.output'],
    ['Infinity', { 'openai/gpt-4o': { input: 1, output: 1, cacheRead: Number.POSITIVE_INFINITY } }, 'pricing.openai/gpt-4o.cacheRead'],
    ['missing', { 'openai/gpt-4o': { input: 1 } }, 'pricing.openai/gpt-4o.output'],
    ['unknown field', { 'openai/gpt-4o': { input: 1, output: 1, inptu: 2 } }, 'pricing.openai/gpt-4o.inptu'],
    ['bad tier', { 'openai/gpt-4o': { input: 1, output: 1, tiers: [{ aboveTokens: 0 }] } }, 'pricing.openai/gpt-4o.tiers.0.aboveTokens'],
    ['bad key', { 'gpt-4o': { input: 1, output: 1 } }, 'pricing.gpt-4o'],
  ])('rejects a %s value with a ValidationError naming the field', (_name, overrides, field) => {
    let caught: unknown;
    try {
      createPriceTable(overrides as Record<string, PriceOverride>);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).field).toBe(field);
    expect((caught as ValidationError).code).toBe('validation_error');
  });
});
