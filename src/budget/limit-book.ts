import { compileLimits, parseBudgetConfig, type CompiledLimit, type ParsedBudgetConfig } from './limits.js';
import type { BudgetConfig, BudgetLimit } from './types.js';

/**
 * A gateway's validated budget config and its limits, changeable at run time. Kept apart from the
 * tracker so that `createGateway` validates the config and `mux.budget` edits limits synchronously
 * while the tracker itself loads with the first request.
 */
export class LimitBook {
  readonly config: Omit<ParsedBudgetConfig, 'limits'>;
  limits: CompiledLimit[];

  constructor(config: BudgetConfig) {
    const { limits, ...rest } = parseBudgetConfig(config);
    this.config = rest;
    this.limits = limits;
  }

  /** The configured limits (ids filled in). */
  list(): BudgetLimit[] {
    return this.limits.map((l) => {
      const out: BudgetLimit = { id: l.id, scope: { ...l.scope } };
      if (l.usd !== undefined) out.usd = l.usd;
      if (l.period !== undefined) out.period = l.period;
      if (l.rpm !== undefined) out.rpm = l.rpm;
      if (l.tpm !== undefined) out.tpm = l.tpm;
      if (l.maxParallel !== undefined) out.maxParallel = l.maxParallel;
      if (l.models !== undefined) out.models = [...l.models];
      return out;
    });
  }

  /** Replaces every limit. Counters are kept by limit id: a limit keeping its id keeps its spend. */
  set(limits: BudgetLimit[]): void {
    this.limits = compileLimits(limits);
  }

  /** Adds one limit (its id must be new). */
  add(limit: BudgetLimit): void {
    const [compiled] = compileLimits([limit], new Set(this.limits.map((l) => l.id)), this.limits.length);
    if (compiled !== undefined) this.limits = [...this.limits, compiled];
  }

  /** Removes the limit with this id; `false` when there is none. Its counters stay in the store until they expire. */
  remove(id: string): boolean {
    const before = this.limits.length;
    this.limits = this.limits.filter((l) => l.id !== id);
    return this.limits.length !== before;
  }
}
