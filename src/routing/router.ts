import type { ModelmuxError } from '../errors/base.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { ChatCompletionCreateParams } from '../request/types.js';
import { type BreakerOptions, BreakerRegistry } from './cooldown.js';
import { filterEligible, needsOf } from './eligibility.js';
import type { Health } from './health.js';
import { type GroupSpec, type ModelDirectory, type Plan, resolvePlan, type RoutingTables } from './plan.js';
import { StatsRegistry } from './stats.js';
import { resolveStrategy, type StrategyName } from './strategies/index.js';
import type { Strategy, StrategyContext } from './strategies/types.js';
import { applyVariant, type WebSearch } from './variants.js';

export type StrategyOption = StrategyName | Strategy;

/** A model group in `models`: equivalent deployments and how to order them. */
export interface ModelGroupConfig {
  deployments: Array<string | { model: string; weight?: number; rpm?: number; tpm?: number }>;
  strategy?: StrategyOption;
}

export interface RouterConfig {
  providers: ReadonlyMap<string, ProviderAdapter>;
  models: Record<string, string | string[] | ModelGroupConfig>;
  strategy: StrategyOption | undefined;
  fallbacks: Record<string, string[]>;
  contextWindowFallbacks: Record<string, string[]>;
  contentPolicyFallbacks: Record<string, string[]>;
  breaker: Partial<BreakerOptions> | undefined;
  webSearch: WebSearch | undefined;
  estimateInputTokens(params: ChatCompletionCreateParams): number;
}

/** Per-deployment health for `mux.stats()`. */
export interface DeploymentHealth {
  inFlight: number;
  latencyMs: number | undefined;
  timeToFirstTokenMs: number | undefined;
  successes: number;
  failures: number;
  consecutiveFailures: number;
  breaker: 'closed' | 'open' | 'half-open';
  openUntil: number | undefined;
}

const MAX_CACHED_PLANS = 1_000;

function groupSpec(entry: string | string[] | ModelGroupConfig, field: string): GroupSpec {
  if (typeof entry === 'string') return { deployments: [entry] };
  if (Array.isArray(entry)) return { deployments: entry };
  return { deployments: entry.deployments, strategy: entry.strategy === undefined ? undefined : resolveStrategy(entry.strategy, `${field}.strategy`) };
}

/** Routing state of one gateway: tables from the config, breakers and statistics per deployment. */
export class Router {
  private readonly tables: Omit<RoutingTables, 'directory'>;
  private readonly defaultStrategy: Strategy;
  readonly breakers: BreakerRegistry;
  readonly stats = new StatsRegistry();
  readonly health: Health;
  private readonly resolved = new Map<string, { plan: Plan; directory: ModelDirectory }>();

  constructor(private readonly config: RouterConfig) {
    const groups = new Map<string, GroupSpec>();
    for (const [name, entry] of Object.entries(config.models)) groups.set(name, groupSpec(entry, `config.models.${name}`));
    this.tables = {
      providers: config.providers,
      groups,
      fallbacks: new Map(Object.entries(config.fallbacks)),
      contextWindowFallbacks: new Map(Object.entries(config.contextWindowFallbacks)),
      contentPolicyFallbacks: new Map(Object.entries(config.contentPolicyFallbacks)),
    };
    this.defaultStrategy = resolveStrategy(config.strategy ?? 'fallback', 'config.routing.strategy');
    this.breakers = new BreakerRegistry(config.breaker);
    const { breakers, stats } = this;
    this.health = {
      admit: (id) => breakers.get(id).tryAcquire(Date.now()),
      admitRetry: (id) => breakers.get(id).acquireForRetry(Date.now()),
      openUntil: (id) => breakers.get(id).openDeadline(Date.now()),
      begin: (id) => stats.get(id).begin(),
      success: (id, latencyMs, sample) => {
        const now = Date.now();
        breakers.get(id).onSuccess(now);
        stats.get(id).recordSuccess({ latencyMs, stream: sample.stream, completionTokens: sample.completionTokens }, now);
      },
      failure: (id, admittedAs, error: ModelmuxError) => {
        breakers.get(id).onFailure(error, Date.now(), admittedAs);
        stats.get(id).recordFailure(Date.now());
      },
      // A budget refusal is an ignored impact: the breaker frees the probe slot and counts nothing.
      refused: (id, admittedAs, error: ModelmuxError) => void breakers.get(id).onFailure(error, Date.now(), admittedAs),
      hold: (id, untilMs) => breakers.get(id).openUntil(untilMs, Date.now()),
      headers: (id, header) => stats.get(id).recordRateLimitHeaders(header, Date.now()),
      streamEnd: (id, sample) => stats.get(id).recordStreamEnd(sample, Date.now()),
    };
  }

  /** Resolves, filters and orders the candidates of one request. */
  plan(
    params: ChatCompletionCreateParams,
    strategy: StrategyOption | undefined,
    directory: ModelDirectory,
  ): { plan: Plan; params: ChatCompletionCreateParams; inputTokens: number } {
    const resolved = this.resolve(params, directory);
    const inputTokens = this.config.estimateInputTokens(params);
    const needs = needsOf(params, inputTokens);
    const varied = applyVariant(resolved.variant, resolved, params, inputTokens + needs.maxOutputTokens, this.config.webSearch !== undefined);
    const eligible = filterEligible(varied.plan, needsOf(varied.params, inputTokens));
    const context: StrategyContext = {
      estimatedInputTokens: inputTokens,
      maxOutputTokens: needs.maxOutputTokens,
      stream: params.stream === true,
      stats: (id) => this.stats.get(id),
      random: Math.random,
      now: Date.now(),
    };
    const requested = strategy === undefined ? undefined : resolveStrategy(strategy, 'options.strategy');
    const order = (group: Plan['groups'][number]) => {
      const chosen = varied.order ?? requested ?? group.strategy ?? this.defaultStrategy;
      return group.deployments.length > 1 ? { ...group, deployments: chosen(group.deployments, context) } : group;
    };
    return {
      plan: {
        ...eligible,
        groups: eligible.groups.map(order),
        contextWindowFallbacks: eligible.contextWindowFallbacks.map(order),
        contentPolicyFallbacks: eligible.contentPolicyFallbacks.map(order),
      },
      params: varied.params,
      inputTokens,
    };
  }

  /**
   * Resolution depends only on the config and the catalog, not on the request's content: it is
   * cached per model id and fallback list (bounded, so arbitrary ids cannot grow it without limit).
   */
  private resolve(params: ChatCompletionCreateParams, directory: ModelDirectory): Plan {
    const key = params.models === undefined ? params.model : `${params.model}\n${params.models.join('\n')}`;
    const cached = this.resolved.get(key);
    if (cached !== undefined && cached.directory === directory) return cached.plan;
    const plan = resolvePlan(params, { ...this.tables, directory });
    if (this.resolved.size >= MAX_CACHED_PLANS) this.resolved.clear();
    this.resolved.set(key, { plan, directory });
    return plan;
  }

  snapshot(): Record<string, DeploymentHealth> {
    const now = Date.now();
    const out: Record<string, DeploymentHealth> = {};
    const stats = this.stats.snapshot();
    const ids = new Set([...Object.keys(stats), ...this.breakers.ids()]);
    for (const id of ids) {
      const s = stats[id];
      const breaker = this.breakers.get(id);
      out[id] = {
        inFlight: s?.inFlight ?? 0,
        latencyMs: s?.latencyMs,
        timeToFirstTokenMs: s?.ttftMs,
        successes: s?.successes ?? 0,
        failures: s?.failures ?? 0,
        consecutiveFailures: s?.consecutiveFailures ?? 0,
        breaker: breaker.state(now),
        openUntil: breaker.openDeadline(now),
      };
    }
    return out;
  }
}
