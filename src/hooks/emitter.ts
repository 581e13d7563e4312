import type { GatewayHooks, HookErrorEvent } from '../request/config.js';

type HookName = Exclude<keyof GatewayHooks, 'onHookError' | 'includeContent'>;
type EventOf<N extends HookName> = Parameters<NonNullable<GatewayHooks[N]>>[0];

/**
 * Calls the user's hooks safely: sync or async, a hook that throws or rejects never breaks a
 * request; each failing hook is reported once through `onHookError`.
 */
export class HookEmitter {
  private readonly reported = new Set<string>();

  constructor(private readonly hooks: GatewayHooks | undefined) {}

  /** Whether a hook is set (so callers build events only when someone listens). */
  has(name: HookName): boolean {
    return this.hooks?.[name] !== undefined;
  }

  get includeContent(): boolean {
    return this.hooks?.includeContent === true;
  }

  emit<N extends HookName>(name: N, event: EventOf<N>): void {
    const hook = this.hooks?.[name] as ((event: EventOf<N>) => unknown) | undefined;
    if (hook === undefined) return;
    try {
      const result = hook(event);
      if (result instanceof Promise) result.catch((error: unknown) => this.failed(name, error));
    } catch (error) {
      this.failed(name, error);
    }
  }

  private failed(name: string, error: unknown): void {
    if (this.reported.has(name)) return;
    this.reported.add(name);
    const report = this.hooks?.onHookError;
    if (report === undefined) return;
    try {
      const event: HookErrorEvent = { hook: name, error };
      const result = report(event) as unknown;
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // The error reporter itself failed: nothing more to tell.
    }
  }
}

let sequence = 0;
const prefix = Math.random().toString(36).slice(2, 8);

/** A request id for hook events and spans (not sent to providers). */
export function nextRequestId(): string {
  sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
  return `mmx_${prefix}_${sequence.toString(36)}`;
}
