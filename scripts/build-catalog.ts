/**
 * Builds `src/pricing/catalog.generated.ts` from LiteLLM's price map snapshot
 * (`../shared/data/litellm-model-prices.json`, see its `.SOURCE.md`).
 *
 *   npx tsx scripts/build-catalog.ts            write the module
 *   npx tsx scripts/build-catalog.ts --check    exit 1 when the committed module is stale
 *   npx tsx scripts/build-catalog.ts --stats    also print per-provider counts and skipped keys
 *   --source <path>                             another snapshot file
 *
 * What is kept (the decisions, also stated in the generated header):
 * - Only `mode: "chat"` entries. Entries without a mode are LiteLLM's size-bucket prices
 *   (`fireworks-ai-up-to-4b`), not model ids; `responses`-mode models (`gpt-5-pro`, codex) cannot
 *   be called through Chat Completions; `completion`, embedding, image, audio… are not chat.
 * - Only entries with both `input_cost_per_token` and `output_cost_per_token` (0 is a price:
 *   Ollama's local models are 0). `openai/container` (a per-session price) is dropped by this.
 * - Only modelmux's providers, LiteLLM's `litellm_provider` mapped to modelmux keys (PROVIDERS).
 *   `vertex_ai-language-models` is not read: modelmux's `google` provider is the Gemini API, whose
 *   ids and prices are LiteLLM's `gemini/…` entries; the Vertex-only ids (medlm) are not servable.
 * - The native id is the provider's own model id: LiteLLM's `provider/` prefix is stripped.
 *   Keys of a provider that carry a region, commitment or deployment-type path in LiteLLM
 *   (`bedrock/us-east-1/…`, `bedrock/*\/1-month-commitment/…`, `azure/eu/…`, `azure/global/…`)
 *   are dropped: they are not model ids and their prices are not the on-demand ones.
 *   Bedrock cross-region inference profiles (`us.`, `eu.`, `apac.`, `global.`, … prefixes) are
 *   model ids and are kept, with their own prices.
 * - Two LiteLLM keys naming one native id: the provider-prefixed key wins (`deepseek/deepseek-chat`
 *   over `deepseek-chat`, as LiteLLM itself looks up `provider/model` first); for Bedrock,
 *   `bedrock_converse` wins over `bedrock`.
 * - Prices are USD per 1M tokens, rounded to 6 decimals (LiteLLM stores USD per token as floats:
 *   1.5e-7 × 1e6 = 0.15000000000000002 → 0.15). The script fails if rounding would move a price
 *   by more than 1e-9 USD per 1M tokens. A reasoning price is kept only when it differs from the
 *   output price. Threshold tiers `*_above_<N>k_tokens` become `aboveTokens: N × 1000`.
 *
 * Encoding of the generated module (decoded by src/pricing/catalog.ts): per provider one string,
 * one model per line, fields separated by `|`:
 *   id|input|output|cacheRead|cacheWrite|cacheWrite1h|reasoning|contextWindow|maxOutput|caps|tiers
 * empty = absent; caps is a bit mask (CAPABILITY_BITS); tiers are `;`-separated
 * `aboveTokens:input,output,cacheRead,cacheWrite,cacheWrite1h`. Lines are sorted by id.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SOURCE = resolve(ROOT, '../shared/data/litellm-model-prices.json');
const OUTPUT = resolve(ROOT, 'src/pricing/catalog.generated.ts');
/** The snapshot date alone, so that `catalogSnapshotDate` is synchronous without loading the data. */
const DATE_OUTPUT = resolve(ROOT, 'src/pricing/catalog-date.generated.ts');
const SOURCE_LABEL = '../shared/data/litellm-model-prices.json (LiteLLM model_prices_and_context_window.json)';

/** LiteLLM `litellm_provider` → modelmux provider key. */
export const PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  gemini: 'google',
  bedrock: 'bedrock',
  bedrock_converse: 'bedrock',
  deepseek: 'deepseek',
  mistral: 'mistral',
  groq: 'groq',
  xai: 'xai',
  openrouter: 'openrouter',
  together_ai: 'together',
  fireworks_ai: 'fireworks',
  ollama: 'ollama',
};

/** The key prefix LiteLLM adds to this provider's ids, and whether a key without it is accepted. */
const PREFIX: Readonly<Record<string, { prefix: string; required: boolean }>> = {
  openai: { prefix: 'openai/', required: false },
  azure: { prefix: 'azure/', required: true },
  anthropic: { prefix: 'anthropic/', required: false },
  gemini: { prefix: 'gemini/', required: false },
  bedrock: { prefix: 'bedrock/', required: false },
  bedrock_converse: { prefix: 'bedrock/', required: false },
  deepseek: { prefix: 'deepseek/', required: false },
  mistral: { prefix: 'mistral/', required: false },
  groq: { prefix: 'groq/', required: false },
  xai: { prefix: 'xai/', required: false },
  openrouter: { prefix: 'openrouter/', required: true },
  // `together-ai-4.1b-8b` and friends are size-bucket prices, not model ids.
  together_ai: { prefix: 'together_ai/', required: true },
  fireworks_ai: { prefix: 'fireworks_ai/', required: true },
  ollama: { prefix: 'ollama/', required: false },
};

/** Bit positions of the capability mask. Shared with src/pricing/catalog.ts (kept in sync by a test). */
export const CAPABILITY_BITS = {
  tools: 1,
  vision: 2,
  jsonSchema: 4,
  reasoning: 8,
  webSearch: 16,
  promptCaching: 32,
} as const;

const CAPABILITY_FIELDS: ReadonlyArray<readonly [keyof typeof CAPABILITY_BITS, string]> = [
  ['tools', 'supports_function_calling'],
  ['vision', 'supports_vision'],
  ['jsonSchema', 'supports_response_schema'],
  ['reasoning', 'supports_reasoning'],
  ['webSearch', 'supports_web_search'],
  ['promptCaching', 'supports_prompt_caching'],
];

const SKIP_KEYS = new Set(['sample_spec', 'fallback_generalizations', 'last_updated']);

type Raw = Record<string, unknown>;

interface Tier {
  aboveTokens: number;
  input?: string;
  output?: string;
  cacheRead?: string;
  cacheWrite?: string;
  cacheWrite1h?: string;
}

interface Entry {
  provider: string;
  id: string;
  priority: number;
  key: string;
  line: string;
}

export interface BuildResult {
  code: string;
  dateCode: string;
  snapshotDate: string;
  counts: Record<string, number>;
  skipped: string[];
}

/** USD per token (float) → USD per 1M tokens as a decimal string with at most 6 decimals. */
export function perMillion(value: number, where: string): string {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${where}: bad price ${value}`);
  const micro = Math.round(value * 1e12); // millionths of a USD per 1M tokens = pico-USD per token
  if (Math.abs(micro - value * 1e12) > 1e-3) {
    throw new Error(`${where}: ${value} USD/token is not representable with 6 decimals per 1M tokens`);
  }
  const whole = Math.floor(micro / 1e6);
  const frac = String(micro % 1e6).padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

function num(raw: Raw, field: string): number | undefined {
  const v = raw[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function price(raw: Raw, field: string, where: string): string | undefined {
  const v = num(raw, field);
  return v === undefined ? undefined : perMillion(v, `${where}.${field}`);
}

function positiveInt(raw: Raw, field: string): number | undefined {
  const v = num(raw, field);
  return v !== undefined && v > 0 ? Math.round(v) : undefined;
}

/** The provider's native id for a LiteLLM key, or undefined when the key is not a model id. */
function nativeId(litellmProvider: string, key: string): string | undefined {
  const rule = PREFIX[litellmProvider];
  if (!rule) return undefined;
  let id = key;
  if (id.startsWith(rule.prefix)) id = id.slice(rule.prefix.length);
  else if (rule.required) return undefined;
  if (!id) return undefined;
  switch (litellmProvider) {
    case 'azure':
      // `azure/eu/…`, `azure/us/…`, `azure/global/…`, `azure/global-standard/…`: deployment types.
      return id.includes('/') ? undefined : id;
    case 'bedrock':
    case 'bedrock_converse':
      // `bedrock/<region>/…`, `bedrock/*/1-month-commitment/…`, `bedrock/invoke/…`: not model ids.
      // Valid ids are `[profile.]vendor.model`; `@` is Vertex's date syntax.
      if (id.includes('/') || id.includes('@')) return undefined;
      return /^([a-z]{2,6}(-gov)?\.)?[a-z0-9-]+\.[a-z0-9]/.test(id) ? id : undefined;
    case 'openai':
    case 'anthropic':
    case 'deepseek':
    case 'mistral':
    case 'xai':
    case 'ollama':
      return id.includes('/') ? undefined : id;
    default:
      return id;
  }
}

/** Preference among keys naming the same native id; higher wins. */
function priorityOf(litellmProvider: string, key: string): number {
  const rule = PREFIX[litellmProvider];
  let p = 0;
  if (litellmProvider === 'bedrock_converse') p += 10;
  if (litellmProvider === 'bedrock' || litellmProvider === 'bedrock_converse') {
    if (rule && !key.startsWith(rule.prefix)) p += 1;
  } else if (rule && key.startsWith(rule.prefix)) {
    p += 1;
  }
  return p;
}

const TIER_RE = /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost|cache_creation_input_token_cost_above_1hr)_above_(\d+)k_tokens$/;
const TIER_FIELD: Record<string, keyof Omit<Tier, 'aboveTokens'>> = {
  input_cost_per_token: 'input',
  output_cost_per_token: 'output',
  cache_read_input_token_cost: 'cacheRead',
  cache_creation_input_token_cost: 'cacheWrite',
  cache_creation_input_token_cost_above_1hr: 'cacheWrite1h',
};

function tiersOf(raw: Raw, where: string): Tier[] {
  const byThreshold = new Map<number, Tier>();
  for (const field of Object.keys(raw)) {
    const m = TIER_RE.exec(field);
    if (!m) continue;
    const value = num(raw, field);
    if (value === undefined) continue;
    const above = Number(m[2]) * 1000;
    const tier = byThreshold.get(above) ?? { aboveTokens: above };
    tier[TIER_FIELD[m[1]!]!] = perMillion(value, `${where}.${field}`);
    byThreshold.set(above, tier);
  }
  return [...byThreshold.values()].sort((a, b) => a.aboveTokens - b.aboveTokens);
}

function encodeLine(id: string, raw: Raw, where: string): string {
  if (/[|\n]/.test(id)) throw new Error(`${where}: id contains a separator`);
  const input = price(raw, 'input_cost_per_token', where)!;
  const output = price(raw, 'output_cost_per_token', where)!;
  const cacheRead = price(raw, 'cache_read_input_token_cost', where) ?? price(raw, 'input_cost_per_token_cache_hit', where);
  const cacheWrite = price(raw, 'cache_creation_input_token_cost', where);
  const cacheWrite1h = price(raw, 'cache_creation_input_token_cost_above_1hr', where);
  let reasoning = price(raw, 'output_cost_per_reasoning_token', where);
  if (reasoning === output) reasoning = undefined;
  const contextWindow = positiveInt(raw, 'max_input_tokens');
  const maxOutput = positiveInt(raw, 'max_output_tokens') ?? positiveInt(raw, 'max_tokens');
  let caps = 0;
  for (const [name, field] of CAPABILITY_FIELDS) if (raw[field] === true) caps |= CAPABILITY_BITS[name];
  const tiers = tiersOf(raw, where)
    .map((t) => `${t.aboveTokens}:${[t.input, t.output, t.cacheRead, t.cacheWrite, t.cacheWrite1h].map((v) => v ?? '').join(',').replace(/,+$/, '')}`)
    .join(';');
  const fields = [id, input, output, cacheRead, cacheWrite, cacheWrite1h, reasoning, contextWindow, maxOutput, caps || '', tiers];
  return fields.map((f) => (f === undefined ? '' : String(f))).join('|').replace(/\|+$/, '');
}

function snapshotDateOf(data: Raw, sourcePath: string): string {
  const stamp = data.last_updated;
  if (typeof stamp === 'string' && /^\d{4}-\d{2}-\d{2}/.test(stamp)) return stamp.slice(0, 10);
  const sourceMd = sourcePath.replace(/\.json$/, '.SOURCE.md');
  if (existsSync(sourceMd)) {
    const m = /(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}/.exec(readFileSync(sourceMd, 'utf8'));
    if (m) return m[1]!;
  }
  throw new Error('no snapshot date: neither `last_updated` nor a dated SOURCE.md');
}

export function buildCatalog(sourcePath: string = DEFAULT_SOURCE): BuildResult {
  const data = JSON.parse(readFileSync(sourcePath, 'utf8')) as Raw;
  const snapshotDate = snapshotDateOf(data, sourcePath);
  const chosen = new Map<string, Entry>(); // `${provider}\0${id}`
  const skipped: string[] = [];
  for (const key of Object.keys(data)) {
    if (SKIP_KEYS.has(key)) continue;
    const raw = data[key];
    if (typeof raw !== 'object' || raw === null) continue;
    const entry = raw as Raw;
    const litellmProvider = entry.litellm_provider;
    if (typeof litellmProvider !== 'string') continue;
    const provider = PROVIDERS[litellmProvider];
    if (!provider || entry.mode !== 'chat') continue;
    if (num(entry, 'input_cost_per_token') === undefined || num(entry, 'output_cost_per_token') === undefined) {
      skipped.push(`${key} (no token prices)`);
      continue;
    }
    const id = nativeId(litellmProvider, key);
    if (id === undefined) {
      skipped.push(`${key} (not a native model id)`);
      continue;
    }
    const candidate: Entry = { provider, id, priority: priorityOf(litellmProvider, key), key, line: encodeLine(id, entry, key) };
    const slot = `${provider}\0${id}`;
    const existing = chosen.get(slot);
    if (!existing || candidate.priority > existing.priority || (candidate.priority === existing.priority && candidate.key < existing.key)) {
      if (existing) skipped.push(`${existing.key} (duplicate of ${candidate.key})`);
      chosen.set(slot, candidate);
    } else {
      skipped.push(`${key} (duplicate of ${existing.key})`);
    }
  }
  const byProvider = new Map<string, string[]>();
  for (const e of [...chosen.values()].sort((a, b) => (a.provider === b.provider ? cmp(a.id, b.id) : cmp(a.provider, b.provider)))) {
    const lines = byProvider.get(e.provider) ?? [];
    lines.push(e.line);
    byProvider.set(e.provider, lines);
  }
  const counts: Record<string, number> = {};
  const body: string[] = [];
  for (const [provider, lines] of byProvider) {
    counts[provider] = lines.length;
    body.push(`  ${JSON.stringify(provider)}: ${JSON.stringify(lines.join('\n'))},`);
  }
  const code = [
    `// Generated by scripts/build-catalog.ts from ${SOURCE_LABEL}, snapshot ${snapshotDate}. Do not edit.`,
    '// Chat models of modelmux providers; USD per 1M tokens. Line format (see scripts/build-catalog.ts):',
    '// id|input|output|cacheRead|cacheWrite|cacheWrite1h|reasoning|contextWindow|maxOutput|caps|tiers',
    '',
    `export const snapshotDate = ${JSON.stringify(snapshotDate)};`,
    '',
    'export const data: Readonly<Record<string, string>> = {',
    ...body,
    '};',
    '',
  ].join('\n');
  const dateCode = [
    `// Generated by scripts/build-catalog.ts from ${SOURCE_LABEL}. Do not edit.`,
    `export const CATALOG_SNAPSHOT_DATE = ${JSON.stringify(snapshotDate)};`,
    '',
  ].join('\n');
  return { code, dateCode, snapshotDate, counts, skipped: skipped.sort(cmp) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const stats = argv.includes('--stats');
  const sourceAt = argv.indexOf('--source');
  const source = sourceAt >= 0 && argv[sourceAt + 1] ? resolve(argv[sourceAt + 1]!) : DEFAULT_SOURCE;
  const result = buildCatalog(source);
  const raw = Buffer.byteLength(result.code);
  const gz = gzipSync(result.code, { level: 9 }).length;
  const total = Object.values(result.counts).reduce((a, b) => a + b, 0);
  if (stats) {
    for (const [p, n] of Object.entries(result.counts)) console.log(`${p.padEnd(12)} ${n}`);
    for (const s of result.skipped) console.log(`skipped ${s}`);
  }
  const outputs: Array<readonly [string, string]> = [
    [OUTPUT, result.code],
    [DATE_OUTPUT, result.dateCode],
  ];
  if (check) {
    for (const [path, code] of outputs) {
      const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
      if (current !== code) {
        console.error(`${path} is stale: run \`npx tsx scripts/build-catalog.ts\``);
        return 1;
      }
    }
    console.log(`catalog up to date (${total} models, snapshot ${result.snapshotDate})`);
    return 0;
  }
  for (const [path, code] of outputs) writeFileSync(path, code);
  console.log(`wrote ${OUTPUT}: ${total} models, snapshot ${result.snapshotDate}, ${raw} bytes, ${gz} bytes gzip`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
