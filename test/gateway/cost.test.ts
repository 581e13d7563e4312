import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, openai, openaiCompatible, openrouter } from '../../src/index.js';
import { type Loopback, sendJson, startLoopback, startSse } from '../helpers/loopback.js';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());

const usage = { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, prompt_tokens_details: { cached_tokens: 1000 } };
const answer = (model: string, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-cost',
  object: 'chat.completion',
  created: 1767612000,
  model,
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { ...usage, ...extra },
});

function serve(extra: Record<string, unknown> = {}): void {
  server.handle((_req, res, body) => {
    const { model, stream } = JSON.parse(body) as { model: string; stream?: boolean };
    if (!stream) return sendJson(res, 200, answer(model, extra));
    startSse(res);
    const base = { id: 'chatcmpl-cost', object: 'chat.completion.chunk', created: 1767612000, model };
    res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { ...usage, ...extra } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
}

const messages = [{ role: 'user' as const, content: 'Hi' }];

async function streamedCost(mux: ReturnType<typeof createGateway>, model: string): Promise<number | null | undefined> {
  const stream = await mux.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
  let cost: number | null | undefined;
  for await (const chunk of stream) if (chunk.usage) cost = chunk.usage.cost;
  return cost;
}

describe('usage.cost', () => {
  it('is computed from the catalog (gpt-4o-mini, cached input) and equal streamed or not', async () => {
    serve();
    const mux = createGateway({ providers: { openai: openai({ apiKey: 'sk-test-cost-000000000000', baseURL: server.baseURL }) } });
    const result = await mux.chat.completions.create({ model: 'openai/gpt-4o-mini', messages });
    // 200 uncached × $0.15/M + 1000 cached × $0.075/M + 300 output × $0.60/M
    const expected = (200 * 0.15 + 1000 * 0.075 + 300 * 0.6) / 1e6;
    expect(result.usage.cost).toBeCloseTo(expected, 12);
    expect(await streamedCost(mux, 'openai/gpt-4o-mini')).toBe(result.usage.cost);
    mux.close();
  });

  it('a provider-reported cost (OpenRouter) wins over the catalog', async () => {
    serve({ cost: 0.00123 });
    const mux = createGateway({ providers: { openrouter: openrouter({ apiKey: 'sk-or-v1-cost-0000000000', baseURL: server.baseURL }) } });
    const result = await mux.chat.completions.create({ model: 'openrouter/openai/gpt-4o-mini', messages });
    expect(result.usage.cost).toBe(0.00123);
    expect(await streamedCost(mux, 'openrouter/openai/gpt-4o-mini')).toBe(0.00123);
    mux.close();
  });

  it('user pricing prices a custom model; an unknown price is null with a warning', async () => {
    serve();
    const warnings: string[] = [];
    const mux = createGateway({
      providers: { llama: openaiCompatible({ name: 'llama', baseURL: server.baseURL }) },
      pricing: { 'llama/priced': { input: 1, output: 2 } },
      hooks: { onWarning: (e) => warnings.push(e.message) },
    });
    expect((await mux.chat.completions.create({ model: 'llama/priced', messages })).usage.cost).toBeCloseTo((1200 * 1 + 300 * 2) / 1e6, 12);
    expect((await mux.chat.completions.create({ model: 'llama/unknown', messages })).usage.cost).toBeNull();
    expect(warnings).toEqual([expect.stringContaining('no price known for llama/unknown')]);
    mux.close();
  });

  it('bad pricing is a ValidationError naming the field, at createGateway', () => {
    expect(() => createGateway({ providers: {}, pricing: { 'llama/x': { input: -1, output: 2 } } })).toThrow(/pricing\.llama\/x\.input/);
  });
});
