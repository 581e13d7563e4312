import { describe, expect, it } from 'vitest';
import { createGateway, openaiCompatible } from '../../src/index.js';

describe('mux.fetch GET /models', () => {
  it('lists the aliases with their deployments and the configured models with prices', async () => {
    const mux = createGateway({
      providers: { local: openaiCompatible({ name: 'local', baseURL: 'http://127.0.0.1:9/v1' }) },
      models: { fast: ['local/small', 'local/big:floor'] },
      routing: { fallbacks: { 'local/big': ['local/backup'] } },
      pricing: { 'local/small': { input: 0.1, output: 0.2, contextWindow: 8192 } },
    });
    const response = await mux.fetch('http://modelmux.local/v1/models');
    expect(response.status).toBe(200);
    const list = (await response.json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(list.object).toBe('list');
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(['fast', 'local/small', 'local/big', 'local/backup']);
    expect(list.data[0]).toMatchObject({ object: 'model', owned_by: 'modelmux', deployments: ['local/small', 'local/big:floor'] });
    expect(list.data[1]).toMatchObject({ owned_by: 'local', pricing: { input: 0.1, output: 0.2 }, context_window: 8192 });
    mux.close();
  });
});
