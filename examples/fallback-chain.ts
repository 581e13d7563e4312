/** A fallback chain: the primary is overloaded, retried with backoff, then another model answers. */
import { createGateway, openaiCompatible } from '../src/index.js';
import { startMockServer } from './mock-openai-server.js';

const primary = await startMockServer();
const backup = await startMockServer();
const mux = createGateway({
  providers: {
    primary: openaiCompatible({ name: 'primary', baseURL: primary.baseURL }),
    backup: openaiCompatible({ name: 'backup', baseURL: backup.baseURL }),
  },
  routing: { fallbacks: { 'primary/big-model': ['backup/small-model'] } },
  retry: { maxRetries: 2, initialDelayMs: 100 },
  hooks: {
    onRetry: (e) => console.log(`retry ${e.provider}/${e.model} in ${e.delayMs} ms (${e.error.constructor.name})`),
    onFallback: (e) => console.log(`fallback ${e.from} → ${e.to} (${e.reason})`),
  },
});

const overloaded = { kind: 'status' as const, status: 529, body: { error: { message: 'Overloaded', type: 'overloaded_error' } } };
primary.failNext('big-model', overloaded, overloaded, overloaded);
const res = await mux.chat.completions.create({ model: 'primary/big-model', messages: [{ role: 'user', content: 'Hi' }] });
console.log(`answered by ${res.provider}/${res.model}: ${res.choices[0]?.message.content}`);
console.log(`primary breaker: ${mux.stats()['primary/big-model']?.breaker}, consecutive failures ${mux.stats()['primary/big-model']?.consecutiveFailures}`);

mux.close();
await Promise.all([primary.close(), backup.close()]);
