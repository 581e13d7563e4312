/**
 * The price catalog: model prices, context windows and capabilities per provider, from the
 * LiteLLM snapshot compiled into `catalog.generated.ts` by `scripts/build-catalog.ts`, with the
 * user's `pricing` overrides on top.
 *
 * Loading is lazy and asynchronous: importing this module decodes nothing and does not even
 * import the data. The first lookup does a dynamic `import()` of the generated module (so a
 * bundler splits the ~57 KB raw / ~9 KB gzip of data into its own chunk, out of the main one
 * and out of import time), decodes it once and builds the indexes (a few milliseconds, once).
 * The async surface is `loadCatalog()` / `PriceTable.load()`, which resolve to a synchronous
 * `PriceLookup`; the gateway awaits it once per request (a settled promise after the first)
 * and then looks up synchronously.
 */
import { parseOrThrow } from '../request/validate.js';
import { array, boolean, number, object, optional, record, string, type Check, type Infer, type SameKeys } from '../request/check.js';
import { canonicalModelName, parseModelName, type ParsedModelName } from './canonical.js';
import type { ModelCapabilities, ModelInfo, ModelPrice, PriceTier, ServingModel } from './types.js';

export type { ModelCapabilities, ModelInfo, ModelPrice, PriceTier, ServingModel } from './types.js';
export { CATALOG_SNAPSHOT_DATE as catalogSnapshotDate } from './catalog-date.generated.js';

/** Bit positions of the capability mask in the generated data (same as scripts/build-catalog.ts). */
export const CAPABILITY_BITS: Readonly<Record<keyof ModelCapabilities, number>> = {
  tools: 1,
  vision: 2,
  jsonSchema: 4,
  reasoning: 8,
  webSearch: 16,
  promptCaching: 32,
};

/** Synchronous lookups over a loaded catalog (and overrides). */
export interface PriceLookup {
  /** The LiteLLM snapshot date, `YYYY-MM-DD`. */
  readonly snapshotDate: string;
  /**
   * A provider's model by native id: the exact id first (then case-insensitively); else the same
   * model under another spelling of that provider (see `canonicalModelName`): an undated alias for
   * a dated id and the latest dated id for an undated alias (`claude-haiku-4-5` ↔
   * `claude-haiku-4-5-20251001`), a Bedrock id without its inference-profile prefix. A dated id
   * never matches another date; `:free` ids never match the paid ones. `ft:base:org::id` (OpenAI,
   * Azure fine-tunes) matches `ft:base`.
   */
  lookupModel(provider: string, model: string): ModelInfo | undefined;
  /**
   * Every provider's model that serves a bare model id, grouped by provider (sorted by provider
   * name), the preferred id of each provider first: its undated alias (else its latest date, or
   * the date asked for), without an inference-profile prefix, then `global.`, then the regional
   * profiles. `gpt-4o-mini` → openai `gpt-4o-mini`, azure `gpt-4o-mini`.
   */
  providersServing(model: string): ServingModel[];
  /** Every model of a provider (every model when `provider` is omitted), sorted by provider and id. */
  models(provider?: string): ModelInfo[];
}

/** User `pricing`: USD per 1M tokens, keyed `provider/model` (the model id may contain `/`). */
export interface PriceOverride {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  reasoning?: number;
  tiers?: PriceTier[];
  contextWindow?: number;
  maxOutput?: number;
  capabilities?: Partial<ModelCapabilities>;
}

export interface PriceTable {
  /** The catalog with the overrides applied; loads the catalog on first call. */
  load(): Promise<PriceLookup>;
  lookupModel(provider: string, model: string): Promise<ModelInfo | undefined>;
  providersServing(model: string): Promise<ServingModel[]>;
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface CatalogState {
  status: 'idle' | 'loading' | 'ready';
  /** How many times the generated data was decoded (1 once loaded; 0 after import). */
  decodes: number;
}

const state: CatalogState = { status: 'idle', decodes: 0 };
let catalogPromise: Promise<PriceLookup> | undefined;

/** Whether the catalog data has been imported and decoded yet (for tests and warm-up checks). */
export function catalogLoadState(): Readonly<CatalogState> {
  return { ...state };
}

const NO_CAPABILITIES: ModelCapabilities = Object.freeze({
  tools: false,
  vision: false,
  jsonSchema: false,
  reasoning: false,
  webSearch: false,
  promptCaching: false,
});

function decodeCapabilities(mask: number): ModelCapabilities {
  const caps = { ...NO_CAPABILITIES };
  for (const key of Object.keys(CAPABILITY_BITS) as Array<keyof ModelCapabilities>) caps[key] = (mask & CAPABILITY_BITS[key]) !== 0;
  return Object.freeze(caps);
}

function optNumber(field: string | undefined): number | undefined {
  return field === undefined || field === '' ? undefined : Number(field);
}

function decodeTiers(field: string): PriceTier[] {
  return field.split(';').map((spec) => {
    const [above, prices = ''] = spec.split(':');
    const [input, output, cacheRead, cacheWrite, cacheWrite1h] = prices.split(',').map(optNumber);
    const tier: PriceTier = { aboveTokens: Number(above) };
    if (input !== undefined) tier.input = input;
    if (output !== undefined) tier.output = output;
    if (cacheRead !== undefined) tier.cacheRead = cacheRead;
    if (cacheWrite !== undefined) tier.cacheWrite = cacheWrite;
    if (cacheWrite1h !== undefined) tier.cacheWrite1h = cacheWrite1h;
    return Object.freeze(tier);
  });
}

/** Decodes one provider's lines (format: see scripts/build-catalog.ts). */
export function decodeProvider(provider: string, text: string): ModelInfo[] {
  const out: ModelInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split('|');
    const price: ModelPrice = { input: Number(f[1]), output: Number(f[2]) };
    const cacheRead = optNumber(f[3]);
    const cacheWrite = optNumber(f[4]);
    const cacheWrite1h = optNumber(f[5]);
    const reasoning = optNumber(f[6]);
    if (cacheRead !== undefined) price.cacheRead = cacheRead;
    if (cacheWrite !== undefined) price.cacheWrite = cacheWrite;
    if (cacheWrite1h !== undefined) price.cacheWrite1h = cacheWrite1h;
    if (reasoning !== undefined) price.reasoning = reasoning;
    if (f[10]) price.tiers = Object.freeze(decodeTiers(f[10]));
    const model = f[0]!;
    const info: ModelInfo = {
      provider,
      model,
      canonical: canonicalModelName(model),
      price: Object.freeze(price),
      capabilities: decodeCapabilities(Number(f[9] || 0)),
      source: 'catalog',
    };
    const contextWindow = optNumber(f[7]);
    const maxOutput = optNumber(f[8]);
    if (contextWindow !== undefined) info.contextWindow = contextWindow;
    if (maxOutput !== undefined) info.maxOutput = maxOutput;
    out.push(Object.freeze(info));
  }
  return out;
}

/** Loads (once) and decodes the generated catalog. */
export function loadCatalog(): Promise<PriceLookup> {
  catalogPromise ??= (async () => {
    state.status = 'loading';
    try {
      const generated = await import('./catalog.generated.js');
      const entries: ModelInfo[] = [];
      for (const provider of Object.keys(generated.data).sort()) entries.push(...decodeProvider(provider, generated.data[provider]!));
      state.decodes += 1;
      state.status = 'ready';
      return new Index(entries, generated.snapshotDate);
    } catch (error) {
      state.status = 'idle';
      catalogPromise = undefined;
      throw error;
    }
  })();
  return catalogPromise;
}

// ---------------------------------------------------------------------------------------------
// Indexes and lookups

interface Keyed {
  info: ModelInfo;
  parsed: ParsedModelName;
}

class Index implements PriceLookup {
  private readonly exact = new Map<string, ModelInfo>(); // provider \0 id
  private readonly folded = new Map<string, ModelInfo>(); // provider \0 lower(id)
  private readonly byCanonical = new Map<string, Keyed[]>(); // canonical → every provider's entries
  private readonly all: ModelInfo[];

  constructor(
    entries: Iterable<ModelInfo>,
    readonly snapshotDate: string,
  ) {
    for (const info of entries) this.exact.set(`${info.provider}\0${info.model}`, info);
    this.all = [...this.exact.values()].sort((a, b) => compare(a.provider, b.provider) || compare(a.model, b.model));
    for (const info of this.all) {
      const folded = `${info.provider}\0${info.model.toLowerCase()}`;
      if (!this.folded.has(folded)) this.folded.set(folded, info);
      const parsed = parseModelName(info.model);
      const list = this.byCanonical.get(parsed.canonical) ?? [];
      list.push({ info, parsed });
      this.byCanonical.set(parsed.canonical, list);
    }
  }

  models(provider?: string): ModelInfo[] {
    return provider === undefined ? [...this.all] : this.all.filter((m) => m.provider === provider);
  }

  lookupModel(provider: string, model: string): ModelInfo | undefined {
    const direct = this.exact.get(`${provider}\0${model}`) ?? this.folded.get(`${provider}\0${model.toLowerCase()}`);
    if (direct) return direct;
    if (model.startsWith('ft:')) {
      const base = model.split(':').slice(0, 2).join(':');
      return base === model ? undefined : this.exact.get(`${provider}\0${base}`);
    }
    const parsed = parseModelName(model);
    const candidates = (this.byCanonical.get(parsed.canonical) ?? []).filter(
      (k) => k.info.provider === provider && sameVendor(parsed, k.parsed) && dateMatches(parsed, k.parsed),
    );
    return rank(candidates, parsed)[0]?.info;
  }

  providersServing(model: string): ServingModel[] {
    const parsed = parseModelName(model);
    const byProvider = new Map<string, Keyed[]>();
    for (const k of this.byCanonical.get(parsed.canonical) ?? []) {
      if (!sameVendor(parsed, k.parsed)) continue;
      const list = byProvider.get(k.info.provider) ?? [];
      list.push(k);
      byProvider.set(k.info.provider, list);
    }
    const out: ServingModel[] = [];
    for (const provider of [...byProvider.keys()].sort(compare)) {
      const list = byProvider.get(provider)!;
      // One date per provider: the one asked for, else the undated alias, else the latest date.
      const chosenDate = pickDate(list, parsed);
      if (chosenDate === null) continue;
      const ofDate = list.filter((k) => (k.parsed.date ?? '') === chosenDate);
      for (const k of rank(ofDate, parsed)) out.push({ provider, model: k.info.model, info: k.info });
    }
    return out;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A vendor given in the query (`anthropic/…`, `anthropic.…`) must match the entry's, when it has one. */
function sameVendor(query: ParsedModelName, entry: ParsedModelName): boolean {
  if (query.vendor === undefined || entry.vendor === undefined) return true;
  return normalizeVendor(query.vendor) === normalizeVendor(entry.vendor);
}

function normalizeVendor(vendor: string): string {
  const last = vendor.slice(vendor.lastIndexOf('/') + 1);
  return last.replace(/[^a-z0-9]/g, '').replace(/ai$/, '');
}

function dateMatches(query: ParsedModelName, entry: ParsedModelName): boolean {
  return query.date === undefined || entry.date === undefined || query.date === entry.date;
}

/** `''` = undated; `null` = nothing acceptable (only other dates than the one asked for). */
function pickDate(list: readonly Keyed[], query: ParsedModelName): string | null {
  const dates = new Set(list.map((k) => k.parsed.date ?? ''));
  if (query.date !== undefined) return dates.has(query.date) ? query.date : dates.has('') ? '' : null;
  if (dates.has('')) return '';
  return [...dates].sort(compare).pop() ?? null;
}

/**
 * Preference order: same date as asked (else undated, else latest); same inference profile as
 * asked (else none, else `global`, else others); then the id itself.
 */
function rank(list: readonly Keyed[], query: ParsedModelName): Keyed[] {
  const dateScore = (k: Keyed): number => {
    if (query.date !== undefined && k.parsed.date === query.date) return 0;
    return k.parsed.date === undefined ? 1 : 2;
  };
  const regionScore = (k: Keyed): number => {
    if (query.region !== undefined && k.parsed.region === query.region) return 0;
    if (k.parsed.region === undefined) return 1;
    return k.parsed.region === 'global' ? 2 : 3;
  };
  return [...list].sort(
    (a, b) =>
      dateScore(a) - dateScore(b) ||
      compare(b.parsed.date ?? '', a.parsed.date ?? '') ||
      regionScore(a) - regionScore(b) ||
      compare(a.parsed.region ?? '', b.parsed.region ?? '') ||
      compare(a.info.model, b.info.model),
  );
}

// ---------------------------------------------------------------------------------------------
// User overrides

const usd = number({ min: 0 });
const optUsd = optional(usd);
const tokens = optional(number({ int: true, gt: 0 }));
const optBool = optional(boolean());

const tierSchema = object({
  aboveTokens: number({ int: true, gt: 0 }),
  input: optUsd,
  output: optUsd,
  cacheRead: optUsd,
  cacheWrite: optUsd,
  cacheWrite1h: optUsd,
});

const capabilitiesShape = object({ tools: optBool, vision: optBool, jsonSchema: optBool, reasoning: optBool, webSearch: optBool, promptCaching: optBool });

const overrideShape = object({
  input: usd,
  output: usd,
  cacheRead: optUsd,
  cacheWrite: optUsd,
  cacheWrite1h: optUsd,
  reasoning: optUsd,
  tiers: optional(array(tierSchema)),
  contextWindow: tokens,
  maxOutput: tokens,
  capabilities: optional(capabilitiesShape),
});
const overrideSchema: Check<PriceOverride> = overrideShape;

/** Compile-time: the strict checks allow exactly the fields of the public types. */
type Exact<T extends true> = T;
type CheckedFields = [
  Exact<SameKeys<Infer<typeof overrideShape>, PriceOverride>>,
  Exact<SameKeys<Infer<typeof tierSchema>, PriceTier>>,
  Exact<SameKeys<Infer<typeof capabilitiesShape>, ModelCapabilities>>,
];

const overridesSchema = record(overrideSchema, string({ pattern: /^[^/\s]+\/\S/, message: 'expected a "provider/model" key' }));

/** Rounds a USD-per-1M price to the 6 decimals the cost arithmetic uses. */
function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function overrideInfo(key: string, o: PriceOverride, base: ModelInfo | undefined): ModelInfo {
  const slash = key.indexOf('/');
  const provider = key.slice(0, slash);
  const model = key.slice(slash + 1);
  const price: ModelPrice = { input: round6(o.input), output: round6(o.output) };
  if (o.cacheRead !== undefined) price.cacheRead = round6(o.cacheRead);
  if (o.cacheWrite !== undefined) price.cacheWrite = round6(o.cacheWrite);
  if (o.cacheWrite1h !== undefined) price.cacheWrite1h = round6(o.cacheWrite1h);
  if (o.reasoning !== undefined) price.reasoning = round6(o.reasoning);
  if (o.tiers && o.tiers.length > 0) {
    price.tiers = Object.freeze(
      [...o.tiers]
        .sort((a, b) => a.aboveTokens - b.aboveTokens)
        .map((t) => {
          const tier: PriceTier = { aboveTokens: t.aboveTokens };
          for (const f of ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h'] as const) {
            const v = t[f];
            if (v !== undefined) tier[f] = round6(v);
          }
          return Object.freeze(tier);
        }),
    );
  }
  const info: ModelInfo = {
    provider,
    model,
    canonical: canonicalModelName(model),
    price: Object.freeze(price),
    capabilities: Object.freeze({ ...(base?.capabilities ?? NO_CAPABILITIES), ...o.capabilities }),
    source: 'override',
  };
  const contextWindow = o.contextWindow ?? base?.contextWindow;
  const maxOutput = o.maxOutput ?? base?.maxOutput;
  if (contextWindow !== undefined) info.contextWindow = contextWindow;
  if (maxOutput !== undefined) info.maxOutput = maxOutput;
  return Object.freeze(info);
}

/**
 * A price table: the catalog plus user `pricing`. Overrides are validated now (a negative or
 * NaN price is a `ValidationError` naming `pricing.<provider/model>.<field>`); the catalog loads
 * on the first lookup. An override replaces the catalog entry of that exact native id: its price
 * wholly (a catalog cache or tier price is not kept unless restated), while `contextWindow`,
 * `maxOutput` and `capabilities` default to the catalog's. An override for an id the catalog
 * lacks adds a model (any provider key, e.g. a custom `openaiCompatible` one).
 */
export function createPriceTable(overrides: Record<string, PriceOverride> = {}): PriceTable {
  const parsed = parseOrThrow(overridesSchema, overrides, 'pricing');
  const keys = Object.keys(parsed);
  let loaded: Promise<PriceLookup> | undefined;
  const load = (): Promise<PriceLookup> => {
    loaded ??= loadCatalog().then((catalog) => {
      if (keys.length === 0) return catalog;
      const merged = new Map<string, ModelInfo>();
      for (const info of catalog.models()) merged.set(`${info.provider}\0${info.model}`, info);
      for (const key of keys) {
        const slash = key.indexOf('/');
        const id = `${key.slice(0, slash)}\0${key.slice(slash + 1)}`;
        merged.set(id, overrideInfo(key, parsed[key]!, merged.get(id)));
      }
      return new Index(merged.values(), catalog.snapshotDate);
    });
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
  return {
    load,
    lookupModel: async (provider, model) => (await load()).lookupModel(provider, model),
    providersServing: async (model) => (await load()).providersServing(model),
  };
}

const defaultTable = createPriceTable();

/** `lookupModel` on the catalog alone (no overrides). */
export async function lookupModel(provider: string, model: string): Promise<ModelInfo | undefined> {
  return defaultTable.lookupModel(provider, model);
}

/** `providersServing` on the catalog alone (no overrides). */
export async function providersServing(model: string): Promise<ServingModel[]> {
  return defaultTable.providersServing(model);
}
