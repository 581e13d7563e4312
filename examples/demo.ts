/**
 * npm run demo — a tour of modelmux with no API keys: two mock OpenAI-compatible providers on
 * 127.0.0.1, called through the real gateway (transport, routing, retries, fallbacks, cooldowns,
 * cost, typed errors).
 */
import { createGateway, openaiCompatible, StreamError, ValidationError } from '../src/index.js';
import { startMockServer } from './mock-openai-server.js';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const step = (n: number, title: string) => console.log(`\n${bold(`${n}. ${title}`)}`);

interface Row {
  step: string;
  served: string;
  attempts: number;
  ms: number;
  tokens: string;
  cost: string;
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
    // Two equivalent deployments, tried in order; a fallback chain from east's model to west's.
    models: { chat: ['east/mock-large', 'west/mock-small'] },
    routing: { fallbacks: { 'east/mock-large': ['west/mock-small'] } },
    // USD per 1M tokens for the mock models, so that cost and :floor have prices to work with.
    pricing: { 'east/mock-large': { input: 3, output: 15 }, 'west/mock-small': { input: 0.25, output: 1.25 } },
    retry: { maxRetries: 2 },
    hooks: {
      onRetry: (e) => console.log(`   ↻ retry on ${e.provider}/${e.model} after ${e.error.constructor.name}, waiting ${e.delayMs} ms`),
      onFallback: (e) => console.log(`   ⇢ fallback ${e.from} → ${e.to} (${e.reason})`),
      onCooldown: (e) => console.log(`   ❄ ${e.provider}/${e.model} held for ${Math.round((e.untilMs - Date.now()) / 1000)} s`),
    },
  });
  const messages = (content: string) => [{ role: 'user' as const, content }];
  const count = () => east.requests() + west.requests();
  const ask = async (label: string, model: string, prompt: string) => {
    const before = count();
    const started = performance.now();
    const res = await mux.chat.completions.create({ model, messages: messages(prompt) });
    const ms = Math.round(performance.now() - started);
    rows.push({ step: label, served: `${res.provider}/${res.model}`, attempts: count() - before, ms, tokens: `${res.usage.prompt_tokens}/${res.usage.completion_tokens}`, cost: formatCost(res.usage.cost) });
    return { res, ms };
  };

  try {
    step(1, 'A request to a group of two equivalent deployments (east first)');
    const first = await ask('plain', 'chat', 'What is modelmux?');
    console.log(`   ${first.res.provider}: ${first.res.choices[0]?.message.content}`);

    step(2, 'The same group with :floor — the cheapest deployment for this request goes first');
    const floor = await ask(':floor', 'chat:floor', 'Cheapest, please');
    console.log(`   served by ${floor.res.provider}/${floor.res.model} for $${formatCost(floor.res.usage.cost)}`);

    step(3, 'A stream, token by token');
    const before = count();
    const started = performance.now();
    const stream = await mux.chat.completions.create({ model: 'west/mock-small', messages: messages('Stream please'), stream: true, stream_options: { include_usage: true } });
    process.stdout.write('   ');
    let usage = '';
    let cost: number | null = null;
    for await (const chunk of stream) {
      process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
      if (chunk.usage) {
        usage = `${chunk.usage.prompt_tokens}/${chunk.usage.completion_tokens}`;
        cost = chunk.usage.cost;
      }
    }
    console.log();
    rows.push({ step: 'stream', served: `${stream.provider}/${stream.model}`, attempts: count() - before, ms: Math.round(performance.now() - started), tokens: usage, cost: formatCost(cost) });

    step(4, 'A rate limit with retry-after: 1 — honoured, then answered');
    east.failNext('mock-large', { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } } });
    const limited = await ask('rate limit', 'east/mock-large', 'Again');
    console.log(`   ${limited.res.provider} answered after ${limited.ms} ms`);

    step(5, 'East answers 503 — its equivalent in the group answers at once, no sleep');
    east.failNext('mock-large', { kind: 'status', status: 503, body: { error: { message: 'Service unavailable', type: 'server_error', param: null, code: null } } });
    const equivalent = await ask('503 → equivalent', 'chat', 'Are you there?');
    console.log(`   answered by ${equivalent.res.provider}/${equivalent.res.model} in ${equivalent.ms} ms`);

    step(6, 'East is overloaded (529) three times — retried with backoff, then the fallback model answers');
    const overloaded = { kind: 'status' as const, status: 529, body: { error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: null } } };
    east.failNext('mock-large', overloaded, overloaded, overloaded);
    const fellBack = await ask('529 → fallback', 'east/mock-large', 'Still there?');
    console.log(`   answered by ${fellBack.res.provider}/${fellBack.res.model}`);

    step(7, 'A rate limit that asks for a day — never slept on: east is held, the fallback answers now');
    east.failNext('mock-large', { kind: 'status', status: 429, headers: { 'retry-after': '86400' }, body: { error: { message: 'Daily limit', type: 'requests', code: 'rate_limit_exceeded' } } });
    const held = await ask('day-long 429', 'east/mock-large', 'Once more');
    console.log(`   answered by ${held.res.provider}/${held.res.model}; east's breaker: ${mux.stats()['east/mock-large']?.breaker}`);

    step(8, 'A stream cut mid-answer — a typed StreamError with the partial text, never a short answer');
    west.failNext('mock-small', { kind: 'cut-after', chunks: 4 });
    const cut = await mux.chat.completions.create({ model: 'west/mock-small', messages: messages('Tell me more'), stream: true });
    try {
      for await (const chunk of cut) void chunk;
    } catch (error) {
      if (!(error instanceof StreamError)) throw error;
      console.log(`   ${error.name} (${error.code}): delivered "${error.partialContent}" before the cut; cause: ${(error.cause as Error).name}`);
    }

    step(9, 'Bad input is caught before anything is sent');
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

function formatCost(cost: number | null): string {
  return cost === null ? 'unknown' : cost.toFixed(6);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
