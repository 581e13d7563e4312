/**
 * The in-process budget store (the default). `reserve` is one synchronous function: it checks
 * every counter and then increments all of them, or none, with no `await` in between — JavaScript
 * runs it to completion, so concurrent requests cannot both pass a check (reliability-design 5.5).
 *
 * Counters: USD `{ spent, reserved }` per period key (dropped after the period ends), rpm/tpm as a
 * sliding 60 s log, maxParallel as the set of open reservations. Reservations carry a lease; one
 * that nobody settled before its deadline is booked at its estimate by the next `reserve`.
 */
import type {
  BudgetStore,
  CounterRefusal,
  CounterSpec,
  CounterState,
  StoreFinishOp,
  StoreFinishOutcome,
  StoreReserveOp,
  StoreReserveOutcome,
  ThresholdCrossing,
} from './types.js';

export interface MemoryStoreOptions {
  /** Lease of a reservation without renewal (the tracker renews open ones). Default 60 000. */
  leaseMs?: number;
}

const WINDOW_MS = 60_000;
const GC_EVERY_MS = 60_000;

interface UsdCounter {
  spent: bigint;
  reserved: bigint;
  expiresAt: number | null;
  marks: Set<bigint>;
}

interface WindowEntry {
  ts: number;
  tokens: number;
  removed: boolean;
  /** Left the window: no longer counted. */
  pruned: boolean;
}

/** A sliding 60 s log of admitted requests (and their tokens). */
class SlidingWindow {
  private entries: WindowEntry[] = [];
  private head = 0;
  count = 0;
  tokens = 0;

  prune(now: number): void {
    const entries = this.entries;
    while (this.head < entries.length) {
      const e = entries[this.head] as WindowEntry;
      if (e.ts + WINDOW_MS > now) break;
      e.pruned = true;
      if (!e.removed) {
        this.count--;
        this.tokens -= e.tokens;
      }
      this.head++;
    }
    if (this.head > 256 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
  }

  add(ts: number, tokens: number): WindowEntry {
    const e: WindowEntry = { ts, tokens, removed: false, pruned: false };
    this.entries.push(e);
    this.count++;
    this.tokens += tokens;
    return e;
  }

  remove(e: WindowEntry): void {
    if (e.removed) return;
    e.removed = true;
    if (e.pruned) return;
    this.count--;
    this.tokens -= e.tokens;
  }

  setTokens(e: WindowEntry, tokens: number): void {
    if (e.removed) return;
    if (!e.pruned) this.tokens += tokens - e.tokens;
    e.tokens = tokens;
  }

  /** Ms until `count + 1 ≤ limit` (rpm) or `tokens + need ≤ limit` (tpm); undefined when never. */
  retryAfter(now: number, kind: 'rpm' | 'tpm', limit: number, need: number): number | undefined {
    if (kind === 'tpm' && need > limit) return undefined;
    let count = this.count;
    let tokens = this.tokens;
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i] as WindowEntry;
      if (e.removed) continue;
      count--;
      tokens -= e.tokens;
      if (kind === 'rpm' ? count + 1 <= limit : tokens + need <= limit) return Math.max(1, e.ts + WINDOW_MS - now);
    }
    return WINDOW_MS;
  }

  empty(): boolean {
    return this.count === 0;
  }
}

interface HeldReservation {
  counters: CounterSpec[];
  leaseUntil: number;
  /** Window entries by counter index (rpm and tpm counters). */
  entries: Map<number, WindowEntry>;
}

/** Creates an in-process budget store (the default when `budget.store` is not set). */
export function memoryStore(options: MemoryStoreOptions = {}): BudgetStore & { readonly size: { reservations: number; counters: number } } {
  const leaseMs = options.leaseMs ?? 60_000;
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError('memoryStore: leaseMs must be a positive number');

  const usd = new Map<string, UsdCounter>();
  const windows = new Map<string, SlidingWindow>();
  const parallel = new Map<string, Set<string>>();
  const reservations = new Map<string, HeldReservation>();
  let nextSweepAt = Number.POSITIVE_INFINITY;
  let nextGcAt = 0;

  function usdCounter(key: string, expiresAt: number | null): UsdCounter {
    let c = usd.get(key);
    if (c === undefined) {
      c = { spent: 0n, reserved: 0n, expiresAt, marks: new Set() };
      usd.set(key, c);
    }
    return c;
  }

  function windowFor(key: string): SlidingWindow {
    let w = windows.get(key);
    if (w === undefined) {
      w = new SlidingWindow();
      windows.set(key, w);
    }
    return w;
  }

  function finishHeld(id: string, held: HeldReservation, op: StoreFinishOp): ThresholdCrossing[] {
    reservations.delete(id);
    const crossed: ThresholdCrossing[] = [];
    held.counters.forEach((spec, index) => {
      switch (spec.kind) {
        case 'usd': {
          const c = usdCounter(spec.key, spec.expiresAt);
          c.reserved -= spec.amount;
          if (op.mode === 'release') break;
          c.spent += op.mode === 'settle' ? op.amount : spec.amount;
          for (const t of spec.thresholds) {
            if (c.spent >= t && !c.marks.has(t)) {
              c.marks.add(t);
              crossed.push({ key: spec.key, threshold: t, spent: c.spent });
            }
          }
          break;
        }
        case 'rpm':
        case 'tpm': {
          const e = held.entries.get(index);
          const w = windows.get(spec.key);
          if (e === undefined || w === undefined) break;
          if (op.mode === 'release') w.remove(e);
          else if (op.mode === 'settle' && spec.kind === 'tpm') w.setTokens(e, Math.max(0, op.tokens));
          break;
        }
        case 'parallel':
          parallel.get(spec.key)?.delete(id);
          break;
      }
    });
    return crossed;
  }

  function sweep(now: number): void {
    if (now >= nextSweepAt) {
      let next = Number.POSITIVE_INFINITY;
      for (const [id, held] of reservations) {
        if (held.leaseUntil <= now) finishHeld(id, held, { id, now, mode: 'estimate', amount: 0n, tokens: 0 });
        else if (held.leaseUntil < next) next = held.leaseUntil;
      }
      nextSweepAt = next;
    }
    if (now >= nextGcAt) {
      nextGcAt = now + GC_EVERY_MS;
      for (const [key, c] of usd) if (c.expiresAt !== null && c.expiresAt <= now && c.reserved === 0n) usd.delete(key);
      for (const [key, w] of windows) {
        w.prune(now);
        if (w.empty()) windows.delete(key);
      }
      for (const [key, s] of parallel) if (s.size === 0) parallel.delete(key);
    }
  }

  const store = {
    kind: 'memory',
    leaseMs,

    reserve(op: StoreReserveOp): StoreReserveOutcome {
      const { now, counters } = op;
      sweep(now);
      if (reservations.has(op.id)) return { ok: true };
      // Check every counter first…
      let refusals: CounterRefusal[] | undefined;
      for (let index = 0; index < counters.length; index++) {
        const spec = counters[index] as CounterSpec;
        switch (spec.kind) {
          case 'usd': {
            const c = usd.get(spec.key);
            const spent = c?.spent ?? 0n;
            const reserved = c?.reserved ?? 0n;
            if (spec.amount > spec.limit - spent - reserved) (refusals ??= []).push({ index, spent, reserved });
            break;
          }
          case 'rpm':
          case 'tpm': {
            const w = windows.get(spec.key);
            w?.prune(now);
            const need = spec.kind === 'tpm' ? spec.tokens : 1;
            const used = spec.kind === 'tpm' ? (w?.tokens ?? 0) : (w?.count ?? 0);
            if (used + need > spec.limit) {
              const refusal: CounterRefusal = { index };
              const after = w === undefined ? (need > spec.limit ? undefined : WINDOW_MS) : w.retryAfter(now, spec.kind, spec.limit, need);
              if (after !== undefined) refusal.retryAfterMs = after;
              (refusals ??= []).push(refusal);
            }
            break;
          }
          case 'parallel': {
            const s = parallel.get(spec.key);
            if ((s?.size ?? 0) + 1 > spec.limit) (refusals ??= []).push({ index });
            break;
          }
        }
      }
      if (refusals !== undefined) return { ok: false, refusals };
      // …then increment all of them.
      const held: HeldReservation = { counters, leaseUntil: op.leaseUntil, entries: new Map() };
      for (let index = 0; index < counters.length; index++) {
        const spec = counters[index] as CounterSpec;
        switch (spec.kind) {
          case 'usd':
            usdCounter(spec.key, spec.expiresAt).reserved += spec.amount;
            break;
          case 'rpm':
            held.entries.set(index, windowFor(spec.key).add(now, 0));
            break;
          case 'tpm':
            held.entries.set(index, windowFor(spec.key).add(now, spec.tokens));
            break;
          case 'parallel': {
            let s = parallel.get(spec.key);
            if (s === undefined) {
              s = new Set();
              parallel.set(spec.key, s);
            }
            s.add(op.id);
            break;
          }
        }
      }
      reservations.set(op.id, held);
      if (op.leaseUntil < nextSweepAt) nextSweepAt = op.leaseUntil;
      return { ok: true };
    },

    finish(op: StoreFinishOp): StoreFinishOutcome {
      sweep(op.now);
      const held = reservations.get(op.id);
      if (held === undefined) return { applied: false, crossed: [] };
      return { applied: true, crossed: finishHeld(op.id, held, op) };
    },

    renew(ids: string[], leaseUntil: number): void {
      for (const id of ids) {
        const held = reservations.get(id);
        if (held !== undefined && leaseUntil > held.leaseUntil) held.leaseUntil = leaseUntil;
      }
    },

    read(keys: string[]): CounterState[] {
      return keys.map((key) => {
        const c = usd.get(key);
        return { spent: c?.spent ?? 0n, reserved: c?.reserved ?? 0n };
      });
    },

    get size() {
      return { reservations: reservations.size, counters: usd.size + windows.size + parallel.size };
    },
  };
  return store;
}
