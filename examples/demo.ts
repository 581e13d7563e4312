/**
 * npm run demo — a tour of modelmux with no API keys: two mock OpenAI-compatible providers on
 * 127.0.0.1, called through the real gateway (transport, retries, fallbacks, typed errors).
 */
import { createGateway, openaiCompatible, RateLimitError, StreamError, ValidationError } from '../src/index.js';
import { startMockServer } from './mock-openai-server.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (n: number, title: string) => console.log(`\n${bold(`${n}. ${title}`)}`);

interface Row {
  step: string;
  served: string;
  attempts: number;
  ms: number;
  tokens: string;
}
const rows: Row[] = [];

async function main(): Promise<void> {
  const east = await startMockServer({ latencyMs: 60 });
  const west = await startMockServer({ latencyMs: 25 });
  const mux = createGateway({
    providers: {
      east: openaiCompatible({ name: 'east', baseURL: east.baseURL }),
      west: openaiCompatible({ name: 'west', baseURL: west.baseURL }),
    },
    models: { chat: ['east/mock-large', 'west/mock-small'] },
    retry: { maxRetries: 2 },
    hooks: {
      onRetry: (e) => console.log(`   ↻ retry on ${e.provider}/${e.model} after ${e.error.constructor.name}, waiting ${e.delayMs} ms`),
    },
  });
  const messages = (content: string) => [{ role: 'user' as const, content }];
  const timed = async <T>(fn: () => Promise<T>) => {
    const started = performance.now();
    const value = await fn();
    return { value, ms: Math.round(performance.now() - started) };
  };
  const count = () => east.requests() + west.requests();

  try {
    step(1, 'A plain request to an alias (east first, west as fallback)');
    let before = count();
    const first = await timed(() => mux.chat.completions.create({ model: 'chat', messages: messages('What is modelmux?') }));
    console.log(`   ${first.value.provider}: ${first.value.choices[0]?.message.content}`);
    rows.push({ step: 'plain', served: `${first.value.provider}/${first.value.model}`, attempts: count() - before, ms: first.ms, tokens: `${first.value.usage.prompt_tokens}/${first.value.usage.completion_tokens}` });

    step(2, 'A stream, token by token');
    before = count();
    const started = performance.now();
    const stream = await mux.chat.completions.create({ model: 'west/mock-small', messages: messages('Stream please'), stream: true, stream_options: { include_usage: true } });
    process.stdout.write('   ');
    let usage = '';
    for await (const chunk of stream) {
      process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
      if (chunk.usage) usage = `${chunk.usage.prompt_tokens}/${chunk.usage.completion_tokens}`;
    }
    console.log();
    rows.push({ step: 'stream', served: `${stream.provider}/${stream.model}`, attempts: count() - before, ms: Math.round(performance.now() - started), tokens: usage });

    step(3, 'A rate limit with retry-after: 1 — honoured, then answered');
    east.failNext('mock-large', { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } } });
    before = count();
    const limited = await timed(() => mux.chat.completions.create({ model: 'east/mock-large', messages: messages('Again') }));
    console.log(`   ${limited.value.provider} answered after ${limited.ms} ms`);
    rows.push({ step: 'rate limit', served: `${limited.value.provider}/${limited.value.model}`, attempts: count() - before, ms: limited.ms, tokens: `${limited.value.usage.prompt_tokens}/${limited.value.usage.completion_tokens}` });

    step(4, 'A provider failing with 503 three times — the alias falls back to west');
    const outage = { kind: 'status' as const, status: 503, body: { error: { message: 'Service unavailable', type: 'server_error', param: null, code: null } } };
    east.failNext('mock-large', outage, outage, outage);
    before = count();
    const fallback = await timed(() => mux.chat.completions.create({ model: 'chat', messages: messages('Are you there?') }));
    console.log(`   answered by ${fallback.value.provider}/${fallback.value.model}`);
    rows.push({ step: 'fallback', served: `${fallback.value.provider}/${fallback.value.model}`, attempts: count() - before, ms: fallback.ms, tokens: `${fallback.value.usage.prompt_tokens}/${fallback.value.usage.completion_tokens}` });

    step(5, 'A stream cut mid-answer — a typed StreamError with the partial text, never a short answer');
    west.failNext('mock-small', { kind: 'cut-after', chunks: 4 });
    const cut = await mux.chat.completions.create({ model: 'west/mock-small', messages: messages('Tell me more'), stream: true });
    try {
      for await (const chunk of cut) void chunk;
    } catch (error) {
      if (!(error instanceof StreamError)) throw error;
      console.log(`   ${error.name} (${error.code}): delivered "${error.partialContent}" before the cut; cause: ${(error.cause as Error).name}`);
    }

    step(6, 'A rate limit that asks for a day — no sleeping: a RateLimitError with retryAfterMs');
    east.failNext('mock-large', { kind: 'status', status: 429, headers: { 'retry-after': '86400' }, body: { error: { message: 'Daily limit', type: 'requests', code: 'rate_limit_exceeded' } } });
    await mux.chat.completions.create({ model: 'east/mock-large', messages: messages('Once more') }).catch((error: unknown) => {
      if (!(error instanceof RateLimitError)) throw error;
      console.log(`   ${error.name}: retryAfterMs = ${error.retryAfterMs}, attempts = ${error.attempts?.length}`);
    });

    step(7, 'Bad input is caught before anything is sent');
    await mux.chat.completions.create({ model: 'east/mock-large', messages: [{ role: 'user', content: 'x' }], temperature: 7 }).catch((error: unknown) => {
      if (!(error instanceof ValidationError)) throw error;
      console.log(`   ${error.name}: ${error.message}`);
    });

    console.log(`\n${bold('Summary')}`);
    console.table(rows);
  } finally {
    mux.close();
    await Promise.all([east.close(), west.close()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
