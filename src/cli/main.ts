/** The `modelmux` command: `chat`, `models`, `demo`. Arguments are parsed with node:util parseArgs. */
import { parseArgs } from 'node:util';
import { CHAT_HELP, runChat } from './chat.js';
import { runDemo } from './demo.js';
import { type CliIO, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './io.js';
import { MODELS_HELP, runModels } from './models.js';
import { packageVersion } from './version.js';

export const HELP = `modelmux — an LLM gateway inside your application

Usage: modelmux <command> [options]

Commands:
  chat     send one prompt and stream the answer (providers from the environment's API keys)
  models   list the bundled price catalog: id, provider, $/1M input and output, context window
  demo     a scripted tour on in-process mock providers, no API key needed (--live: a real one)

Options:
  -h, --help       show help (also: modelmux <command> --help)
  -v, --version    show the version

Examples:
  modelmux chat -m openai/gpt-4o-mini "Say hi"
  modelmux models --provider anthropic
  modelmux demo
`;

export const DEMO_HELP = `Usage: modelmux demo [--live] [--model <id>]

A scripted tour of modelmux on two in-process mock providers (modelmux/testing): a group of
equivalent deployments, :floor, a stream, rate limits, 503/529 fallbacks, stream failures,
a budget reaching its cap and validation — then a summary table. No API key, no network.

Options:
      --live           a short real run on the first provider whose API key is in the
                       environment (prints a message and exits 0 when there is none)
  -m, --model <id>     with --live: the model to use (default: a small model of that provider)
  -h, --help           show this help
`;

const COMMANDS = ['chat', 'models', 'demo'] as const;
type Command = (typeof COMMANDS)[number];

const HELPS: Record<Command, string> = { chat: CHAT_HELP, models: MODELS_HELP, demo: DEMO_HELP };

async function runDemoCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { live: { type: 'boolean' }, model: { type: 'string', short: 'm' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    io.stdout.write(DEMO_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'demo');
  if (values.model !== undefined && values.live !== true) throw new UsageError('--model is only for --live', 'demo');
  return runDemo(io, { live: values.live === true, ...(values.model === undefined ? {} : { model: values.model }) });
}

/** parseArgs' own errors (unknown option, missing value) are usage errors. */
function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** Runs the command line `argv` (without `node` and the script). Returns the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  const command = COMMANDS.find((c) => c === first);
  try {
    if (command === undefined) {
      if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
        if (first === undefined) {
          io.stderr.write(HELP);
          return EXIT_USAGE;
        }
        const topic = COMMANDS.find((c) => c === rest[0]);
        io.stdout.write(topic === undefined ? HELP : HELPS[topic]);
        return EXIT_OK;
      }
      if (first === '-v' || first === '--version' || first === 'version') {
        io.stdout.write(`${packageVersion()}\n`);
        return EXIT_OK;
      }
      throw new UsageError(first.startsWith('-') ? `unknown option "${first}"` : `unknown command "${first}"; the commands are ${COMMANDS.join(', ')}`);
    }
    switch (command) {
      case 'chat':
        return await runChat(rest, io);
      case 'models':
        return await runModels(rest, io);
      case 'demo':
        return await runDemoCommand(rest, io);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      const where = error instanceof UsageError ? (error.command ?? command) : command;
      io.stderr.write(`modelmux${where === undefined ? '' : ` ${where}`}: ${error.message}\n`);
      io.stderr.write(`Run "modelmux${where === undefined ? '' : ` ${where}`} --help" for usage.\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(`modelmux: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILED;
  }
}
