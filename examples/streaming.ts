/** Streaming: OpenAI chunks, the usage chunk when asked for, and a typed error if the stream breaks. */
import { createGateway, openaiCompatible, StreamError } from '../src/index.js';
import { startMockServer } from './mock-openai-server.js';

const mock = await startMockServer();
const mux = createGateway({ providers: { local: openaiCompatible({ name: 'local', baseURL: mock.baseURL }) } });

const stream = await mux.chat.completions.create({
  model: 'local/qwen3-8b',
  messages: [{ role: 'user', content: 'Tell me a short story.' }],
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
  if (chunk.usage) console.log(`\n[usage] ${chunk.usage.prompt_tokens} in, ${chunk.usage.completion_tokens} out`);
}

mock.failNext('qwen3-8b', { kind: 'cut-after', chunks: 3 });
try {
  const cut = await mux.chat.completions.create({ model: 'local/qwen3-8b', messages: [{ role: 'user', content: 'Again' }], stream: true });
  for await (const chunk of cut) void chunk;
} catch (error) {
  if (!(error instanceof StreamError)) throw error;
  console.log(`[StreamError] got "${error.partialContent}" before the connection broke`);
}

mux.close();
await mock.close();
