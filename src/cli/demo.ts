/**
 * The demo (`npm run demo`, `npx modelmux demo`): a scripted tour of modelmux on two in-process
 * mock providers (`mockProvider`), with no API key and no socket. Every request goes through the
 * real gateway: transport, SSE decoding, routing, retries, fallbacks, cooldowns, cost, budgets
 * and typed errors. `--live` runs a short real version on the first provider whose key is set.
 */
import { createGateway } from '../index.js';
import { ModelmuxError } from '../errors/base.js';
import { BudgetExceededError, StreamError, ValidationError } from '../errors/classes.js';
import type { Gateway } from '../gateway.js';
import type { GatewayHooks } from '../request/config.js';
import type { ChatCompletion, ChatCompletionChunk, CompletionUsage } from '../request/types.js';
import { mockProvider } from '../testing/mock-provider.js';
import type { MockRequest } from '../testing/types.js';
import { bar, type CliIO, EXIT_FAILED, EXIT_OK, type Style, style, table, usd } from './io.js';

export interface DemoOptions {
  /** Run a short real version on the first provider whose key is in the environment. */
  live?: boolean;
  /** `--live` only: the model to use (default: a small model of the first configured provider). */
  model?: string;
}

/** One line of the summary table. */
interface Row {
  step: string;
  deployment: string;
  attempts: number;
  ms: number;
  tokens: string;
  cost: number | null | undefined;
  result: string;
}

const CANNED: Array<[RegExp, string]> = [
  [/what is modelmux/i, 'modelmux is an LLM gateway that runs inside your application: one OpenAI-shaped API over many providers, with routing, fallbacks, exact cost and budgets.'],
  [/translate/i, 'Bonjour ! (“good morning” in French)'],
  [/haiku/i, 'The first host falls silent —\nthe request walks on, unharmed:\nits twin answers.'],
  [/incident/i, 'Checkout latency spiked at 14:02 UTC; the primary model was rate limited and traffic moved to its equivalent.'],
  [/summari[sz]e/i, 'Summary: the customer asks for a refund on order 1042; the parcel arrived damaged. Suggested reply attached.'],
  [/explain/i, 'A circuit breaker keeps a failing deployment out for a while, then lets one probe through.'],
  [/tell me more/i, 'After the cool-down, one probe request is admitted: if it succeeds the breaker closes, if it fails the breaker opens again, for longer.'],
];

/** Canned answers for the demo's prompts, else a short echo. */
function answer(request: MockRequest): { text: string } {
  const messages = Array.isArray(request.body.messages) ? (request.body.messages as Array<{ role?: string; content?: unknown }>) : [];
  const prompt = String(messages.filter((m) => m.role === 'user').at(-1)?.content ?? '');
  for (const [pattern, text] of CANNED) if (pattern.test(prompt)) return { text };
  return { text: `You asked: “${prompt}”. Here is a short answer from ${request.model}.` };
}

class Printer {
  readonly s: Style;
  constructor(private readonly io: CliIO) {
    this.s = style(io.stdout, io.env);
  }
  line(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }
  write(text: string): void {
    this.io.stdout.write(text);
  }
  step(n: number, title: string): void {
    this.line();
    this.line(this.s.bold(`${n}. ${title}`));
  }
  note(text: string): void {
    this.line(`   ${text}`);
  }
}

function tokens(usage: Pick<CompletionUsage, 'prompt_tokens' | 'completion_tokens'> | undefined): string {
  return usage === undefined ? '—' : `${usage.prompt_tokens}/${usage.completion_tokens}`;
}

/** Prints a stream's text as it arrives (indented) and returns its usage chunk's usage. */
async function printStream(p: Printer, stream: AsyncIterable<ChatCompletionChunk>): Promise<CompletionUsage | undefined> {
  let usage: CompletionUsage | undefined;
  p.write('   ');
  for await (const chunk of stream) {
    p.write((chunk.choices[0]?.delta?.content ?? '').replace(/\n/g, '\n   '));
    if (chunk.usage) usage = chunk.usage;
  }
  p.line();
  return usage;
}

function summary(p: Printer, rows: Row[]): void {
  p.line();
  p.line(p.s.bold('Summary'));
  p.line(
    table(
      rows,
      [
        { header: 'step', value: (r) => r.step },
        { header: 'deployment', value: (r) => r.deployment },
        { header: 'attempts', value: (r) => String(r.attempts), align: 'right' },
        { header: 'latency', value: (r) => `${r.ms} ms`, align: 'right' },
        { header: 'tokens in/out', value: (r) => r.tokens, align: 'right' },
        { header: 'cost', value: (r) => usd(r.cost), align: 'right' },
        { header: 'result', value: (r) => (r.result === 'ok' ? p.s.green('ok') : p.s.yellow(r.result)) },
      ],
      '  ',
    ),
  );
  const total = rows.reduce((sum, r) => sum + (r.cost ?? 0), 0);
  p.line(`  total ${usd(total)} over ${rows.reduce((sum, r) => sum + r.attempts, 0)} provider calls`);
}

async function spendBars(p: Printer, mux: Gateway, scope: Record<string, string>): Promise<void> {
  if (mux.budget === undefined) return;
  p.line();
  p.line(p.s.bold('Budgets'));
  for (const status of await mux.budget.get(scope)) {
    const label = Object.entries(status.scope)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const used = status.spent + status.reserved;
    p.line(`  ${label || '(all)'}  ${bar(status.limit > 0 ? used / status.limit : 1)} ${usd(used, 4)} / ${usd(status.limit, 4)}  per ${status.period}`);
  }
}

function describe(error: unknown): string {
  if (ModelmuxError.isInstance(error)) return `${error.name} (${error.code}): ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function hooks(p: Printer): GatewayHooks {
  return {
    onRetry: (e) => p.note(p.s.dim(`↻ retry ${e.provider}/${e.model} after ${e.error.name}, waiting ${e.delayMs} ms`)),
    onFallback: (e) => p.note(p.s.dim(`⇢ fallback ${e.from} → ${e.to} (${e.reason})`)),
    onCooldown: (e) => p.note(p.s.dim(`❄ ${e.provider}/${e.model} held for ${Math.round((e.untilMs - Date.now()) / 1000)} s`)),
  };
}

/** The offline tour. Returns the exit code. */
async function mockTour(p: Printer): Promise<number> {
  // Two providers serving OpenAI's wire format in-process, with realistic latencies.
  const east = mockProvider({ name: 'east', latencyMs: 220, chunkDelayMs: 18, default: answer });
  const west = mockProvider({ name: 'west', latencyMs: 120, chunkDelayMs: 12, default: answer });
  const mux = createGateway({
    providers: { east, west },
    // Two equivalent deployments, tried in order, and a fallback chain from east's model to west's.
    models: { chat: ['east/mock-large', 'west/mock-small'] },
    routing: { fallbacks: { 'east/mock-large': ['west/mock-small'] } },
    // USD per 1M tokens for the mock models, so that cost, :floor and budgets have prices.
    pricing: { 'east/mock-large': { input: 3, output: 15 }, 'west/mock-small': { input: 0.25, output: 1.25 } },
    budget: { limits: [{ scope: { team: 'demo' }, usd: 0.01, period: 'day' }] },
    hooks: hooks(p),
  });
  const rows: Row[] = [];
  const calls = () => east.requests.length + west.requests.length;
  const messages = (content: string) => [{ role: 'user' as const, content }];

  const ask = async (label: string, model: string, prompt: string, options: { scope?: Record<string, string>; max_tokens?: number } = {}) => {
    const before = calls();
    const started = performance.now();
    const res: ChatCompletion = await mux.chat.completions.create(
      { model, messages: messages(prompt), ...(options.max_tokens === undefined ? {} : { max_tokens: options.max_tokens }) },
      options.scope === undefined ? {} : { scope: options.scope },
    );
    const ms = Math.round(performance.now() - started);
    rows.push({ step: label, deployment: `${res.provider}/${res.model}`, attempts: calls() - before, ms, tokens: tokens(res.usage), cost: res.usage.cost, result: 'ok' });
    return { res, ms };
  };

  const streamed = async (label: string, model: string, prompt: string) => {
    const before = calls();
    const started = performance.now();
    const stream = await mux.chat.completions.create({ model, messages: messages(prompt), stream: true, stream_options: { include_usage: true } });
    const firstTokenMs = Math.round(performance.now() - started);
    const usage = await printStream(p, stream);
    const ms = Math.round(performance.now() - started);
    rows.push({ step: label, deployment: `${stream.provider}/${stream.model}`, attempts: calls() - before, ms, tokens: tokens(usage), cost: usage?.cost, result: 'ok' });
    return { provider: stream.provider, model: stream.model, firstTokenMs };
  };

  try {
    p.step(1, 'A request to a group of two equivalent deployments (east first)');
    const first = await ask('group', 'chat', 'What is modelmux?');
    p.note(`${first.res.provider}: ${first.res.choices[0]?.message.content}`);

    p.step(2, 'The same group with :floor — the cheapest deployment for this request goes first');
    const floor = await ask(':floor', 'chat:floor', "Translate 'good morning' into French.");
    p.note(`served by ${floor.res.provider}/${floor.res.model} for ${usd(floor.res.usage.cost)}: ${floor.res.choices[0]?.message.content}`);

    p.step(3, 'A stream, token by token');
    const haiku = await streamed('stream', 'west/mock-small', 'Write a haiku about fallbacks.');
    p.note(p.s.dim(`first token after ${haiku.firstTokenMs} ms`));

    p.step(4, 'A rate limit with retry-after: 1 — honoured, then answered');
    east.enqueue({ status: 429, retryAfter: 1, error: { message: 'Rate limit reached for requests per minute', code: 'rate_limit_exceeded' } }, 'mock-large');
    const limited = await ask('429 retry-after', 'east/mock-large', 'Summarise the last incident in one line.');
    p.note(`${limited.res.provider} answered after ${limited.ms} ms: ${limited.res.choices[0]?.message.content}`);

    p.step(5, 'East answers 503 — its equivalent in the group answers at once, no sleep');
    east.enqueue({ status: 503 }, 'mock-large');
    const equivalent = await ask('503 → equivalent', 'chat', 'Are you there?');
    p.note(`answered by ${equivalent.res.provider}/${equivalent.res.model} in ${equivalent.ms} ms`);

    p.step(6, 'A stream breaks before its first token — it moves on, and the caller sees one clean stream');
    west.enqueue({ cutAfterChunks: 0 }, 'mock-small');
    const clean = await streamed('stream → equivalent', 'chat:floor', 'Explain circuit breakers in one sentence.');
    p.note(p.s.dim(`west (cheapest) broke before any token; ${clean.provider}/${clean.model} streamed it, first token after ${clean.firstTokenMs} ms`));

    p.step(7, 'East is overloaded (529) three times — retried with backoff, then the fallback model answers');
    east.enqueue([{ status: 529 }, { status: 529 }, { status: 529 }], 'mock-large');
    const fellBack = await ask('529 ×3 → fallback', 'east/mock-large', 'Still there?');
    p.note(`answered by ${fellBack.res.provider}/${fellBack.res.model}`);

    p.step(8, 'A rate limit that asks for a day — never slept on: east is held (a hint is capped at 5 min), the fallback answers now');
    east.enqueue({ status: 429, retryAfter: 86_400, error: { message: 'Daily request limit reached', code: 'rate_limit_exceeded' } }, 'mock-large');
    const held = await ask('day-long 429', 'east/mock-large', 'Once more, please.');
    p.note(`answered by ${held.res.provider}/${held.res.model} in ${held.ms} ms; east's breaker: ${mux.stats()['east/mock-large']?.breaker}`);

    p.step(9, 'A stream cut mid-answer — a typed StreamError with the partial text, never a short answer');
    west.enqueue((request) => ({ ...answer(request), cutAfterChunks: 9 }), 'mock-small');
    {
      const before = calls();
      const started = performance.now();
      const cut = await mux.chat.completions.create({ model: 'west/mock-small', messages: messages('Tell me more about breakers.'), stream: true });
      p.write('   ');
      try {
        for await (const chunk of cut) p.write(chunk.choices[0]?.delta?.content ?? '');
        p.line();
      } catch (error) {
        if (!(error instanceof StreamError)) throw error;
        p.line(p.s.red(' ✂'));
        p.note(`${error.name} (${error.code}): ${error.partialContent.length} characters delivered before the cut; cause: ${(error.cause as Error).name}`);
        rows.push({ step: 'stream cut', deployment: `${cut.provider}/${cut.model}`, attempts: calls() - before, ms: Math.round(performance.now() - started), tokens: '—', cost: undefined, result: 'StreamError' });
      }
    }

    p.step(10, 'A budget: team=demo may spend $0.01 a day — the request that would pass it is refused');
    const scope = { team: 'demo' };
    for (let i = 1; i <= 4; i++) {
      // A long ticket and a long answer: 2 000 tokens each way, $0.0030 on west.
      west.enqueue((request) => ({ ...answer(request), usage: { prompt_tokens: 2000, completion_tokens: 2000 } }), 'mock-small');
      const started = performance.now();
      try {
        const { res } = await ask(`budget #${i}`, 'west/mock-small', 'Summarise this ticket.', { scope, max_tokens: 2000 });
        const [status] = (await mux.budget?.get(scope)) ?? [];
        p.note(`#${i} cost ${usd(res.usage.cost)}; team=demo has spent ${usd(status?.spent, 4)} of ${usd(status?.limit, 4)}`);
      } catch (error) {
        if (!(error instanceof BudgetExceededError)) throw error;
        p.note(`#${i} ${p.s.yellow(error.name)}: ${error.message}`);
        p.note(p.s.dim('nothing was sent to the provider'));
        rows.push({ step: `budget #${i}`, deployment: '—', attempts: 0, ms: Math.round(performance.now() - started), tokens: '—', cost: undefined, result: 'BudgetExceededError' });
        break;
      }
    }

    p.step(11, 'Bad input is caught before anything is sent');
    {
      const started = performance.now();
      await mux.chat.completions.create({ model: 'east/mock-large', messages: messages('x'), temperature: 7 }).catch((error: unknown) => {
        if (!(error instanceof ValidationError)) throw error;
        p.note(`${error.name} on ${error.field}: ${error.message}`);
      });
      rows.push({ step: 'validation', deployment: '—', attempts: 0, ms: Math.round(performance.now() - started), tokens: '—', cost: undefined, result: 'ValidationError' });
    }

    summary(p, rows);
    await spendBars(p, mux, scope);
    p.line();
    p.line(p.s.dim('Everything above ran through the real gateway on in-process mock providers (modelmux/testing). Try `modelmux demo --live` with an API key set.'));
    return EXIT_OK;
  } finally {
    mux.close();
  }
}

/** A small, cheap model per provider for `--live`. */
const LIVE_MODELS: Record<string, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-haiku-4-5',
  google: 'gemini-2.5-flash',
  bedrock: 'anthropic.claude-3-haiku-20240307-v1:0',
  deepseek: 'deepseek-chat',
  groq: 'llama-3.1-8b-instant',
  xai: 'grok-3-mini',
  mistral: 'mistral-small-latest',
  together: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
  fireworks: 'accounts/fireworks/models/llama-v3p1-8b-instruct',
  openrouter: 'openai/gpt-4o-mini',
  ollama: 'llama3.2',
};

async function liveTour(p: Printer, options: DemoOptions): Promise<number> {
  let attempts = 0;
  const mux = createGateway({ hooks: { ...hooks(p), onAttempt: () => void attempts++ } });
  const provider = mux.providers[0];
  if (provider === undefined) {
    p.line('No provider key found in the environment, so there is nothing live to run.');
    p.line('Set one of OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, GROQ_API_KEY, DEEPSEEK_API_KEY, MISTRAL_API_KEY,');
    p.line('XAI_API_KEY, OPENROUTER_API_KEY, TOGETHER_API_KEY, FIREWORKS_API_KEY, AWS credentials or OLLAMA_HOST,');
    p.line('or run `modelmux demo` (no --live) for the offline tour.');
    return EXIT_OK;
  }
  const model = options.model ?? (LIVE_MODELS[provider] === undefined ? undefined : `${provider}/${LIVE_MODELS[provider]}`);
  if (model === undefined) {
    p.line(`Provider ${provider} is configured, but the demo has no default model for it: pass --model ${provider}/<model>.`);
    return EXIT_OK;
  }
  p.line(p.s.bold(`Live demo on ${model}`) + p.s.dim(`  (configured: ${mux.providers.join(', ')})`));
  const rows: Row[] = [];
  try {
    p.step(1, 'One question');
    let started = performance.now();
    let before = attempts;
    const res = await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'In one sentence: what does an LLM gateway do?' }], max_tokens: 120 });
    rows.push({ step: 'request', deployment: `${res.provider}/${res.model}`, attempts: attempts - before, ms: Math.round(performance.now() - started), tokens: tokens(res.usage), cost: res.usage.cost, result: 'ok' });
    p.note(res.choices[0]?.message.content ?? '');

    p.step(2, 'A stream');
    started = performance.now();
    before = attempts;
    const stream = await mux.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Write a haiku about retries.' }],
      max_tokens: 120,
      stream: true,
      stream_options: { include_usage: true },
    });
    const usage = await printStream(p, stream);
    rows.push({ step: 'stream', deployment: `${stream.provider}/${stream.model}`, attempts: attempts - before, ms: Math.round(performance.now() - started), tokens: tokens(usage), cost: usage?.cost, result: 'ok' });

    p.step(3, 'Bad input is caught before anything is sent (no cost)');
    started = performance.now();
    await mux.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], temperature: 7 }).catch((error: unknown) => {
      if (!(error instanceof ValidationError)) throw error;
      p.note(`${error.name}: ${error.message}`);
    });
    rows.push({ step: 'validation', deployment: '—', attempts: 0, ms: Math.round(performance.now() - started), tokens: '—', cost: undefined, result: 'ValidationError' });
    summary(p, rows);
    return EXIT_OK;
  } catch (error) {
    p.line();
    p.line(p.s.red(`The live request failed: ${describe(error)}`));
    return EXIT_FAILED;
  } finally {
    mux.close();
  }
}

/** Runs the demo, writing to `io.stdout`. Returns the exit code. */
export async function runDemo(io: CliIO, options: DemoOptions = {}): Promise<number> {
  const p = new Printer(io);
  if (options.live === true) return liveTour(p, options);
  p.line(p.s.bold('modelmux demo') + p.s.dim(' — two mock providers in-process: east (mock-large, $3/$15 per 1M) and west (mock-small, $0.25/$1.25)'));
  return mockTour(p);
}
