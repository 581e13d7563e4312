/** `modelmux models`: the bundled price catalog as a table or JSON. */
import { parseArgs } from 'node:util';
import { loadCatalog } from '../pricing/catalog.js';
import type { ModelInfo } from '../pricing/types.js';
import { type CliIO, compactTokens, EXIT_OK, perMillion, style, table, UsageError } from './io.js';

export const MODELS_HELP = `Usage: modelmux models [filter] [--provider <p>] [--free] [--json]

Lists the bundled price catalog (LiteLLM's public price map, compiled at build time): every chat
model of the supported providers with its price in USD per 1M tokens and its context window.

Options:
  [filter]               only ids containing this text (case-insensitive), e.g. "gpt-4o"
  -p, --provider <p>     only this provider (openai, anthropic, google, bedrock, azure, …)
      --free             only models priced zero
      --json             machine-readable: an array of { id, provider, model, input, output,
                         cacheRead, cacheWrite, contextWindow, maxOutput, capabilities }
  -h, --help             show this help

Examples:
  modelmux models --provider anthropic
  modelmux models gpt-4o --json
`;

interface ModelRow {
  id: string;
  provider: string;
  model: string;
  /** USD per 1M input tokens. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
  cacheRead: number | null;
  cacheWrite: number | null;
  contextWindow: number | null;
  maxOutput: number | null;
  capabilities: string[];
}

function toRow(info: ModelInfo): ModelRow {
  return {
    id: `${info.provider}/${info.model}`,
    provider: info.provider,
    model: info.model,
    input: info.price.input,
    output: info.price.output,
    cacheRead: info.price.cacheRead ?? null,
    cacheWrite: info.price.cacheWrite ?? null,
    contextWindow: info.contextWindow ?? null,
    maxOutput: info.maxOutput ?? null,
    capabilities: Object.entries(info.capabilities)
      .filter(([, on]) => on)
      .map(([name]) => name),
  };
}

export async function runModels(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      provider: { type: 'string', short: 'p' },
      free: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true) {
    io.stdout.write(MODELS_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError(`expected at most one filter, got ${positionals.length}: ${positionals.join(' ')}`, 'models');
  const catalog = await loadCatalog();
  const all = catalog.models();
  const providers = [...new Set(all.map((m) => m.provider))];
  if (values.provider !== undefined && !providers.includes(values.provider)) {
    throw new UsageError(`unknown provider "${values.provider}"; the catalog has: ${providers.join(', ')}`, 'models');
  }
  const filter = positionals[0]?.toLowerCase();
  const rows = (values.provider === undefined ? all : catalog.models(values.provider))
    .filter((m) => values.free !== true || (m.price.input === 0 && m.price.output === 0))
    .filter((m) => filter === undefined || `${m.provider}/${m.model}`.toLowerCase().includes(filter))
    .map(toRow);

  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return EXIT_OK;
  }
  const s = style(io.stdout, io.env);
  if (rows.length === 0) {
    io.stdout.write('No model matches.\n');
    return EXIT_OK;
  }
  io.stdout.write(
    `${table(rows, [
      { header: 'id', value: (r) => r.id },
      { header: 'provider', value: (r) => r.provider },
      { header: 'input $/1M', value: (r) => perMillion(r.input), align: 'right' },
      { header: 'output $/1M', value: (r) => perMillion(r.output), align: 'right' },
      { header: 'context', value: (r) => compactTokens(r.contextWindow ?? undefined), align: 'right' },
    ])}\n`,
  );
  io.stdout.write(s.dim(`${rows.length} model${rows.length === 1 ? '' : 's'} · USD per 1M tokens · LiteLLM price snapshot ${catalog.snapshotDate}\n`));
  return EXIT_OK;
}
