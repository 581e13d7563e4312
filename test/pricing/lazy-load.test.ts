import { describe, expect, it, vi } from 'vitest';

// Counts evaluations of the generated data module: the factory runs only when something imports it.
const seen = vi.hoisted(() => ({ generatedImports: 0 }));
vi.mock('../../src/pricing/catalog.generated.js', async (importOriginal) => {
  seen.generatedImports += 1;
  return importOriginal();
});

describe('catalog loading', () => {
  it('importing the pricing modules neither imports nor decodes the data; the first lookup does, once', async () => {
    const pricing = await import('../../src/pricing/index.js');
    expect(seen.generatedImports).toBe(0);
    expect(pricing.catalogLoadState()).toEqual({ status: 'idle', decodes: 0 });
    expect(pricing.catalogSnapshotDate).toBe('2026-07-24'); // synchronous, from the tiny date module

    const table = pricing.createPriceTable({ 'openai/gpt-4o-mini': { input: 1, output: 2 } });
    expect(seen.generatedImports).toBe(0);

    const [a, b] = await Promise.all([pricing.lookupModel('openai', 'gpt-4o-mini'), table.lookupModel('openai', 'gpt-4o-mini')]);
    expect(a?.price.input).toBe(0.15);
    expect(b?.price.input).toBe(1);
    expect(seen.generatedImports).toBe(1);
    expect(pricing.catalogLoadState()).toEqual({ status: 'ready', decodes: 1 });

    await pricing.providersServing('claude-haiku-4-5');
    await pricing.createPriceTable().load();
    expect(pricing.catalogLoadState().decodes).toBe(1);
  });
});
