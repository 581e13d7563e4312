/**
 * The Redis budget store (`modelmux/redis`): many processes share one budget.
 *
 *   budget: { store: redisStore({ client }), limits }
 *
 * `client` is the user's own connected client: `ioredis` (v5+, `Redis` or `Cluster`) or `redis`
 * (node-redis v4+). Every operation is one Lua script (`EVALSHA`, loaded on `NOSCRIPT`), so the
 * check and the increment are one atomic step shared by every process (reliability-design 5.5,
 * lessons 1, 2 and 6). All keys share the hash tag `{prefix}`, so a Redis Cluster keeps them in one
 * slot. A store that does not answer within `timeoutMs` fails closed with
 * `BudgetStoreUnavailableError`, unless `failOpen`: then the request is admitted against a
 * per-process memory store (a local cap: each process can spend up to the limit on its own while
 * Redis is away), a warning is reported, and the spend is written to Redis once it answers.
 */
import { createHash } from 'node:crypto';
import { BudgetStoreUnavailableError } from '../errors/classes.js';
import { memoryStore } from './memory-store.js';
import { FINISH_SCRIPT, READ_SCRIPT, RECORD_SCRIPT, RENEW_SCRIPT, RESERVE_SCRIPT } from './redis-scripts.js';
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

export interface RedisStoreOptions {
  /** A connected `ioredis` client (or Cluster) or a node-redis v4+ client (`createClient()` after `connect()`). */
  client: unknown;
  /** Key prefix, used as the hash tag: keys are `{prefix}:…`. Default `modelmux:budget`. */
  prefix?: string;
  /** Lease of a reservation without renewal (the tracker renews open ones). Default 60 000. */
  leaseMs?: number;
  /** An answer slower than this is "unreachable". Default 2 000. */
  timeoutMs?: number;
  /** Admit requests while Redis is unreachable (against a per-process cap, with a warning). Default `false`: fail closed. */
  failOpen?: boolean;
}

interface Driver {
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  scriptLoad(script: string): Promise<unknown>;
}

type AnyFn = (...args: unknown[]) => Promise<unknown>;

/** ioredis: `evalsha(sha, numKeys, ...keys, ...args)`, `script('LOAD', src)`; node-redis: `evalSha(sha, { keys, arguments })`, `scriptLoad(src)`. */
function driverFor(client: unknown): Driver {
  if (typeof client !== 'object' || client === null) throw new TypeError('redisStore: `client` must be an ioredis or node-redis client');
  const c = client as Record<string, unknown>;
  if (typeof c.evalSha === 'function' && typeof c.scriptLoad === 'function') {
    const evalSha = (c.evalSha as AnyFn).bind(client);
    const evalFn = (c.eval as AnyFn).bind(client);
    const scriptLoad = (c.scriptLoad as AnyFn).bind(client);
    return {
      evalsha: (sha, keys, args) => evalSha(sha, { keys, arguments: args }),
      eval: (script, keys, args) => evalFn(script, { keys, arguments: args }),
      scriptLoad: (script) => scriptLoad(script),
    };
  }
  if (typeof c.evalsha === 'function' && typeof c.script === 'function') {
    const evalsha = (c.evalsha as AnyFn).bind(client);
    const evalFn = (c.eval as AnyFn).bind(client);
    const script = (c.script as AnyFn).bind(client);
    return {
      evalsha: (sha, keys, args) => evalsha(sha, keys.length, ...keys, ...args),
      eval: (src, keys, args) => evalFn(src, keys.length, ...keys, ...args),
      scriptLoad: (src) => script('LOAD', src),
    };
  }
  throw new TypeError('redisStore: `client` is neither an ioredis client (evalsha, script) nor a node-redis client (evalSha, scriptLoad)');
}

class Script {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && /^NOSCRIPT\b/.test(error.message);
}

const REMEMBER_MS = 10 * 60_000;

function asStrings(reply: unknown): string[] {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected Redis reply ${typeof reply}`);
  return reply.map((v) => (typeof v === 'string' ? v : v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)));
}

/** A Redis-backed budget store shared by every process using the same Redis and prefix. */
export function redisStore(options: RedisStoreOptions): BudgetStore {
  const driver = driverFor(options.client);
  const prefix = options.prefix ?? 'modelmux:budget';
  if (prefix === '' || /[{}]/.test(prefix)) throw new TypeError('redisStore: `prefix` must be non-empty and contain no braces (it is the hash tag)');
  const leaseMs = options.leaseMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError('redisStore: leaseMs must be a positive number');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('redisStore: timeoutMs must be a positive number');
  const failOpen = options.failOpen ?? false;

  const tag = `{${prefix}}`;
  const leasesKey = `${tag}:leases`;
  const resKey = `${tag}:res`;
  const doneKey = `${tag}:done`;
  const k = (key: string): string => `${tag}:${key}`;

  const scripts = {
    reserve: new Script(RESERVE_SCRIPT),
    finish: new Script(FINISH_SCRIPT),
    renew: new Script(RENEW_SCRIPT),
    read: new Script(READ_SCRIPT),
    record: new Script(RECORD_SCRIPT),
  };

  function withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BudgetStoreUnavailableError(`Redis did not answer within ${timeoutMs} ms`, { store: 'redis' })), timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  // One SCRIPT LOAD at a time per script, however many calls met NOSCRIPT together.
  const loading = new Map<Script, Promise<unknown>>();
  function load(script: Script): Promise<unknown> {
    let pending = loading.get(script);
    if (pending === undefined) {
      pending = driver.scriptLoad(script.source).finally(() => loading.delete(script));
      loading.set(script, pending);
    }
    return pending;
  }

  async function run(script: Script, keys: string[], args: string[]): Promise<unknown> {
    const attempt = async (): Promise<unknown> => {
      try {
        return await driver.evalsha(script.sha, keys, args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
      }
      // Not cached on this server (restart, flush, another cluster node): load, then retry; EVAL as the last resort.
      await load(script);
      try {
        return await driver.evalsha(script.sha, keys, args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return driver.eval(script.source, keys, args);
      }
    };
    try {
      return await withTimeout(Promise.resolve().then(attempt));
    } catch (error) {
      if (error instanceof BudgetStoreUnavailableError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new BudgetStoreUnavailableError(`Redis budget store unavailable: ${message}`, { store: 'redis', cause: error });
    }
  }

  // Fail-open state: a per-process fallback and the requests it admitted.
  const local = failOpen ? memoryStore({ leaseMs }) : undefined;
  const degraded = new Map<string, { counters: CounterSpec[]; localDone: boolean; amount: bigint | undefined }>();

  /**
   * A request admitted while Redis was away: its reserve may still reach Redis later (a queued
   * command), so release that id there first (a no-op, remembered, when it never arrived), then
   * record the spend once (idempotent under its own marker).
   */
  async function finishDegraded(id: string, counters: CounterSpec[], amount: bigint, now: number): Promise<void> {
    await run(scripts.finish, [leasesKey, resKey, doneKey], [String(now), id, 'release', '0', '0', String(now + REMEMBER_MS)]);
    const usd = counters.filter((c): c is Extract<CounterSpec, { kind: 'usd' }> => c.kind === 'usd');
    if (usd.length === 0 || amount === 0n) return;
    await run(
      scripts.record,
      [doneKey, ...usd.map((c) => k(c.key))],
      [`record:${id}`, amount.toString(), String(now + REMEMBER_MS), ...usd.map((c) => String(c.expiresAt ?? 0))],
    );
  }

  return {
    kind: 'redis',
    leaseMs,

    async reserve(op: StoreReserveOp): Promise<StoreReserveOutcome> {
      const keys = [leasesKey, resKey, doneKey, ...op.counters.map((c) => k(c.key))];
      const specs = op.counters.map((c) => {
        switch (c.kind) {
          case 'usd':
            return { k: 'usd', l: c.limit.toString(), a: c.amount.toString(), e: String(c.expiresAt ?? 0), t: c.thresholds.map(String) };
          case 'rpm':
            return { k: 'rpm', l: String(c.limit) };
          case 'tpm':
            return { k: 'tpm', l: String(c.limit), n: String(Math.max(0, Math.ceil(c.tokens))) };
          case 'parallel':
            return { k: 'par', l: String(c.limit) };
        }
      });
      let reply: string[];
      try {
        reply = asStrings(await run(scripts.reserve, keys, [String(op.now), op.id, String(op.leaseUntil), JSON.stringify(specs)]));
      } catch (error) {
        if (local === undefined) throw error;
        const outcome = local.reserve(op) as StoreReserveOutcome;
        if (!outcome.ok) return outcome;
        degraded.set(op.id, { counters: op.counters, localDone: false, amount: undefined });
        const reason = error instanceof Error ? error.message : String(error);
        return { ok: true, warning: `Redis budget store unreachable (${reason}); admitted against this process's local counters (failOpen)` };
      }
      if (reply[0] === 'ok') return { ok: true };
      if (reply[0] === 'cancelled') throw new BudgetStoreUnavailableError(`reservation ${op.id} was cancelled before Redis ran it`, { store: 'redis' });
      const refusals: CounterRefusal[] = [];
      for (let i = 1; i + 3 < reply.length; i += 4) {
        const refusal: CounterRefusal = { index: Number(reply[i]) };
        const spent = reply[i + 1];
        const reserved = reply[i + 2];
        const after = reply[i + 3];
        if (spent) refusal.spent = BigInt(spent);
        if (reserved) refusal.reserved = BigInt(reserved);
        if (after) refusal.retryAfterMs = Number(after);
        refusals.push(refusal);
      }
      return { ok: false, refusals };
    },

    async finish(op: StoreFinishOp): Promise<StoreFinishOutcome> {
      const held = degraded.get(op.id);
      if (held !== undefined && local !== undefined) {
        if (!held.localDone) {
          local.finish(op);
          held.localDone = true;
          const usd = held.counters.find((c) => c.kind === 'usd');
          const reservedAmount = usd?.kind === 'usd' ? usd.amount : 0n;
          held.amount = op.mode === 'release' ? 0n : op.mode === 'settle' ? op.amount : reservedAmount;
        }
        await finishDegraded(op.id, held.counters, held.amount ?? 0n, op.now);
        degraded.delete(op.id);
        // Thresholds are not reported for spend counted while Redis was away (the local counters are partial).
        return { applied: true, crossed: [] };
      }
      const reply = asStrings(
        await run(scripts.finish, [leasesKey, resKey, doneKey], [String(op.now), op.id, op.mode, op.amount.toString(), String(Math.max(0, Math.ceil(op.tokens))), String(op.now + REMEMBER_MS)]),
      );
      if (reply[0] !== 'applied') return { applied: false, crossed: [] };
      const crossed: ThresholdCrossing[] = [];
      const plen = tag.length + 1;
      for (let i = 1; i + 2 < reply.length; i += 3) {
        crossed.push({ key: (reply[i] as string).slice(plen), threshold: BigInt(reply[i + 1] as string), spent: BigInt(reply[i + 2] as string) });
      }
      return { applied: true, crossed };
    },

    async renew(ids: string[], leaseUntil: number, now: number): Promise<void> {
      if (local !== undefined) local.renew(ids.filter((id) => degraded.has(id)), leaseUntil, now);
      const shared = local === undefined ? ids : ids.filter((id) => !degraded.has(id));
      for (let i = 0; i < shared.length; i += 500) {
        await run(scripts.renew, [leasesKey], [String(leaseUntil), ...shared.slice(i, i + 500)]);
      }
    },

    async read(keys: string[]): Promise<CounterState[]> {
      if (keys.length === 0) return [];
      const reply = asStrings(await run(scripts.read, keys.map(k), []));
      return keys.map((_, i) => ({ spent: BigInt(reply[2 * i] ?? '0'), reserved: BigInt(reply[2 * i + 1] ?? '0') }));
    },
  };
}
