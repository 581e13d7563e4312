import { ValidationError } from '../errors/classes.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import { splitProvider, splitVariant } from '../request/model-id.js';
import { providerForBareModel } from './bare-model.js';

/** One place a request can be sent: a configured provider and its own model id. */
export interface Deployment {
  provider: string;
  model: string;
  adapter: ProviderAdapter;
}

export interface ModelRegistry {
  providers: ReadonlyMap<string, ProviderAdapter>;
  /** Aliases and groups: a name → model ids tried in order. */
  aliases: ReadonlyMap<string, readonly string[]>;
}

/** Provider keys modelmux ships adapters for, to tell "unknown" from "not configured". */
const KNOWN_PROVIDERS = new Set([
  'openai', 'anthropic', 'google', 'bedrock', 'deepseek', 'mistral', 'groq', 'xai',
  'openrouter', 'together', 'fireworks', 'ollama', 'azure',
]);

function notServed(id: string, field: string, registry: ModelRegistry): ValidationError {
  const configured = [...registry.providers.keys()];
  const slash = id.indexOf('/');
  const prefix = slash > 0 ? id.slice(0, slash) : undefined;
  let message: string;
  if (prefix !== undefined && KNOWN_PROVIDERS.has(prefix)) {
    message = `provider "${prefix}" is not configured (configured: ${configured.join(', ') || 'none'}); add it to providers or set its API key`;
  } else if (configured.length === 0) {
    message = `no provider is configured: pass providers to createGateway or set a provider API key in the environment`;
  } else {
    message = `no configured provider serves "${id}": use "<provider>/<model>" with one of ${configured.join(', ')}, or an alias from models`;
  }
  return new ValidationError([{ path: field, message }]);
}

function resolveOne(id: string, field: string, registry: ModelRegistry, seen: Set<string>): Deployment[] {
  const alias = registry.aliases.get(id);
  if (alias !== undefined) {
    if (seen.has(id)) throw new ValidationError([{ path: field, message: `alias "${id}" refers to itself` }]);
    seen.add(id);
    return alias.flatMap((target) => resolveOne(target, field, registry, seen));
  }
  const { base, variant } = splitVariant(id);
  const qualified = splitProvider(base, (key) => registry.providers.has(key));
  if (qualified !== undefined) {
    const adapter = registry.providers.get(qualified.provider)!;
    if (variant !== undefined) {
      // OpenRouter defines the same suffixes: pass them through untouched.
      if (adapter.name === 'openrouter') return [{ provider: qualified.provider, model: `${qualified.model}:${variant}`, adapter }];
      throw new ValidationError([
        { path: field, message: `variant ":${variant}" is resolved by routing, which is not available for "${qualified.provider}" yet` },
      ]);
    }
    if (qualified.model.length === 0) throw new ValidationError([{ path: field, message: `"${id}" names no model after the provider` }]);
    return [{ provider: qualified.provider, model: qualified.model, adapter }];
  }
  if (variant === undefined) {
    const provider = providerForBareModel(base, registry.providers);
    if (provider !== undefined) return [{ provider, model: base, adapter: registry.providers.get(provider)! }];
  }
  throw notServed(id, field, registry);
}

/** Resolves the request's model (and its `models` fallback list) to deployments, in order. */
export function resolveCandidates(model: string, fallbackModels: readonly string[] | undefined, registry: ModelRegistry): Deployment[] {
  const candidates = resolveOne(model, 'model', registry, new Set());
  fallbackModels?.forEach((id, index) => {
    for (const deployment of resolveOne(id, `models.${index}`, registry, new Set())) {
      if (!candidates.some((c) => c.provider === deployment.provider && c.model === deployment.model)) candidates.push(deployment);
    }
  });
  return candidates;
}
