import type { GatewayHooks } from '../request/config.js';

type HookName = Exclude<keyof GatewayHooks, 'includeContent'>;

/** Every lifecycle hook (checked below against `GatewayHooks`). */
export const HOOK_NAMES = [
  'onRequest',
  'onAttempt',
  'onAttemptEnd',
  'onResponse',
  'onError',
  'onHookError',
  'onWarning',
  'onSpend',
  'onBudgetThreshold',
  'onBudgetExceeded',
  'onRetry',
  'onFallback',
  'onCooldown',
] as const satisfies readonly HookName[];

// Fails to compile when GatewayHooks gains a hook this list does not forward.
const everyHookForwarded: [Exclude<HookName, (typeof HOOK_NAMES)[number]>] extends [never] ? true : false = true;
void everyHookForwarded;

type AnyHook = (event: unknown) => unknown;

/**
 * One set of hooks from several (`otelHooks()` plus your own, say): each hook calls every set's
 * hook of that name, in the order given. A hook that throws or rejects does not stop the others;
 * the first failure is passed on, so the gateway reports it through `onHookError` as usual.
 * `includeContent` is true when any set asks for it — then every set's events carry content.
 */
export function combineHooks(...hooks: GatewayHooks[]): GatewayHooks {
  const combined: GatewayHooks = {};
  if (hooks.some((set) => set.includeContent === true)) combined.includeContent = true;
  for (const name of HOOK_NAMES) {
    const handlers = hooks.map((set) => set[name] as AnyHook | undefined).filter((hook): hook is AnyHook => typeof hook === 'function');
    if (handlers.length === 0) continue;
    const call: AnyHook = (event) => {
      let failed = false;
      let failure: unknown;
      const pending: Promise<unknown>[] = [];
      for (const handler of handlers) {
        try {
          const result = handler(event);
          if (result instanceof Promise) pending.push(result);
        } catch (error) {
          if (!failed) {
            failed = true;
            failure = error;
          }
        }
      }
      if (pending.length === 0) {
        if (failed) throw failure;
        return undefined;
      }
      return Promise.allSettled(pending).then((results) => {
        if (failed) throw failure;
        const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (rejected !== undefined) throw rejected.reason;
      });
    };
    (combined as Record<HookName, AnyHook>)[name] = call;
  }
  return combined;
}
