import { AbortError, TimeoutError } from '../errors/classes.js';
import type { ErrorDetails } from '../errors/base.js';
import type { Abortable } from '../http/transport.js';

/**
 * An abort that costs nothing until something listens: `aborted`, `reason` and plain listener
 * functions, with a real `AbortSignal` made only when one is asked for (the fetch transport, a
 * web search). Node's `AbortController` and its event listeners cost microseconds per call.
 */
class AbortScope implements Abortable {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | undefined;
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Listeners run once, at the abort (`once` is implied). */
  addEventListener(_type: 'abort', listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.listeners;
    if (listeners === undefined) return;
    const at = listeners.lastIndexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }
}

/**
 * The lifetime of one `create` call: the caller's signal and the call's deadline (`timeoutMs`)
 * folded into one abort whose reason is a typed error. Each attempt links its own scope to it
 * (`link`), so an attempt can also be aborted alone (idle timeout, cancel).
 */
export class CallScope extends AbortScope {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly callerSignal: AbortSignal | undefined;
  private readonly onCallerAbort = (): void => this.abort(new AbortError(undefined, this.details()));
  readonly deadlineAt: number;
  /** The deployment being tried, stamped on the errors this scope creates. */
  current: { provider: string; model: string } | undefined;

  constructor(callerSignal: AbortSignal | undefined, private readonly timeoutMs: number) {
    super();
    this.deadlineAt = Date.now() + timeoutMs;
    this.callerSignal = callerSignal;
    if (callerSignal?.aborted) {
      this.abort(new AbortError());
      return;
    }
    callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.timer = setTimeout(() => {
      this.abort(new TimeoutError('deadline', `The call's deadline of ${this.timeoutMs} ms (timeoutMs) passed`, this.details()));
    }, timeoutMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  remainingMs(): number {
    return this.timer === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.deadlineAt - Date.now());
  }

  private details(): ErrorDetails {
    return this.current ? { provider: this.current.provider, model: this.current.model } : {};
  }

  override abort(reason: unknown): void {
    this.clearDeadline();
    super.abort(reason);
  }

  /** Stops the deadline (a stream's deadline ends at its first meaningful chunk); the caller's signal still applies. */
  clearDeadline(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** Releases the caller's signal and the timer. */
  dispose(): void {
    this.clearDeadline();
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  /** A scope for one attempt, aborted with this scope's reason when the scope aborts. */
  link(): AttemptController {
    return new AttemptController(this);
  }
}

/** One attempt's abort, linked to its call scope until `release`. */
export class AttemptController extends AbortScope {
  private readonly onParentAbort = (): void => this.abort(this.parent.reason);

  constructor(private readonly parent: Abortable) {
    super();
    if (parent.aborted) this.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  release(): void {
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}
