/** Model variants: :floor (cheapest first), :free (only zero-price), :thinking (reasoning on), :online (search). */
import { createGateway, NoRouteError, openaiCompatible } from '../src/index.js';
import { startMockServer } from './mock-openai-server.js';

const mock = await startMockServer();
const mux = createGateway({
  providers: {
    paid: openaiCompatible({ name: 'paid', baseURL: mock.baseURL }),
    local: openaiCompatible({ name: 'local', baseURL: mock.baseURL }),
  },
  models: { chat: ['paid/big', 'local/small'] },
  pricing: { 'paid/big': { input: 2, output: 8 }, 'local/small': { input: 0, output: 0 } },
  routing: {
    // :online for providers without native search: your search function, results added as context.
    webSearch: async (query) => [{ title: 'Example result', url: 'https://example.com/answer', content: `Something about ${query}` }],
  },
});
const ask = (model: string) => mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'What is new?' }] });

console.log(':floor   →', (await ask('chat:floor')).provider);
console.log(':free    →', (await ask('chat:free')).provider);
console.log(':thinking →', (await ask('chat:thinking')).provider, '(reasoning_effort: medium sent)');
console.log(':online  →', (await ask('paid/big:online')).provider, '(search results added as context)');
try {
  await ask('paid/big:free');
} catch (error) {
  if (!(error instanceof NoRouteError)) throw error;
  console.log(':free on a paid model →', error.name, error.skipped.map((s) => s.reason).join('; '));
}
mux.close();
await mock.close();
