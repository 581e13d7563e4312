/** Cost routing: the cheapest deployment for this request goes first; prices change, so does the pick. */
import { createGateway, openaiCompatible } from '../src/index.js';
import { startMockServer } from './mock-openai-server.js';

const mock = await startMockServer();
const build = (pricing: Record<string, { input: number; output: number }>) =>
  createGateway({
    providers: {
      east: openaiCompatible({ name: 'east', baseURL: mock.baseURL }),
      west: openaiCompatible({ name: 'west', baseURL: mock.baseURL }),
    },
    models: { chat: { deployments: ['east/model-a', 'west/model-b'], strategy: 'cost' } },
    pricing,
  });

for (const pricing of [
  { 'east/model-a': { input: 3, output: 15 }, 'west/model-b': { input: 0.25, output: 1.25 } },
  { 'east/model-a': { input: 0.1, output: 0.4 }, 'west/model-b': { input: 0.25, output: 1.25 } },
]) {
  const mux = build(pricing);
  const res = await mux.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Summarize this.' }], max_tokens: 200 });
  console.log(`east $${pricing['east/model-a'].output}/M out, west $${pricing['west/model-b'].output}/M out → ${res.provider} ($${res.usage.cost?.toFixed(8)})`);
  mux.close();
}
await mock.close();
