/** `modelmux chat`: one prompt, streamed to stdout, through providers from the environment. */
import { parseArgs } from 'node:util';
import { createGateway } from '../index.js';
import { ModelmuxError } from '../errors/base.js';
import { StreamError } from '../errors/classes.js';
import type { Gateway } from '../gateway.js';
import type { ChatCompletionCreateParamsBase, ChatMessage, CompletionUsage } from '../request/types.js';
import { mockProvider } from '../testing/mock-provider.js';
import type { MockStepInput } from '../testing/types.js';
import { type CliIO, EXIT_FAILED, EXIT_OK, style, UsageError, usd } from './io.js';

export const CHAT_HELP = `Usage: modelmux chat -m <model> [options] "prompt"

Sends one prompt through modelmux and streams the answer to stdout. The providers are the ones
whose API keys are in the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, …).

Options:
  -m, --model <id>         model id: provider/model, a bare id (gpt-4o-mini) or an alias, with an
                           optional variant (:floor, :nitro, :free, :thinking, :online, :extended)
  -s, --system <text>      a system message
      --json               wait for the whole answer and print the response as JSON
      --max-tokens <n>     output token limit
      --temperature <t>    sampling temperature
      --timeout <ms>       deadline for the call (default 600000)
  -h, --help               show this help

The prompt is the arguments after the options, or standard input when there are none (or "-").
On a terminal, a line with the deployment, tokens and cost is written to stderr at the end.

Environment:
  MODELMUX_MOCK=1          use an in-process mock provider (key "mock": -m mock/<any>) instead of
                           the environment's providers, for tests and demos; it echoes the prompt.
                           A JSON step or list of steps scripts it, e.g. '{"status":429}' or
                           '[{"text":"Hi"}]' (see mockProvider in modelmux/testing).

Exit codes: 0 answered, 1 the request failed (the typed error on stderr), 2 usage error.

Examples:
  modelmux chat -m openai/gpt-4o-mini "Say hi"
  modelmux chat -m claude-haiku-4-5 --system "Answer in French" "What is a gateway?"
  git diff | modelmux chat -m deepseek/deepseek-chat "Review this diff"
`;

/** The mock provider `MODELMUX_MOCK` asks for, or `undefined`. */
function mockFromEnv(value: string | undefined): ReturnType<typeof mockProvider> | undefined {
  if (value === undefined || value === '' || value === '0' || value.toLowerCase() === 'false') return undefined;
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new UsageError(`MODELMUX_MOCK is not valid JSON: ${(error as Error).message}`, 'chat');
    }
    const script = (Array.isArray(parsed) ? parsed : [parsed]) as MockStepInput[];
    return mockProvider({ script, chunkDelayMs: 2 });
  }
  return mockProvider({ chunkDelayMs: 2 });
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new UsageError(`--${name} expects a number, got "${value}"`, 'chat');
  return parsed;
}

async function readStdin(stdin: CliIO['stdin']): Promise<string> {
  let text = '';
  stdin.setEncoding?.('utf8');
  for await (const chunk of stdin) text += String(chunk);
  return text;
}

function describeError(error: ModelmuxError): string {
  const where = error.provider === undefined ? '' : ` [${error.provider}${error.model === undefined ? '' : `/${error.model}`}]`;
  return `${error.name} (${error.code})${where}: ${error.message}`;
}

export async function runChat(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      model: { type: 'string', short: 'm' },
      system: { type: 'string', short: 's' },
      json: { type: 'boolean' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    io.stdout.write(CHAT_HELP);
    return EXIT_OK;
  }
  if (values.model === undefined || values.model === '') throw new UsageError('missing -m/--model <id>, e.g. -m openai/gpt-4o-mini', 'chat');
  const maxTokens = number(values['max-tokens'], 'max-tokens');
  const temperature = number(values.temperature, 'temperature');
  const timeoutMs = number(values.timeout, 'timeout');

  let prompt = positionals.join(' ');
  if (positionals.length === 0 || (positionals.length === 1 && positionals[0] === '-')) {
    if (io.stdin.isTTY === true) throw new UsageError('missing the prompt: modelmux chat -m <model> "prompt" (or pipe it on stdin)', 'chat');
    prompt = await readStdin(io.stdin);
  }
  if (prompt.trim() === '') throw new UsageError('the prompt is empty', 'chat');

  const err = style(io.stderr, io.env);
  const mock = mockFromEnv(io.env.MODELMUX_MOCK);
  let mux: Gateway;
  try {
    mux = mock === undefined ? createGateway() : createGateway({ providers: { mock } });
  } catch (error) {
    if (!ModelmuxError.isInstance(error)) throw error;
    io.stderr.write(`modelmux: ${describeError(error)}\n`);
    return EXIT_FAILED;
  }
  if (mux.providers.length === 0) {
    io.stderr.write(
      'modelmux: no provider is configured. Set an API key in the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY,\n' +
        'GEMINI_API_KEY, GROQ_API_KEY, DEEPSEEK_API_KEY, MISTRAL_API_KEY, XAI_API_KEY, OPENROUTER_API_KEY, …),\n' +
        'AWS credentials and AWS_REGION for Bedrock, or OLLAMA_HOST for a local Ollama.\n',
    );
    return EXIT_FAILED;
  }

  const messages: ChatMessage[] = [];
  if (values.system !== undefined) messages.push({ role: 'system', content: values.system });
  messages.push({ role: 'user', content: prompt });
  const params: ChatCompletionCreateParamsBase = { model: values.model, messages };
  if (maxTokens !== undefined) params.max_tokens = maxTokens;
  if (temperature !== undefined) params.temperature = temperature;
  const options = { ...(io.signal === undefined ? {} : { signal: io.signal }), ...(timeoutMs === undefined ? {} : { timeoutMs }) };

  const started = Date.now();
  let printed = '';
  try {
    let served: string;
    let usage: CompletionUsage | undefined;
    if (values.json === true) {
      const res = await mux.chat.completions.create({ ...params, stream: false }, options);
      io.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
      served = `${res.provider}/${res.model}`;
      usage = res.usage;
    } else {
      const stream = await mux.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, options);
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta?.content ?? '';
        if (text !== '') {
          io.stdout.write(text);
          printed += text;
        }
        if (chunk.usage) usage = chunk.usage;
      }
      if (!printed.endsWith('\n')) io.stdout.write('\n');
      served = `${stream.provider}/${stream.model}`;
    }
    if (io.stderr.isTTY === true) {
      const cost = usage === undefined ? '' : ` · ${usage.prompt_tokens} in / ${usage.completion_tokens} out · ${usd(usage.cost)}`;
      io.stderr.write(err.dim(`── ${served}${cost} · ${Date.now() - started} ms\n`));
    }
    return EXIT_OK;
  } catch (error) {
    if (printed !== '' && !printed.endsWith('\n')) io.stdout.write('\n');
    if (!ModelmuxError.isInstance(error)) throw error;
    io.stderr.write(`modelmux: ${err.red(describeError(error))}\n`);
    if (error instanceof StreamError && error.partialContent !== '') io.stderr.write(`modelmux: the answer above is incomplete (${error.partialContent.length} characters delivered)\n`);
    return error.code === 'aborted' ? 130 : EXIT_FAILED;
  } finally {
    mux.close();
  }
}
