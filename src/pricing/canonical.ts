/**
 * Canonical model names: one name for a model whatever provider serves it, so that a bare id
 * (`claude-haiku-4-5`) finds Anthropic's `claude-haiku-4-5`, Bedrock's
 * `anthropic.claude-haiku-4-5-20251001-v1:0` (and its `us.`/`eu.`/`global.` inference profiles)
 * and OpenRouter's `anthropic/claude-haiku-4.5`.
 *
 * The rules, in order (provider-independent, so a bare id goes through the same function):
 * 1. lower case;
 * 2. a path keeps its last segment: `anthropic/claude-haiku-4.5` → `claude-haiku-4.5`,
 *    `accounts/fireworks/models/qwen3-8b` → `qwen3-8b` (the path is kept as `vendor`);
 * 3. a Bedrock-style id `[profile.]vendor.model[-vN[:M]]` loses its inference-profile prefix
 *    (`us.`, `eu.`, `apac.`, `au.`, `jp.`, `ca.`, `global.`, `us-gov.`; kept as `region`),
 *    its vendor prefix (`anthropic.`, `meta.`, `amazon.`, …) and its version suffix
 *    (`-v1:0`, `-v2:0`, `-v1`, `-1:0`); `deepseek.v3.2` becomes `deepseek-v3-2` (DeepSeek's own naming);
 * 4. a date suffix is removed (kept as `date`, `YYYYMMDD`): `-20251001`, `-2025-08-07`,
 *    `@20251001`. Four-digit suffixes (`-2407`, `-0125`) are model versions, not dates: kept;
 * 5. a dot between digits becomes a dash: `4.5` → `4-5`, `llama-3.3` → `llama-3-3`;
 * 6. a `:tag` suffix stays part of the name (`:free` ids stay distinct from the paid ones,
 *    Ollama's `llama3:8b` keeps its tag); only Bedrock's numeric `:0` version is removed.
 */

export interface ParsedModelName {
  /** The canonical name (no path, profile, vendor, version or date). */
  canonical: string;
  /** `YYYYMMDD` when the id carried a date. */
  date?: string;
  /** Bedrock inference-profile prefix (`us`, `eu`, `global`, …). */
  region?: string;
  /** The path before the last `/` (`anthropic`, `meta-llama`; not Fireworks' `accounts/…/models`), or a Bedrock vendor. */
  vendor?: string;
}

const REGIONS = new Set(['us', 'eu', 'apac', 'au', 'jp', 'ca', 'global', 'us-gov']);
const VENDORS = new Set([
  'ai21', 'amazon', 'anthropic', 'cohere', 'deepseek', 'google', 'meta', 'minimax', 'mistral', 'moonshot',
  'moonshotai', 'nvidia', 'openai', 'qwen', 'stability', 'twelvelabs', 'writer', 'zai',
]);
const BEDROCK_VERSION = /-(v\d+(:\d+)?|\d+:\d+)$/;
const DATE = /(?:[-@])(\d{4})-?(\d{2})-?(\d{2})$/;

export function parseModelName(model: string): ParsedModelName {
  let name = model.trim().toLowerCase();
  const result: Omit<ParsedModelName, 'canonical'> = {};
  const slash = name.lastIndexOf('/');
  if (slash >= 0) {
    const path = name.slice(0, slash);
    // Fireworks' `accounts/<account>/models/` is a namespace, not the model's vendor.
    if (!/^accounts\/[^/]+\/(models|routers)$/.test(path)) result.vendor = path;
    name = name.slice(slash + 1);
  }
  const parts = name.split('.');
  let at = 0;
  if (parts.length > 2 && REGIONS.has(parts[0]!) && VENDORS.has(parts[1]!)) at = 1;
  if (parts.length > at + 1 && VENDORS.has(parts[at]!)) {
    if (at === 1) result.region = parts[0]!;
    result.vendor ??= parts[at]!;
    name = parts.slice(at + 1).join('.').replace(BEDROCK_VERSION, '');
    // `deepseek.v3.2`, `deepseek.r1-v1:0`: DeepSeek names its models `deepseek-v3.2`, `deepseek-r1`.
    if (parts[at] === 'deepseek' && !name.startsWith('deepseek')) name = `deepseek-${name}`;
  }
  // A tag suffix (`:free`, `:8b`) is set aside so that dates and dots are normalized before it.
  let tag = '';
  const colon = name.indexOf(':');
  if (colon >= 0) {
    tag = name.slice(colon);
    name = name.slice(0, colon);
  }
  const date = DATE.exec(name);
  if (date && isPlausibleDate(date[1]!, date[2]!, date[3]!)) {
    result.date = `${date[1]}${date[2]}${date[3]}`;
    name = name.slice(0, date.index);
  }
  name = name.replace(/(\d)\.(?=\d)/g, '$1-');
  return { canonical: name + tag, ...result };
}

function isPlausibleDate(y: string, m: string, d: string): boolean {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  return year >= 2020 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/** The canonical name of a native or bare model id (see the rules above). */
export function canonicalModelName(model: string): string {
  return parseModelName(model).canonical;
}
