/** Basic chat: one provider, one request, the OpenAI-shaped answer with provider and cost. */
import { createGateway, openaiCompatible } from '../src/index.js';
import { startMockServer } from './mock-openai-server.js';

const mock = await startMockServer(); // stands in for any OpenAI-compatible server (vLLM, LM Studio, …)
const mux = createGateway({
  providers: { local: openaiCompatible({ name: 'local', baseURL: mock.baseURL }) },
  pricing: { 'local/llama-3.1-8b': { input: 0.05, output: 0.08 } },
});

const res = await mux.chat.completions.create({
  model: 'local/llama-3.1-8b',
  messages: [{ role: 'user', content: 'Say hello in French.' }],
});
console.log(res.choices[0]?.message.content);
console.log(`served by ${res.provider}, ${res.usage.total_tokens} tokens, $${res.usage.cost?.toFixed(8)}`);

mux.close();
await mock.close();
