/**
 * Budget config validation and limit matching.
 *
 * A limit matches a request when every key of the limit's scope is in the request's scope, with
 * the same value or any value when the limit says `'*'`. The *member* is the request's values for
 * the limit's keys: `{ user: '*' }` and a request from `u_42` count on the member `user=u_42`.
 */
import { ValidationError, type ValidationIssue } from '../errors/classes.js';
import { array, func, is, number, object, oneOf, optional, record, refine, report, string, unknown, type Check, type Infer, type SameKeys } from '../request/check.js';
import { validate } from '../request/validate.js';
import { MAX_LIMIT_USD, usdToNanoUsd } from './money.js';
import type { BudgetPeriod } from './periods.js';
import type { BudgetConfig, BudgetLimit, BudgetScope, BudgetStore, DeploymentLimit } from './types.js';

const positiveInt = optional(number({ int: true, gt: 0 }));
const scopeSchema = record(string({ min: 1, message: "a scope value is a non-empty string (or '*')" }), string({ min: 1, message: 'a scope key is a non-empty string' }));

const limitShape = object({
  id: optional(string({ min: 1, max: 200 })),
  scope: scopeSchema,
  usd: optional(number({ min: 0, max: MAX_LIMIT_USD, maxMessage: `at most ${MAX_LIMIT_USD} USD` })),
  period: optional(oneOf(['day', 'week', 'month', 'total'])),
  rpm: positiveInt,
  tpm: positiveInt,
  maxParallel: positiveInt,
  models: optional(array(string({ min: 1 }), { min: 1 })),
});
const limitSchema: Check<BudgetLimit> = refine(limitShape, (limit, issues) => {
  if (limit.usd !== undefined && limit.period === undefined) report(issues, 'period', "required with usd: 'day', 'week', 'month' or 'total'");
  if (limit.period !== undefined && limit.usd === undefined) report(issues, 'usd', 'a period needs a usd amount');
  if (limit.usd === undefined && limit.rpm === undefined && limit.tpm === undefined && limit.maxParallel === undefined && limit.models === undefined) {
    report(issues, '', 'a limit needs usd (with period), rpm, tpm, maxParallel or models');
  }
});

const deploymentLimitShape = object({ rpm: positiveInt, tpm: positiveInt, maxParallel: positiveInt });
const deploymentLimitSchema: Check<DeploymentLimit> = refine(deploymentLimitShape, (d, issues) => {
  if (d.rpm === undefined && d.tpm === undefined && d.maxParallel === undefined) report(issues, '', 'needs rpm, tpm or maxParallel');
});

const isFunction = (value: unknown): boolean => typeof value === 'function';
const storeSchema = is<BudgetStore>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['reserve', 'finish', 'renew', 'read'].every((m) => isFunction((value as Record<string, unknown>)[m])) &&
    typeof (value as { leaseMs?: unknown }).leaseMs === 'number',
  'a budget store',
  'expected a budget store (memoryStore() or redisStore({ client }))',
);

const configShape = object({
  limits: array(unknown()),
  store: optional(storeSchema),
  onUnpriced: optional(oneOf(['reject', 'allow'])),
  onLimit: optional(oneOf(['reject', 'wait'])),
  thresholds: optional(array(number({ gt: 0, max: 1 }))),
  deploymentLimits: optional(record(deploymentLimitSchema, string({ min: 1 }))),
  now: optional(func<() => number>('expected a function returning epoch ms')),
});
/** Limits are checked one by one afterwards (`compileLimits`), to name duplicate ids too. */
const configSchema: Check<Omit<BudgetConfig, 'limits'> & { limits: unknown[] }> = configShape;

/** Compile-time: the strict checks allow exactly the fields of the public types. */
type Exact<T extends true> = T;
type CheckedFields = [
  Exact<SameKeys<Infer<typeof limitShape>, BudgetLimit>>,
  Exact<SameKeys<Infer<typeof deploymentLimitShape>, DeploymentLimit>>,
  Exact<SameKeys<Infer<typeof configShape>, BudgetConfig>>,
];

/** A validated limit, ready for matching. */
export interface CompiledLimit {
  id: string;
  scope: BudgetScope;
  /** Scope keys, sorted. */
  keys: string[];
  usdNano: bigint | undefined;
  usd: number | undefined;
  period: BudgetPeriod | undefined;
  rpm: number | undefined;
  tpm: number | undefined;
  maxParallel: number | undefined;
  models: string[] | undefined;
  /** Set for a `deploymentLimits` entry: matches only this deployment, whatever the scope. */
  deploymentId: string | undefined;
}

/** A limit matched by a request: the limit, its member string and resolved scope. */
export interface MatchedLimit {
  limit: CompiledLimit;
  member: string;
  scope: BudgetScope;
}

/** `team=product,user=*` (sorted), `global` for `{}`. */
export function canonicalScope(scope: BudgetScope): string {
  const keys = Object.keys(scope).sort();
  return keys.length === 0 ? 'global' : keys.map((k) => `${k}=${scope[k]}`).join(',');
}

/** The default id: the canonical scope, plus the period of a USD limit (`team=product/month`). */
export function defaultLimitId(limit: Pick<BudgetLimit, 'scope' | 'period' | 'usd'>): string {
  const base = canonicalScope(limit.scope);
  return limit.usd !== undefined && limit.period !== undefined ? `${base}/${limit.period}` : base;
}

function compileOne(raw: BudgetLimit): CompiledLimit {
  return {
    id: raw.id ?? defaultLimitId(raw),
    scope: { ...raw.scope },
    keys: Object.keys(raw.scope).sort(),
    usdNano: raw.usd === undefined ? undefined : usdToNanoUsd(raw.usd),
    usd: raw.usd,
    period: raw.period,
    rpm: raw.rpm,
    tpm: raw.tpm,
    maxParallel: raw.maxParallel,
    models: raw.models === undefined ? undefined : [...raw.models],
    deploymentId: undefined,
  };
}

/** Validates limits; errors name `budget.limits.N.field`. `offset` numbers limits appended to an existing list. */
export function compileLimits(limits: unknown, existingIds: ReadonlySet<string> = new Set(), offset = 0, root = 'budget.limits'): CompiledLimit[] {
  if (!Array.isArray(limits)) throw new ValidationError([{ path: root, message: 'expected an array of limits' }]);
  const issues: ValidationIssue[] = [];
  const compiled: CompiledLimit[] = [];
  const ids = new Set(existingIds);
  limits.forEach((raw, i) => {
    const path = `${root}.${offset + i}`;
    if (!validate(limitSchema, raw, path, issues)) return;
    const limit = compileOne(raw);
    if (ids.has(limit.id)) {
      issues.push({
        path: `${path}.id`,
        message: `duplicate limit id "${limit.id}"${raw.id === undefined ? ' (derived from scope and period; give each limit its own id)' : ''}`,
      });
      return;
    }
    ids.add(limit.id);
    compiled.push(limit);
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return compiled;
}

export interface ParsedBudgetConfig {
  limits: CompiledLimit[];
  deploymentLimits: Map<string, CompiledLimit>;
  store: BudgetStore | undefined;
  onUnpriced: 'reject' | 'allow';
  onLimit: 'reject' | 'wait';
  thresholds: number[];
  now: () => number;
}

/** Validates a whole `budget` config (errors name `budget.…`). */
export function parseBudgetConfig(config: unknown): ParsedBudgetConfig {
  const configIssues: ValidationIssue[] = [];
  if (!validate(configSchema, config, 'budget', configIssues)) throw new ValidationError(configIssues);
  const c = config;
  const limits = compileLimits(c.limits);
  const deploymentLimits = new Map<string, CompiledLimit>();
  for (const [deploymentId, d] of Object.entries(c.deploymentLimits ?? {}) as Array<[string, DeploymentLimit]>) {
    deploymentLimits.set(deploymentId, {
      id: `deployment:${deploymentId}`,
      scope: {},
      keys: [],
      usdNano: undefined,
      usd: undefined,
      period: undefined,
      rpm: d.rpm,
      tpm: d.tpm,
      maxParallel: d.maxParallel,
      models: undefined,
      deploymentId,
    });
  }
  return {
    limits,
    deploymentLimits,
    store: c.store,
    onUnpriced: c.onUnpriced ?? 'reject',
    onLimit: c.onLimit ?? 'reject',
    thresholds: [...new Set(c.thresholds ?? [0.8])].sort((a, b) => a - b),
    now: c.now ?? Date.now,
  };
}

/** The limit's member for this scope, or `undefined` when it does not match. */
export function matchLimit(limit: CompiledLimit, scope: BudgetScope): MatchedLimit | undefined {
  if (limit.keys.length === 0) return { limit, member: '-', scope: {} };
  const resolved: BudgetScope = {};
  const parts: string[] = [];
  for (const key of limit.keys) {
    const want = limit.scope[key] as string;
    const have = Object.hasOwn(scope, key) ? scope[key] : undefined;
    if (typeof have !== 'string' || have === '') return undefined;
    if (want !== '*' && want !== have) return undefined;
    resolved[key] = have;
    parts.push(`${key}=${have}`);
  }
  return { limit, member: parts.join(','), scope: resolved };
}

/** Every limit matching `scope`, in config order. */
export function matchLimits(limits: readonly CompiledLimit[], scope: BudgetScope): MatchedLimit[] {
  const out: MatchedLimit[] = [];
  for (const limit of limits) {
    const m = matchLimit(limit, scope);
    if (m !== undefined) out.push(m);
  }
  return out;
}

/** `models` entry → does it allow this deployment? Exact deployment or model id, or a `prefix*` glob on either. */
export function modelAllowed(patterns: readonly string[], deploymentId: string, model: string): boolean {
  for (const p of patterns) {
    if (p.endsWith('*')) {
      const prefix = p.slice(0, -1);
      if (deploymentId.startsWith(prefix) || model.startsWith(prefix)) return true;
    } else if (p === deploymentId || p === model) {
      return true;
    }
  }
  return false;
}
