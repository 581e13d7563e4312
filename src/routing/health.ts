import type { ModelmuxError } from '../errors/base.js';
import type { Admission } from './cooldown.js';

/** What the executor needs to know and tell about deployments' health (breakers and statistics). */
export interface Health {
  /** Whether an attempt may start now: `'closed'`, a half-open `'probe'`, or `false` (cooling down). */
  admit(id: string): Admission | false;
  /** The executor's own scheduled retry: admitted as the breaker's probe even before its deadline. */
  admitRetry(id: string): Admission;
  /** When a cooling deployment may be tried again (ms epoch), or `undefined` when it is not cooling. */
  openUntil(id: string): number | undefined;
  /** An attempt starts; the returned function ends it (idempotent). */
  begin(id: string): () => void;
  /** Any success after the deadline closes the breaker, so a success needs no admission. */
  success(id: string, latencyMs: number, sample: { completionTokens?: number; stream: boolean }): void;
  /** A failure; `admittedAs` tells the probe from a straggler admitted before a trip. */
  failure(id: string, admittedAs: Admission, error: ModelmuxError): void;
  /**
   * An admitted attempt refused before anything was sent (budget, local rate limit, model not
   * allowed): counts nowhere, but frees a half-open probe slot it held, or the deployment would
   * stay refused until the probe timeout.
   */
  refused(id: string, admittedAs: Admission, error: ModelmuxError): void;
  /** Response headers of an attempt (providers' rate-limit headers feed the `usage` strategy). */
  headers(id: string, header: (name: string) => string | null): void;
  /** A stream that completed: its generation time after the first token and its output tokens (`:nitro`). */
  streamEnd(id: string, sample: { generationMs: number; completionTokens: number }): void;
  /** Keeps a deployment out until `untilMs` (a retry-after beyond the retry cap); keeps the later deadline. */
  hold(id: string, untilMs: number): void;
}
