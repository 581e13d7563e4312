import { AbortError, TimeoutError } from '../errors/classes.js';
import type { ErrorDetails } from '../errors/base.js';

/**
 * The lifetime of one `create` call: the caller's signal and the call's deadline (`timeoutMs`)
 * folded into one AbortSignal whose reason is a typed error. Each attempt links its own
 * controller to it (`link`), so an attempt can also be aborted alone (idle timeout, cancel).
 */
export class CallScope {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly callerSignal: AbortSignal | undefined;
  private readonly onCallerAbort = (): void => this.abort(new AbortError(undefined, this.details()));
  readonly deadlineAt: number;
  /** The deployment being tried, stamped on the errors this scope creates. */
  current: { provider: string; model: string } | undefined;

  constructor(callerSignal: AbortSignal | undefined, private readonly timeoutMs: number) {
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

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return this.timer === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.deadlineAt - Date.now());
  }

  private details(): ErrorDetails {
    return this.current ? { provider: this.current.provider, model: this.current.model } : {};
  }

  private abort(reason: Error): void {
    this.clearDeadline();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
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

  /** A controller for one attempt, aborted with this scope's reason when the scope aborts. */
  link(): AttemptController {
    return new AttemptController(this.controller.signal);
  }
}

/** One attempt's abort controller, linked to its call scope until `release`. */
export class AttemptController {
  private readonly controller = new AbortController();
  private readonly onParentAbort = (): void => this.abort(this.parent.reason as Error);

  constructor(private readonly parent: AbortSignal) {
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  release(): void {
    this.parent.removeEventListener('abort', this.onParentAbort);
  }
}
