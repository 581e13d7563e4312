/**
 * The official OpenAI client, unchanged, on top of modelmux: `fetch` is modelmux's in-process
 * handler, so every call goes through the gateway (routing, fallbacks, cost, typed errors) with no
 * proxy and no socket between the client and the gateway. Runs with no API key against two mock
 * OpenAI-compatible providers on 127.0.0.1:
 *
 *   npx tsx examples/openai-client.ts
 */
import OpenAI from 'openai';
import { createGateway, openaiCompatible } from '../src/index.js';
import { startMockServer } from './mock-openai-server.js';

async function main(): Promise<void> {
  const east = await startMockServer({ latencyMs: 10 });
  const west = await startMockServer({ latencyMs: 10 });
  const mux = createGateway({
    providers: {
      east: openaiCompatible({ name: 'east', baseURL: east.baseURL }),
      west: openaiCompatible({ name: 'west', baseURL: west.baseURL }),
    },
    models: { chat: ['east/mock-large', 'west/mock-small'] },
    pricing: { 'east/mock-large': { input: 3, output: 15 }, 'west/mock-small': { input: 0.25, output: 1.25 } },
  });
  const fetch = mux.fetch; // GET /models lists the aliases and configured models with prices
  // The recommended setup: any apiKey (never forwarded), any base URL, and no client-side retries:
  // the gateway owns retries and fallbacks.
  const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://modelmux.local/v1', fetch, maxRetries: 0 });
  const messages = [{ role: 'user' as const, content: 'Hello through the official client' }];

  try {
    console.log('1. client.models.list()');
    for (const model of (await client.models.list()).data) console.log(`   ${model.id} (${model.owned_by})`);

    console.log('2. client.chat.completions.create()');
    const res = await client.chat.completions.create({ model: 'chat', messages });
    const extra = res as typeof res & { provider: string; usage: { cost: number | null } };
    console.log(`   ${extra.provider}: ${res.choices[0]?.message.content}`);
    console.log(`   usage: ${res.usage?.prompt_tokens}/${res.usage?.completion_tokens} tokens, $${extra.usage.cost}`);

    console.log('3. stream: true, for await');
    const stream = await client.chat.completions.create({ model: 'chat', messages, stream: true });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    console.log(`   streamed: ${streamed}`);

    console.log('4. east answers 500: the gateway moves to its equivalent on west, the client sees one answer');
    const fault = { kind: 'status' as const, status: 500, body: { error: { message: 'east is down', type: 'server_error' } } };
    east.failNext('mock-large', fault);
    const { data, response } = await client.chat.completions.create({ model: 'chat', messages }).withResponse();
    console.log(`   served by ${response.headers.get('x-modelmux-provider')}: ${data.choices[0]?.message.content}`);

    console.log('5. client.chat.completions.stream() + finalChatCompletion()');
    const final = await client.chat.completions.stream({ model: 'west/mock-small', messages }).finalChatCompletion();
    console.log(`   final: ${final.choices[0]?.message.content} (finish_reason ${final.choices[0]?.finish_reason})`);

    console.log('6. typed errors become the client’s own classes');
    try {
      await client.chat.completions.create({ model: 'chat', messages, temperature: 5 });
      throw new Error('expected a validation error');
    } catch (error) {
      if (!(error instanceof OpenAI.BadRequestError)) throw error;
      console.log(`   BadRequestError ${error.status}, param=${error.param}: ${error.message}`);
    }
    west.failNext('mock-small', { kind: 'status', status: 429, body: { error: { message: 'Rate limit reached', type: 'requests' } }, headers: { 'retry-after': '120' } });
    try {
      await client.chat.completions.create({ model: 'west/mock-small', messages });
      throw new Error('expected a rate limit');
    } catch (error) {
      if (!(error instanceof OpenAI.RateLimitError)) throw error;
      console.log(`   RateLimitError ${error.status}, retry-after=${error.headers?.get('retry-after')}s, code=${error.code}`);
    }
    console.log('done');
  } finally {
    mux.close();
    await Promise.all([east.close(), west.close()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
