import { type AttemptRecord, ModelmuxError, retryAfterMsOf } from '../errors/base.js';
import { InvalidResponseError, ModelNotAllowedError, NoRouteError, type SkippedCandidate } from '../errors/classes.js';
import type { CallScope } from './call-scope.js';
import type { Admission } from './cooldown.js';
import type { Health } from './health.js';
import type { Group, Plan, RoutedDeployment } from './plan.js';
import { backoffDelay, type RetryPolicy, sleep } from './retry.js';

/** What the executor reports as it decides (the hooks are built on these). */
export interface ExecutorEvents {
  onAttempt?(deployment: RoutedDeployment, attempt: number): void;
  onAttemptEnd?(deployment: RoutedDeployment, attempt: number, durationMs: number, error: ModelmuxError | undefined): void;
  onRetry?(event: { provider: string; model: string; attempt: number; delayMs: number; error: ModelmuxError }): void;
  onFallback?(event: { from: string; to: string; reason: string; error?: ModelmuxError }): void;
  onCooldown?(event: { provider: string; model: string; untilMs: number; error: ModelmuxError }): void;
}

export interface ExecutorOptions extends ExecutorEvents {
  policy: RetryPolicy;
  /** Attempts across the whole request (all groups). */
  maxAttempts: number;
  /** A `retry-after` longer than this moves to the next group at once when there is one. */
  preferFallbackAfterMs: number;
  /** When every candidate is cooling down, wait for the soonest if it is at most this long. */
  maxCooldownWaitMs: number;
  scope: CallScope;
  health: Health;
}

/** Errors that retrying the same deployment cannot fix, but another deployment or model may. */
const MOVE_ON_CODES: ReadonlySet<string> = new Set([
  'authentication_error',
  'permission_error',
  'not_found',
  'quota_exceeded',
  'context_window_exceeded',
  'content_policy',
]);

/** Budget decisions, taken before sending: never counted as attempts or against a deployment. */
const BUDGET_CODES: ReadonlySet<string> = new Set(['budget_exceeded', 'budget_store_unavailable', 'local_rate_limit']);

/** Never fall back: the caller's abort, bad input, budget decisions, the caller's own deadline. */
function isTerminal(error: ModelmuxError): boolean {
  switch (error.code) {
    case 'aborted':
    case 'validation_error':
    case 'bad_request':
    case 'budget_exceeded':
    case 'budget_store_unavailable':
    case 'local_rate_limit':
      return true;
    case 'timeout':
      return (error as { timeout?: string }).timeout === 'deadline';
    default:
      return false;
  }
}

/** Anything that is not already typed (a mapping bug on a malformed answer) becomes InvalidResponseError. */
function toTyped(error: unknown, deployment: RoutedDeployment): ModelmuxError {
  if (ModelmuxError.isInstance(error)) return error;
  return new InvalidResponseError(`Could not map the answer of ${deployment.provider}: ${error instanceof Error ? error.message : String(error)}`, {
    provider: deployment.provider,
    model: deployment.model,
    cause: error,
  });
}

/** Ends a group: `next` says which chain the request continues with. */
class GroupExhausted {
  constructor(
    readonly error: ModelmuxError | undefined,
    readonly next: 'fallbacks' | 'context' | 'content' | 'stop',
  ) {}
}

/**
 * Runs a routing plan (DESIGN section 4): the primary group, then fallback groups. Inside a group,
 * equivalent deployments are interchangeable: a retryable failure moves to the next healthy one
 * at once; only when none is left is a deployment retried, after `retry-after` or backoff.
 * Errors retrying cannot fix move to the next deployment, and then to the next group (a context
 * window error to `contextWindowFallbacks`, a content-policy error to `contentPolicyFallbacks`
 * first). The caller's abort, bad input and budget rejections end the request at once.
 */
export class Executor<T> {
  private readonly attempts: AttemptRecord[] = [];
  private readonly skipped: SkippedCandidate[] = [];
  private lastError: ModelmuxError | undefined;
  /** Time this call spent waiting for cooling deployments (bounded by `maxCooldownWaitMs`). */
  private cooldownWaitedMs = 0;
  /** Attempts started at providers, successful ones included. */
  attemptCount = 0;

  constructor(
    private readonly plan: Plan,
    private readonly run: (deployment: RoutedDeployment) => Promise<T>,
    private readonly options: ExecutorOptions,
    private readonly sample: (result: T) => { completionTokens?: number; stream: boolean },
  ) {}

  async execute(): Promise<T> {
    const { plan } = this;
    this.skipped.push(...plan.skipped);
    const queue: Group[] = [...plan.groups];
    let index = 0;
    let usedContext = false;
    let usedContent = false;
    while (index < queue.length) {
      const group = queue[index++]!;
      const outcome = await this.runGroup(group, index < queue.length);
      if (!(outcome instanceof GroupExhausted)) return outcome;
      if (outcome.next === 'stop') break;
      let chain: Group[] = [];
      if (outcome.next === 'context' && !usedContext) {
        usedContext = true;
        chain = plan.contextWindowFallbacks;
      } else if (outcome.next === 'content' && !usedContent) {
        usedContent = true;
        chain = plan.contentPolicyFallbacks;
      }
      if (chain.length > 0) queue.splice(index, 0, ...chain);
      const to = queue[index];
      if (to !== undefined) this.options.onFallback?.({ from: group.label, to: to.label, reason: outcome.error?.code ?? 'no_route', ...(outcome.error ? { error: outcome.error } : {}) });
    }
    throw this.finalError();
  }

  private finalError(): ModelmuxError {
    const error = this.lastError;
    if (error !== undefined && this.attempts.length === 0 && BUDGET_CODES.has(error.code)) return error;
    if (error === undefined || this.attempts.length === 0) {
      const soonest = this.soonestRecovery();
      return new NoRouteError(
        this.skipped.length > 0
          ? `No candidate could be tried: ${this.skipped.map((s) => `${s.provider}/${s.model} (${s.reason})`).join('; ')}`
          : 'No candidate could be tried',
        { skipped: this.skipped, ...(soonest === undefined ? {} : { retryAfterMs: Math.max(0, soonest - Date.now()) }) },
      );
    }
    error.attempts = this.attempts;
    return error;
  }

  private soonestRecovery(): number | undefined {
    let soonest: number | undefined;
    for (const group of this.plan.groups) {
      for (const deployment of group.deployments) {
        const until = this.options.health.openUntil(deployment.id);
        if (until !== undefined && (soonest === undefined || until < soonest)) soonest = until;
      }
    }
    return soonest;
  }

  private async attempt(deployment: RoutedDeployment, admittedAs: Admission): Promise<{ ok: true; value: T } | { ok: false; error: ModelmuxError }> {
    const { scope, health } = this.options;
    scope.current = deployment;
    const end = health.begin(deployment.id);
    const started = Date.now();
    const number = ++this.attemptCount;
    this.options.onAttempt?.(deployment, number);
    try {
      const value = await this.run(deployment);
      const sample = this.sample(value);
      const durationMs = Date.now() - started;
      health.success(deployment.id, durationMs, sample);
      this.options.onAttemptEnd?.(deployment, number, durationMs, undefined);
      return { ok: true, value };
    } catch (raw) {
      const error = toTyped(raw, deployment);
      this.options.onAttemptEnd?.(deployment, number, Date.now() - started, error);
      if (BUDGET_CODES.has(error.code)) {
        // Refused before anything was sent: not a provider attempt, and no sign of the deployment's health
        // (but a half-open probe slot this attempt took must be given back).
        this.attemptCount--;
        health.refused(deployment.id, admittedAs, error);
        this.lastError = error;
        return { ok: false, error };
      }
      this.attempts.push({
        provider: deployment.provider,
        model: deployment.model,
        code: error.code,
        ...(error.status === undefined ? {} : { status: error.status }),
        durationMs: Date.now() - started,
      });
      this.lastError = error;
      health.failure(deployment.id, admittedAs, error);
      return { ok: false, error };
    } finally {
      end();
    }
  }

  private async runGroup(group: Group, hasNextGroup: boolean): Promise<T | GroupExhausted> {
    const { options } = this;
    const { policy, scope, health } = options;
    const retries = new Map<string, number>();
    const done = new Set<string>();
    /** Deployments that failed since the last wait: the next pick avoids them while another is healthy. */
    let failedThisRound = new Set<string>();
    /**
     * Deployments this executor chose to retry after its own wait: they are admitted even if their
     * breaker opened on that very failure (a 429 opens it), or a single deployment could never be retried.
     */
    let retrying: ReadonlySet<string> = new Set<string>();
    let lastGroupError: ModelmuxError | undefined;
    for (;;) {
      if (scope.aborted) throw scope.reason;
      if (this.attempts.length >= options.maxAttempts) {
        return new GroupExhausted(lastGroupError, 'stop');
      }
      const live = group.deployments.filter((d) => !done.has(d.id));
      if (live.length === 0) return new GroupExhausted(lastGroupError, 'fallbacks');
      const picked = this.pick(live, failedThisRound, retrying);
      retrying = new Set();
      if (picked === undefined) {
        // Every live candidate is cooling down, or failed this round.
        const wait = this.waitForRecovery(live, failedThisRound, retries, lastGroupError, hasNextGroup);
        if (wait === undefined) return new GroupExhausted(lastGroupError, 'fallbacks');
        if (failedThisRound.size > 0 && lastGroupError !== undefined) {
          const failed = group.deployments.find((d) => failedThisRound.has(d.id)) ?? live[0]!;
          options.onRetry?.({ provider: failed.provider, model: failed.model, attempt: retries.get(failed.id) ?? 1, delayMs: wait, error: lastGroupError });
        }
        if (wait > 0) await sleep(wait, scope);
        retrying = failedThisRound;
        failedThisRound = new Set();
        continue;
      }
      const pick = picked.deployment;
      const result = await this.attempt(pick, picked.admittedAs);
      if (result.ok) return result.value;
      const error = result.error;
      lastGroupError = error;
      if (error instanceof ModelNotAllowedError) {
        // This scope may not use this deployment; another candidate may be allowed.
        done.add(pick.id);
        this.skipped.push({ provider: pick.provider, model: pick.model, reason: 'model not allowed for this scope' });
        continue;
      }
      if (isTerminal(error) || scope.aborted) throw this.finalErrorFor(error);
      if (MOVE_ON_CODES.has(error.code) || !error.retryable) {
        done.add(pick.id);
        if (error.code === 'context_window_exceeded' && this.plan.contextWindowFallbacks.length > 0) return new GroupExhausted(error, 'context');
        if (error.code === 'content_policy' && this.plan.contentPolicyFallbacks.length > 0) return new GroupExhausted(error, 'content');
        continue;
      }
      const used = (retries.get(pick.id) ?? 0) + 1;
      retries.set(pick.id, used);
      const hinted = retryAfterMsOf(error);
      if (hinted !== undefined && hinted > policy.maxRetryAfterMs) {
        // Not worth sleeping on: this deployment is out until then.
        health.hold(pick.id, Date.now() + hinted);
        // The breaker caps a hint (5 minutes by default): report the deadline it actually holds.
        const until = health.openUntil(pick.id) ?? Date.now() + hinted;
        options.onCooldown?.({ provider: pick.provider, model: pick.model, untilMs: until, error });
        done.add(pick.id);
        continue;
      }
      if (used > policy.maxRetries) done.add(pick.id);
      failedThisRound.add(pick.id);
      if (hinted !== undefined && hinted > options.preferFallbackAfterMs && hasNextGroup && !this.hasHealthyOther(group, done, failedThisRound)) {
        // A long wait here; another model is ready now.
        return new GroupExhausted(error, 'fallbacks');
      }
    }
  }

  private finalErrorFor(error: ModelmuxError): ModelmuxError {
    error.attempts = this.attempts;
    return error;
  }

  /** The first candidate, in strategy order, that did not fail this round and whose breaker admits it. */
  private pick(
    live: readonly RoutedDeployment[],
    failedThisRound: ReadonlySet<string>,
    retrying: ReadonlySet<string>,
  ): { deployment: RoutedDeployment; admittedAs: Admission } | undefined {
    for (const deployment of live) {
      if (failedThisRound.has(deployment.id)) continue;
      if (retrying.has(deployment.id)) return { deployment, admittedAs: this.options.health.admitRetry(deployment.id) };
      const admittedAs = this.options.health.admit(deployment.id);
      if (admittedAs !== false) return { deployment, admittedAs };
      if (!this.skipped.some((s) => s.provider === deployment.provider && s.model === deployment.model)) {
        this.skipped.push({ provider: deployment.provider, model: deployment.model, reason: 'cooling down' });
      }
    }
    return undefined;
  }

  private hasHealthyOther(group: Group, done: ReadonlySet<string>, failedThisRound: ReadonlySet<string>): boolean {
    return group.deployments.some((d) => !done.has(d.id) && !failedThisRound.has(d.id) && this.options.health.openUntil(d.id) === undefined);
  }

  /**
   * How long to wait before trying this group again, or `undefined` to leave it: after a round of
   * failures, the retry-after or backoff of the last failure; when everything is cooling down,
   * the soonest recovery if it is short and fits the deadline.
   */
  private waitForRecovery(
    live: readonly RoutedDeployment[],
    failedThisRound: ReadonlySet<string>,
    retries: ReadonlyMap<string, number>,
    lastError: ModelmuxError | undefined,
    hasNextGroup: boolean,
  ): number | undefined {
    const { options } = this;
    const remaining = options.scope.remainingMs();
    if (failedThisRound.size > 0 && lastError !== undefined) {
      const hinted = retryAfterMsOf(lastError);
      let attempt = 1;
      for (const id of failedThisRound) attempt = Math.max(attempt, retries.get(id) ?? 1);
      const wait = hinted ?? backoffDelay(attempt, options.policy);
      if (hinted !== undefined && hinted > options.preferFallbackAfterMs && hasNextGroup) return undefined;
      return wait < remaining ? wait : undefined;
    }
    const now = Date.now();
    let soonest = Number.POSITIVE_INFINITY;
    for (const deployment of live) {
      const until = options.health.openUntil(deployment.id);
      if (until !== undefined) soonest = Math.min(soonest, until);
    }
    if (!Number.isFinite(soonest)) return undefined;
    const wait = Math.max(0, soonest - now);
    if (hasNextGroup && wait > 0) return undefined;
    // maxCooldownWaitMs bounds all the waiting of one call for cooling deployments, not each wait.
    if (this.cooldownWaitedMs + wait > options.maxCooldownWaitMs || wait >= remaining) return undefined;
    this.cooldownWaitedMs += wait;
    return wait;
  }
}
