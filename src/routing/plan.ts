import { ValidationError, type SkippedCandidate } from '../errors/classes.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import { splitProvider, splitVariant, type Variant } from '../request/model-id.js';
import type { ModelPrice } from '../pricing/types.js';
import type { ChatCompletionCreateParams } from '../request/types.js';
import { providerForBareModel } from './bare-model.js';
import type { Strategy, StrategyContext } from './strategies/types.js';

/** Catalog facts about one deployment; every field may be unknown. */
export interface ModelFacts {
  /** USD per 1M tokens. */
  price?: ModelPrice;
  contextWindow?: number;
  maxOutput?: number;
  capabilities?: { tools?: boolean; vision?: boolean; jsonSchema?: boolean; reasoning?: boolean; webSearch?: boolean };
}

/** Where routing looks models up: the price catalog plus the user's `pricing`. */
export interface ModelDirectory {
  /** Facts for `model` on the configured provider `provider` (whose adapter family is `family`). */
  describe(provider: string, family: string, model: string): ModelFacts | undefined;
  /** Native ids under which a provider family lists a bare model id (`claude-haiku-4-5` on bedrock → `anthropic.…-v1:0`). */
  nativeIds(family: string, bareModel: string): string[];
}

/** A deployment with what routing knows about it. */
export interface RoutedDeployment extends ModelFacts {
  /** `provider/model`: the key of its breaker and statistics. */
  id: string;
  provider: string;
  model: string;
  adapter: ProviderAdapter;
  weight?: number;
  rpm?: number;
  tpm?: number;
}

/** Equivalent deployments of one model (or one alias), tried by one strategy. */
export interface Group {
  label: string;
  deployments: RoutedDeployment[];
  strategy?: Strategy | undefined;
}

export interface Plan {
  groups: Group[];
  contextWindowFallbacks: Group[];
  contentPolicyFallbacks: Group[];
  /** Candidates left out before any call, with the reason. */
  skipped: SkippedCandidate[];
  variant: Variant | undefined;
}

/** A deployment in a group definition: a model id, or one with routing weights and limits. */
export interface DeploymentSpec {
  model: string;
  weight?: number;
  rpm?: number;
  tpm?: number;
}

export interface GroupSpec {
  deployments: Array<string | DeploymentSpec>;
  strategy?: Strategy | undefined;
}

export interface RoutingTables {
  providers: ReadonlyMap<string, ProviderAdapter>;
  groups: ReadonlyMap<string, GroupSpec>;
  fallbacks: ReadonlyMap<string, readonly string[]>;
  contextWindowFallbacks: ReadonlyMap<string, readonly string[]>;
  contentPolicyFallbacks: ReadonlyMap<string, readonly string[]>;
  directory: ModelDirectory;
}

/** Provider keys modelmux ships adapters for, to tell "unknown" from "not configured". */
const KNOWN_PROVIDERS = new Set([
  'openai', 'anthropic', 'google', 'bedrock', 'deepseek', 'mistral', 'groq', 'xai',
  'openrouter', 'together', 'fireworks', 'ollama', 'azure',
]);

function notServed(id: string, field: string, tables: RoutingTables): ValidationError {
  const configured = [...tables.providers.keys()];
  const slash = id.indexOf('/');
  const prefix = slash > 0 ? id.slice(0, slash) : undefined;
  let message: string;
  if (prefix !== undefined && KNOWN_PROVIDERS.has(prefix)) {
    message = `provider "${prefix}" is not configured (configured: ${configured.join(', ') || 'none'}); add it to providers or set its API key`;
  } else if (configured.length === 0) {
    message = 'no provider is configured: pass providers to createGateway or set a provider API key in the environment';
  } else {
    message = `no configured provider serves "${id}": use "<provider>/<model>" with one of ${configured.join(', ')}, or an alias from models`;
  }
  return new ValidationError([{ path: field, message }]);
}

function deployment(tables: RoutingTables, provider: string, model: string, spec?: DeploymentSpec): RoutedDeployment {
  const adapter = tables.providers.get(provider)!;
  const facts = tables.directory.describe(provider, adapter.name, model);
  return {
    id: `${provider}/${model}`,
    provider,
    model,
    adapter,
    ...facts,
    ...(spec?.weight === undefined ? {} : { weight: spec.weight }),
    ...(spec?.rpm === undefined ? {} : { rpm: spec.rpm }),
    ...(spec?.tpm === undefined ? {} : { tpm: spec.tpm }),
  };
}

/**
 * Deployments for one model id without a variant: an alias or group, `provider/model`, or a bare
 * id served by every configured provider that lists it (the catalog), else by model family.
 */
function resolveDeployments(id: string, field: string, tables: RoutingTables, seen: Set<string>, spec?: DeploymentSpec): Group {
  const group = tables.groups.get(id);
  if (group !== undefined) {
    if (seen.has(id)) throw new ValidationError([{ path: field, message: `alias "${id}" refers to itself` }]);
    seen.add(id);
    const deployments = group.deployments.flatMap((entry) => {
      const entrySpec = typeof entry === 'string' ? { model: entry } : entry;
      return resolveDeployments(entrySpec.model, field, tables, seen, entrySpec).deployments;
    });
    return { label: id, deployments, strategy: group.strategy };
  }
  const qualified = splitProvider(id, (key) => tables.providers.has(key));
  if (qualified !== undefined) {
    if (qualified.model.length === 0) throw new ValidationError([{ path: field, message: `"${id}" names no model after the provider` }]);
    return { label: id, deployments: [deployment(tables, qualified.provider, qualified.model, spec)] };
  }
  const served: RoutedDeployment[] = [];
  for (const [key, adapter] of tables.providers) {
    for (const native of tables.directory.nativeIds(adapter.name, id)) served.push(deployment(tables, key, native, spec));
  }
  if (served.length === 0) {
    const family = providerForBareModel(id, tables.providers);
    if (family !== undefined) served.push(deployment(tables, family, id, spec));
  }
  if (served.length === 0) throw notServed(id, field, tables);
  return { label: id, deployments: served };
}

/** The variant of the requested model id; for OpenRouter deployments the suffix stays on the native id. */
function withVariant(group: Group, variant: Variant | undefined): Group {
  if (variant === undefined) return group;
  return {
    ...group,
    deployments: group.deployments.map((d) => (d.adapter.name === 'openrouter' ? { ...d, id: `${d.id}:${variant}`, model: `${d.model}:${variant}` } : d)),
  };
}

function dedupe(groups: Group[]): Group[] {
  const seen = new Set<string>();
  const out: Group[] = [];
  for (const group of groups) {
    const deployments = group.deployments.filter((d) => !seen.has(d.id));
    for (const d of deployments) seen.add(d.id);
    if (deployments.length > 0) out.push({ ...group, deployments });
  }
  return out;
}

function chain(ids: readonly string[] | undefined, field: string, tables: RoutingTables, variant: Variant | undefined): Group[] {
  return (ids ?? []).map((id, index) => {
    const parts = splitVariant(id);
    return withVariant(resolveDeployments(parts.base, `${field}.${index}`, tables, new Set()), parts.variant ?? variant);
  });
}

/**
 * Resolves the request's model into a routing plan: the primary group (with its variant), the
 * per-request `models` list, the configured `fallbacks` of the requested model, and the
 * error-kind chains. Throws `ValidationError` for an id nothing serves.
 */
export function resolvePlan(params: ChatCompletionCreateParams, tables: RoutingTables): Plan {
  const { base, variant } = splitVariant(params.model);
  const primary = withVariant(resolveDeployments(base, 'model', tables, new Set()), variant);
  const lookupKey = tables.fallbacks.has(params.model) ? params.model : base;
  const groups = dedupe([
    primary,
    ...chain(params.models, 'models', tables, undefined),
    ...chain(tables.fallbacks.get(lookupKey), `routing.fallbacks.${lookupKey}`, tables, undefined),
  ]);
  return {
    groups,
    contextWindowFallbacks: chain(tables.contextWindowFallbacks.get(lookupKey), `routing.contextWindowFallbacks.${lookupKey}`, tables, undefined),
    contentPolicyFallbacks: chain(tables.contentPolicyFallbacks.get(lookupKey), `routing.contentPolicyFallbacks.${lookupKey}`, tables, undefined),
    skipped: [],
    variant,
  };
}

export type { StrategyContext };
