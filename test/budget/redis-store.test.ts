import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { BudgetTracker, type BudgetWarningEvent, type Reservation } from '../../src/budget/index.js';
import { BudgetExceededError, BudgetStoreUnavailableError, LocalRateLimitError } from '../../src/errors/index.js';
import { redisStore } from '../../src/redis.js';
import { describeRedis, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { checkAccountingProperty } from './accounting-property.js';
import { manualClock, pico, request } from './util.js';

type NodeRedis = ReturnType<typeof createClient>;

let prefixes = 0;
const uniquePrefix = (): string => `mm-test:${process.pid}:${++prefixes}`;

async function allSettled<T>(promises: Array<Promise<T>>): Promise<{ ok: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
  };
}

function ioredis(server: RedisServer): Redis {
  const client = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 50 });
  client.on('error', () => {});
  return client;
}

async function nodeRedis(server: RedisServer): Promise<NodeRedis> {
  const client = createClient({ url: server.url, socket: { reconnectStrategy: () => 50 } });
  client.on('error', () => {});
  await client.connect();
  return client;
}

describeRedis('redisStore against a real redis-server', () => {
  let server: RedisServer;
  let io: Redis;
  let nr: NodeRedis;

  beforeAll(async () => {
    server = await startRedisServer();
    io = ioredis(server);
    nr = await nodeRedis(server);
  });

  afterAll(async () => {
    io?.disconnect();
    await nr?.quit().catch(() => {});
    await server?.stop();
  });

  for (const [name, client] of [
    ['ioredis', () => io],
    ['node-redis', () => nr],
  ] as const) {
    it(`admits exactly 33 of 1,000 concurrent $0.03 reserves against $1.00 (${name})`, async () => {
      const tracker = new BudgetTracker({
        limits: [{ scope: { team: 'product' }, usd: 1, period: 'month' }],
        store: redisStore({ client: client(), prefix: uniquePrefix() }),
      });
      const { ok, errors } = await allSettled(Array.from({ length: 1000 }, () => tracker.reserve(request(0.03, { scope: { team: 'product' } }))));
      expect(ok).toHaveLength(33);
      expect(errors).toHaveLength(967);
      for (const e of errors) expect(e).toBeInstanceOf(BudgetExceededError);
      await Promise.all(ok.map((r) => r.settleAtEstimate()));
      const [status] = await tracker.get({ team: 'product' });
      expect(status).toMatchObject({ spent: 0.99, reserved: 0, limit: 1 });
      tracker.close();
    });
  }

  it('admits 33 in total when two Node processes share the budget', async () => {
    const prefix = uniquePrefix();
    const worker = fileURLToPath(new URL('./redis-worker.ts', import.meta.url));
    const procs = [0, 1].map(() => spawn(process.execPath, ['--import', 'tsx', worker, String(server.port), prefix, '500'], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const lines = procs.map((p) => createInterface({ input: p.stdout! })[Symbol.asyncIterator]());
    try {
      for (const l of lines) expect((await l.next()).value).toBe('ready');
      for (const p of procs) p.stdin!.write('go\n');
      const results = await Promise.all(lines.map(async (l) => JSON.parse((await l.next()).value as string) as { admitted: number; refused: number; other: string[] }));
      expect(results.flatMap((r) => r.other)).toEqual([]);
      expect(results.reduce((n, r) => n + r.admitted, 0)).toBe(33);
      expect(results.reduce((n, r) => n + r.refused, 0)).toBe(967);
      const tracker = new BudgetTracker({ limits: [{ scope: { team: 'product' }, usd: 1, period: 'month' }], store: redisStore({ client: io, prefix }) });
      expect((await tracker.get({ team: 'product' }))[0]).toMatchObject({ spent: 0.99, reserved: 0 });
    } finally {
      for (const p of procs) if (p.exitCode === null) p.kill();
    }
  }, 60_000);

  it('keeps spent + reserved ≤ limit under any interleaving (property, smaller run)', async () => {
    await checkAccountingProperty(() => redisStore({ client: io, prefix: uniquePrefix() }), { numRuns: 20, maxBatches: 8 });
  }, 60_000);

  it('puts every key under one hash tag, with the period in the name and a TTL', async () => {
    const prefix = uniquePrefix();
    const clock = manualClock(Date.now());
    const tracker = new BudgetTracker({
      limits: [
        { id: 'm', scope: { user: '*' }, usd: 1, period: 'month', rpm: 10, tpm: 1000, maxParallel: 5 },
        { id: 't', scope: {}, usd: 5, period: 'total' },
      ],
      store: redisStore({ client: io, prefix }),
      now: clock.now,
    });
    const r = await tracker.reserve(request(0.1, { scope: { user: 'u:1' } }));
    const keys = await io.keys(`*${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(`{${prefix}}:`)).toBe(true);
    const [month] = await tracker.get({ user: 'u:1' });
    const monthKey = `{${prefix}}:usd:m:user%3Du%3A1:${month!.periodKey}`;
    expect(keys).toContain(monthKey);
    const ttl = await io.pttl(monthKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual((month!.periodEnd as number) + 86_400_000 - clock.now() + 1000);
    expect(await io.pttl(`{${prefix}}:usd:t:-:total`)).toBe(-1);
    await r.settle({ picoUsd: pico(0.05), tokens: 10 });
    tracker.close();
  });

  it('reloads its scripts after SCRIPT FLUSH (NOSCRIPT)', async () => {
    const tracker = new BudgetTracker({ limits: [{ scope: {}, usd: 1, period: 'day' }], store: redisStore({ client: nr, prefix: uniquePrefix() }) });
    await (await tracker.reserve(request(0.1))).settleAtEstimate();
    await io.script('FLUSH');
    await (await tracker.reserve(request(0.1))).settleAtEstimate();
    expect((await tracker.get({}))[0]).toMatchObject({ spent: 0.2, reserved: 0 });
    tracker.close();
  });

  it('settles idempotently: a repeated finish of the same reservation is a no-op', async () => {
    const store = redisStore({ client: io, prefix: uniquePrefix() });
    const tracker = new BudgetTracker({ limits: [{ scope: {}, usd: 1, period: 'total' }], store });
    const r = await tracker.reserve(request(0.5));
    await r.settle({ picoUsd: pico(0.2), tokens: 1 });
    await r.settle({ picoUsd: pico(0.2), tokens: 1 });
    await r.release();
    // Straight at the store, as a retry after a lost reply would be.
    await expect(store.finish({ id: r.id, now: Date.now(), mode: 'settle', amount: 200_000_000n, tokens: 1 })).resolves.toMatchObject({ applied: false });
    expect((await tracker.get({}))[0]).toMatchObject({ spent: 0.2, reserved: 0 });
    tracker.close();
  });

  it('books a crashed process’s reservation at its estimate once the lease expires', async () => {
    const prefix = uniquePrefix();
    const clock = manualClock('2026-11-10T00:00:00Z');
    const limits = [{ scope: {}, usd: 1, period: 'month' as const }];
    const crashed = new BudgetTracker({ limits, store: redisStore({ client: io, prefix, leaseMs: 30_000 }), now: clock.now });
    const held = await crashed.reserve(request(0.4));
    crashed.close();
    const survivor = new BudgetTracker({ limits, store: redisStore({ client: nr, prefix, leaseMs: 30_000 }), now: clock.now });
    expect((await survivor.get({}))[0]).toMatchObject({ spent: 0, reserved: 0.4 });
    clock.advance(30_001);
    await (await survivor.reserve(request(0.1))).release();
    expect((await survivor.get({}))[0]).toMatchObject({ spent: 0.4, reserved: 0 });
    await held.settle({ picoUsd: pico(0.1), tokens: 1 });
    expect((await survivor.get({}))[0]).toMatchObject({ spent: 0.4, reserved: 0 });
    survivor.close();
  });

  it('enforces rpm, tpm and maxParallel across trackers', async () => {
    const prefix = uniquePrefix();
    const clock = manualClock('2026-11-10T00:00:00Z');
    const limits = [{ scope: { key: '*' }, rpm: 2, tpm: 1000, maxParallel: 1 }];
    const a = new BudgetTracker({ limits, store: redisStore({ client: io, prefix }), now: clock.now });
    const b = new BudgetTracker({ limits, store: redisStore({ client: nr, prefix }), now: clock.now });
    const scope = { key: 'k' };
    const first = await a.reserve(request(0, { scope, estimatedTokens: 900 }));
    await expect(b.reserve(request(0, { scope, estimatedTokens: 10 }))).rejects.toMatchObject({ limit: 'maxParallel' });
    await first.settle({ picoUsd: 0n, tokens: 100 });
    clock.advance(10_000);
    const second = await b.reserve(request(0, { scope, estimatedTokens: 850 })); // 100 + 850 ≤ 1000 after the correction
    await second.release(); // a released request leaves the rpm window
    const third = await b.reserve(request(0, { scope, estimatedTokens: 10 }));
    await third.settle({ picoUsd: 0n, tokens: 10 });
    const error = await a.reserve(request(0, { scope, estimatedTokens: 10 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalRateLimitError);
    expect(error).toMatchObject({ limit: 'rpm', retryAfterMs: 50_000 });
    clock.advance(50_000);
    await expect(a.reserve(request(0, { scope, estimatedTokens: 10 }))).resolves.toBeDefined();
    await expect(a.reserve(request(0, { scope: { key: 'other' }, estimatedTokens: 5000 }))).rejects.toMatchObject({ limit: 'tpm', retryAfterMs: undefined });
    a.close();
    b.close();
  });

  it('fires a threshold once, however many processes cross it', async () => {
    const prefix = uniquePrefix();
    const onBudgetThreshold = vi.fn();
    const limits = [{ scope: {}, usd: 1, period: 'month' as const }];
    const a = new BudgetTracker({ limits, store: redisStore({ client: io, prefix }) }, { onBudgetThreshold });
    const b = new BudgetTracker({ limits, store: redisStore({ client: nr, prefix }) }, { onBudgetThreshold });
    await (await a.reserve(request(0.5))).settleAtEstimate();
    await (await b.reserve(request(0.35))).settleAtEstimate();
    await (await a.reserve(request(0.05))).settleAtEstimate();
    await (await b.reserve(request(0.05))).settleAtEstimate();
    expect(onBudgetThreshold).toHaveBeenCalledTimes(1);
    expect(onBudgetThreshold.mock.calls[0]![0]).toMatchObject({ threshold: 0.8, spent: 0.85 });
    a.close();
    b.close();
  });
});

describeRedis('redisStore when Redis goes away', () => {
  for (const [name, connect] of [
    ['ioredis', async (s: RedisServer) => ioredis(s)],
    ['node-redis', nodeRedis],
  ] as const) {
    it(`fails closed while Redis is down, and applies pending settles once when it is back (${name})`, async () => {
      const server = await startRedisServer({ persist: true });
      const client = await connect(server);
      const warnings: BudgetWarningEvent[] = [];
      const tracker = new BudgetTracker(
        { limits: [{ scope: {}, usd: 1, period: 'month' }], store: redisStore({ client, timeoutMs: 300 }) },
        { onWarning: (w) => warnings.push(w) },
      );
      try {
        const settled = await tracker.reserve(request(0.1));
        const released = await tracker.reserve(request(0.1));
        const atEstimate = await tracker.reserve(request(0.1));
        await server.kill();

        await expect(tracker.reserve(request(0.1))).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
        await expect(tracker.get({})).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
        // Settles and releases do not throw: they are retried in the background.
        await settled.settle({ picoUsd: pico(0.05), tokens: 10 });
        await released.release();
        await atEstimate.settleAtEstimate();
        expect(warnings.filter((w) => w.code === 'store_retry')).toHaveLength(3);
        expect(tracker.pendingCount).toBeGreaterThanOrEqual(3);

        await server.restart();
        expect(await tracker.drain(15_000)).toBe(true);
        const [status] = await tracker.get({});
        expect(status).toMatchObject({ spent: 0.15, reserved: 0 });
        // Calling again changes nothing; nor does a new reserve sweep anything.
        await settled.settle({ picoUsd: pico(0.05), tokens: 10 });
        await (await tracker.reserve(request(0.1))).release();
        expect((await tracker.get({}))[0]).toMatchObject({ spent: 0.15, reserved: 0 });
      } finally {
        tracker.close();
        if ('disconnect' in client && typeof client.disconnect === 'function') (client as Redis).disconnect();
        await server.stop();
      }
    }, 30_000);
  }

  it('fails open when configured: admits against a local cap with a warning, and records the spend when Redis is back', async () => {
    const server = await startRedisServer({ persist: true });
    const client = ioredis(server);
    const warnings: BudgetWarningEvent[] = [];
    const tracker = new BudgetTracker(
      { limits: [{ scope: {}, usd: 1, period: 'month' }], store: redisStore({ client, timeoutMs: 300, failOpen: true }) },
      { onWarning: (w) => warnings.push(w) },
    );
    try {
      await (await tracker.reserve(request(0.3))).settleAtEstimate();
      await server.kill();
      const during: Reservation = await tracker.reserve(request(0.6));
      expect(warnings.map((w) => w.code)).toContain('store_fail_open');
      // The local cap: this process alone cannot pass the limit while Redis is away.
      await expect(tracker.reserve(request(0.6))).rejects.toBeInstanceOf(BudgetExceededError);
      await during.settle({ picoUsd: pico(0.5), tokens: 1 });
      await server.restart();
      expect(await tracker.drain(15_000)).toBe(true);
      expect((await tracker.get({}))[0]).toMatchObject({ spent: 0.8, reserved: 0 });
    } finally {
      tracker.close();
      client.disconnect();
      await server.stop();
    }
  }, 30_000);
});
