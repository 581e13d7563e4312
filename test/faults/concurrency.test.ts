/**
 * Budget accounting, breakers and statistics under 1,000 concurrent requests with random faults
 * (issue 8, "concurrency"), through the public API against a real loopback server that answers at
 * random — 200, slow 200, 429 with retry-after-ms, 500, 503, a reset before the answer, a cut after
 * the first chunk — with client aborts at random times (before the call, while it runs, during a
 * retry wait, mid-stream) and abandoned streams, on two deployments of one model (so requests retry
 * and move between deployments) under USD limits for a team and a user.
 *
 * The seed: MODELMUX_FAULT_SEED=<n> reproduces a run (the server's answer to a request is keyed by
 * the seed, the request and its attempt number, so it does not depend on the interleaving; timing
 * still does). Every run prints its seed, and a failing test prints it again.
 *
 * Booking design (src/routing/spend.ts, src/budget/tracker.ts): the worst case (max_tokens × price)
 * is reserved before each attempt; an answer is settled at its actual cost; an attempt that failed
 * after it was sent and may have been billed (a reset or a cut connection, a stream broken or
 * abandoned after its first chunk) is booked at its estimate; one that cannot have been billed (an
 * HTTP error answer, the caller's abort before an answer, nothing sent) is released. So
 * spent = Σ actual costs of the answers + Σ estimates of the possibly billed attempts, exactly, and
 * the hooks' onSpend events say which is which.
 */
import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { BudgetExceededError, createGateway, type Gateway, memoryStore, openaiCompatible } from '../../src/index.js';
import { redisStore } from '../../src/redis.js';
import { originOf } from '../helpers/fault-server.js';
import { completion, type Handler, type Loopback, sendJson, sseChunk, sseUsage, startLoopback, startSse } from '../helpers/loopback.js';
import { describeRedis, type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import {
  checkStats,
  keyed,
  Load,
  type LoadSummary,
  makePlans,
  recover,
  summarize,
  TEAM_LIMIT_USD,
  USER_LIMIT_USD,
  weighted,
} from './concurrency-load.js';

const SEED = Number(process.env.MODELMUX_FAULT_SEED) || Math.floor(Math.random() * 2 ** 31);
console.log(`[concurrency] seed ${SEED} (MODELMUX_FAULT_SEED=${SEED} reproduces it)`);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

let server: Loopback;
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await startLoopback();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await server.close();
});

// ---------------------------------------------------------------------------------------------
// The server

type Behaviour = 'ok' | 'slow' | '429' | '500' | '503' | 'reset' | 'cut';

/** `a` is the flaky one; `b` mostly answers. */
const TABLES: Record<string, ReadonlyArray<readonly [Behaviour, number]>> = {
  'a/m': [
    ['ok', 45],
    ['slow', 10],
    ['429', 12],
    ['500', 10],
    ['503', 8],
    ['reset', 8],
    ['cut', 7],
  ],
  'b/m': [
    ['ok', 65],
    ['slow', 10],
    ['429', 7],
    ['500', 6],
    ['503', 4],
    ['reset', 4],
    ['cut', 4],
  ],
};

/** What the server did, per process and deployment: requests received, and answers it got out. */
interface Tally {
  received: number;
  /** 200 headers sent (ok, slow, cut). */
  s200: number;
  s429: number;
  s500: number;
  s503: number;
  reset: number;
  /** The client was gone before the (slow) answer. */
  gone: number;
}

type Tallies = Map<string, Tally>;

function tallyOf(tallies: Tallies, proc: string, deployment: string): Tally {
  const key = `${proc} ${deployment}`;
  let t = tallies.get(key);
  if (t === undefined) {
    t = { received: 0, s200: 0, s429: 0, s500: 0, s503: 0, reset: 0, gone: 0 };
    tallies.set(key, t);
  }
  return t;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The load's server: the answer to attempt k of request i is drawn from keyed(seed, 2, i, k). `mode.allOk` answers 200 to all. */
function loadHandler(seed: number, tallies: Tallies, mode: { allOk: boolean }): Handler {
  const attempts = new Map<number, number>();
  return async (req: IncomingMessage, res, body) => {
    const deployment = req.url?.startsWith('/a/') ? 'a/m' : 'b/m';
    const proc = String(req.headers['x-proc'] ?? 'other');
    const parsed = JSON.parse(body) as { messages: Array<{ content: string }>; max_tokens: number; stream?: boolean };
    const index = Number(/request (\d+)/.exec(parsed.messages[0]?.content ?? '')?.[1] ?? -1);
    const attempt = (attempts.get(index) ?? 0) + 1;
    attempts.set(index, attempt);
    const random = keyed(seed, 2, index, attempt);
    const behaviour: Behaviour = mode.allOk || index < 0 ? 'ok' : weighted(random, TABLES[deployment]!);
    const tally = tallyOf(tallies, proc, deployment);
    tally.received++;
    const tokens = 1 + Math.floor(random() * parsed.max_tokens);
    const usage = { prompt_tokens: 5, completion_tokens: tokens, total_tokens: 5 + tokens };
    const error = (status: number, headers: Record<string, string> = {}): void => {
      sendJson(res, status, { error: { message: `upstream ${status}`, type: 'server_error', param: null, code: null } }, headers);
    };
    switch (behaviour) {
      case '429':
        tally.s429++;
        return error(429, { 'retry-after-ms': String(20 + Math.floor(random() * 230)) });
      case '500':
        tally.s500++;
        return error(500);
      case '503':
        tally.s503++;
        return error(503);
      case 'reset':
        tally.reset++;
        req.socket.destroy();
        return;
      case 'slow':
        await pause(100 + Math.floor(random() * 400));
        if (res.destroyed) {
          tally.gone++;
          return;
        }
        break;
      default:
        break;
    }
    tally.s200++;
    if (!parsed.stream) {
      if (behaviour === 'cut') {
        // A 200 whose body is cut: the answer was produced (and may have been billed), never delivered.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
        res.write('{"id":"chatcmpl-cut","object":"chat.completion","choices":[');
        await pause(5);
        res.destroy();
        return;
      }
      sendJson(res, 200, {
        id: `chatcmpl-${index}`,
        object: 'chat.completion',
        created: 1767612000,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
      });
      return;
    }
    startSse(res);
    res.write(sseChunk({ role: 'assistant', content: '' }));
    const parts = 3 + Math.floor(random() * 4);
    for (let k = 0; k < parts; k++) {
      await pause(Math.floor(random() * 15));
      if (res.destroyed) return;
      res.write(sseChunk({ content: `w${k} ` }));
      if (behaviour === 'cut') {
        await pause(5);
        res.destroy();
        return;
      }
    }
    res.write(sseChunk({}, 'stop'));
    res.write(sseUsage(5, tokens));
    res.end('data: [DONE]\n\n');
  };
}

/**
 * What one process's statistics must agree with on the server. Every attempt the server received
 * was started by the gateway, so received ≤ successes + failures; the difference are attempts that
 * never reached the handler: aborted before the request was complete, or a reused keep-alive
 * socket that closed under it (connection errors). Answers the client saw cannot exceed answers sent.
 */
function checkAgainstServer(summary: LoadSummary, tallies: Tallies, proc: string): string[] {
  const problems: string[] = [];
  for (const deployment of ['a/m', 'b/m']) {
    const t = tallyOf(tallies, proc, deployment);
    const s = summary.stats[deployment] ?? { successes: 0, failures: 0 };
    const a = summary.attempts[deployment] ?? { ok: 0, failed: 0, budget: 0, aborted: 0, connection: 0, byStatus: {} };
    if (s.successes > t.s200) problems.push(`${proc} ${deployment}: ${s.successes} successes but ${t.s200} answers sent`);
    for (const status of [429, 500, 503] as const) {
      const seen = a.byStatus[status] ?? 0;
      const sent = t[`s${status}`];
      if (seen > sent) problems.push(`${proc} ${deployment}: ${seen} attempts failed with ${status}, the server sent ${sent}`);
    }
    if (t.received > s.successes + s.failures) problems.push(`${proc} ${deployment}: server received ${t.received}, stats count ${s.successes + s.failures}`);
    const unseen = s.successes + s.failures - t.received;
    if (unseen > a.aborted + a.connection) {
      problems.push(`${proc} ${deployment}: ${unseen} attempts never reached the server, more than the ${a.aborted} aborted + ${a.connection} connection failures`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Budget monitoring

interface Monitor {
  samples: number;
  violations: string[];
  stop(): Promise<void>;
}

/** Reads the team and user budgets every 20 ms while the load runs: spent + reserved never above the limit. */
function monitor(mux: Gateway): Monitor {
  const state: Monitor = {
    samples: 0,
    violations: [],
    stop: async () => {
      running = false;
      await loop;
    },
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      const statuses = await mux.budget!.get({ team: 'core', user: 'u0' });
      state.samples++;
      for (const s of statuses) {
        if (s.spent > s.limit + 1e-9 || s.spent + s.reserved > s.limit + 1e-9 || s.reserved < -1e-9) {
          state.violations.push(`${s.limitId}: spent ${s.spent} + reserved ${s.reserved} > limit ${s.limit}`);
        }
      }
      await pause(20);
    }
  })();
  return state;
}

/** Waits until nothing is reserved on either limit (settles and releases are not awaited by the gateway); the last reading. */
async function settled(mux: Gateway, timeoutMs = 5_000): Promise<Array<{ limitId: string; spent: number; reserved: number; limit: number }>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await mux.budget!.get({ team: 'core', user: 'u0' });
    if (statuses.every((s) => s.reserved === 0) || Date.now() > until) return statuses;
    await pause(20);
  }
}

const usd = (nano: string | bigint): number => Number(BigInt(nano)) / 1e9;

function printSummary(label: string, s: LoadSummary, extra: Record<string, unknown> = {}): void {
  console.log(
    `[concurrency] ${label} seed ${SEED}: ${JSON.stringify({
      outcomes: s.outcomes,
      codes: s.codes,
      team: usd(s.teamNano),
      user: usd(s.userNano),
      answered: usd(s.answeredNano),
      estimateBookings: s.estimateBookings,
      retryAborts: s.retryAborts,
      maxMs: s.maxMs,
      breakers: Object.fromEntries(Object.entries(s.stats).map(([id, h]) => [id, `${h.breaker} ${h.successes}ok/${h.failures}fail`])),
      ...extra,
    })}`,
  );
}

/** The checks every process's summary must pass. */
function expectClean(s: LoadSummary, count: number, mix = true): void {
  const why = `seed ${SEED}, ${s.proc}`;
  expect(s.hung, `${why}: requests that never settled`).toEqual([]);
  expect(s.untyped, `${why}: rejections that are not ModelmuxError`).toEqual([]);
  expect(s.unexpectedCodes, `${why}: unexpected error codes`).toEqual([]);
  expect(s.unhandled, `${why}: unhandled rejections`).toEqual([]);
  expect(s.hookErrors, `${why}: hook errors`).toEqual([]);
  expect(s.budgetWarnings, `${why}: budget warnings`).toEqual([]);
  expect(s.requestProblems, `${why}: per-request bookings`).toEqual([]);
  expect(Object.values(s.outcomes).reduce((n, v) => n + v, 0)).toBe(count);
  // The answered requests' costs are exactly the actual bookings; everything else booked is an estimate.
  expect(s.actualNano, why).toBe(s.answeredNano);
  expect(BigInt(s.teamNano) >= BigInt(s.actualNano), why).toBe(true);
  // The mix happened: answers, aborts (some during retry waits), possibly billed failures.
  expect(s.outcomes.ok ?? 0, why).toBeGreaterThan(count / 10);
  expect(s.codes.aborted ?? 0, why).toBeGreaterThan(0);
  if (mix) {
    expect(s.retryAborts, why).toBeGreaterThan(0);
    expect(s.estimateBookings, why).toBeGreaterThan(0);
  }
}

describe('1,000 concurrent requests with random faults and aborts', () => {
  it('memory store: spend never above the limits, reservations back to 0, every request settles, breakers consistent', async () => {
    onTestFailed(() => console.error(`[concurrency] FAILED with seed ${SEED}: MODELMUX_FAULT_SEED=${SEED} npx vitest run test/faults/concurrency.test.ts`));
    const tallies: Tallies = new Map();
    const mode = { allOk: false };
    server.handle(loadHandler(SEED, tallies, mode));
    const store = memoryStore();
    const load = new Load(originOf(server.baseURL), store, 'main');
    await load.warmUp();
    const plans = makePlans(SEED, 0, 1000);
    const started = Date.now();
    const watch = monitor(load.mux);
    const outcomes = await load.run(plans);
    await watch.stop();
    const statuses = await settled(load.mux);
    await pause(20);
    const summary = summarize(load, plans, outcomes, unhandled);
    printSummary('memory', summary, { ms: Date.now() - started, samples: watch.samples, statuses });

    expectClean(summary, 1000);
    expect(watch.violations, `seed ${SEED}`).toEqual([]);
    expect(watch.samples).toBeGreaterThan(5);
    const team = statuses.find((s) => s.limitId === 'team-core')!;
    const user = statuses.find((s) => s.limitId === 'user-u0')!;
    expect([team.reserved, user.reserved], `seed ${SEED}: reserved at the end`).toEqual([0, 0]);
    expect(store.size.reservations, `seed ${SEED}: reservations held by the store`).toBe(0);
    // spent = Σ of every booking reported, to the nano, and never above the limit.
    expect(team.spent, `seed ${SEED}`).toBe(usd(summary.teamNano));
    expect(user.spent, `seed ${SEED}`).toBe(usd(summary.userNano));
    expect(team.spent).toBeLessThanOrEqual(TEAM_LIMIT_USD);
    expect(user.spent).toBeLessThanOrEqual(USER_LIMIT_USD);
    // The limits are sized so that some requests are refused.
    expect(summary.codes.budget_exceeded ?? 0, `seed ${SEED}`).toBeGreaterThan(0);

    expect(checkStats(summary, Date.now()), `seed ${SEED}`).toEqual([]);
    expect(checkAgainstServer(summary, tallies, 'main'), `seed ${SEED}`).toEqual([]);

    mode.allOk = true;
    expect(await recover(load.mux), `seed ${SEED}: breakers after the run`).toEqual([]);
    load.mux.close();
    await server.waitForNoSockets();
    await pause(20);
    expect(unhandled, `seed ${SEED}`).toEqual([]);
  }, 60_000);
});

describe('a breaker probe refused by the budget', () => {
  // Found by this load: an attempt admitted as a half-open breaker's single probe and then refused by
  // the budget (nothing sent) never gave the probe slot back, so every later request skipped the
  // deployment as "cooling down" until probeTimeoutMs (10 minutes by default), whatever its scope.
  it('gives the probe slot back: the next request is admitted and closes the breaker', async () => {
    let failing = true;
    server.handle((_req, res) => {
      if (failing) sendJson(res, 500, { error: { message: 'upstream 500', type: 'server_error', param: null, code: null } });
      else sendJson(res, 200, completion('ok'));
    });
    const mux = createGateway({
      providers: { a: openaiCompatible({ name: 'a', baseURL: `${originOf(server.baseURL)}/a/v1`, apiKey: 'probe-key' }) },
      pricing: { 'a/m': { input: 0, output: 30 } },
      routing: { breaker: { consecutiveFailures: 1, baseEjectionMs: 50, jitter: 0 } },
      retry: { maxRetries: 0 },
      budget: { limits: [{ scope: { team: 't' }, usd: 0.03, period: 'month' }] },
    });
    const messages = [{ role: 'user' as const, content: 'probe' }];
    const scope = { team: 't' };
    try {
      await expect(mux.chat.completions.create({ model: 'a/m', messages, max_tokens: 10 }, { scope })).rejects.toMatchObject({ code: 'server_error' });
      expect(mux.stats()['a/m']?.breaker).toBe('open');
      await pause(80);
      failing = false;
      // The probe's reservation ($0.06 worst case) does not fit the $0.03 budget: refused before sending.
      await expect(mux.chat.completions.create({ model: 'a/m', messages, max_tokens: 2000 }, { scope })).rejects.toBeInstanceOf(BudgetExceededError);
      const next = await mux.chat.completions.create({ model: 'a/m', messages, max_tokens: 10 }, { scope });
      expect(next.choices[0]?.message.content).toBe('ok');
      expect(mux.stats()['a/m']).toMatchObject({ breaker: 'closed', successes: 1, failures: 1, inFlight: 0 });
    } finally {
      mux.close();
    }
  });
});

describeRedis('1,000 concurrent requests on Redis shared by two processes', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.stop());

  it('combined spend never above the limits, reservations back to 0 in Redis, each process consistent', async () => {
    onTestFailed(() => console.error(`[concurrency] FAILED with seed ${SEED}: MODELMUX_FAULT_SEED=${SEED} npx vitest run test/faults/concurrency.test.ts`));
    const tallies: Tallies = new Map();
    const mode = { allOk: false };
    server.handle(loadHandler(SEED, tallies, mode));
    const prefix = `mm-concurrency:${process.pid}:${SEED}`;
    const client = new Redis({ port: redis.port, host: '127.0.0.1' });
    client.on('error', () => {});
    const origin = originOf(server.baseURL);
    // Breakers are per process: each gateway has its own, only the budget counters are shared.
    const load = new Load(origin, redisStore({ client, prefix, timeoutMs: 10_000 }), 'main');
    const worker = fileURLToPath(new URL('./concurrency-worker.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', worker, origin, String(redis.port), prefix, String(SEED), '500', '500'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async (): Promise<string> => String((await lines.next()).value ?? '');
    try {
      await load.warmUp();
      expect(await next()).toBe('ready');
      const plans = makePlans(SEED, 0, 500);
      const started = Date.now();
      const watch = monitor(load.mux);
      child.stdin!.write('go\n');
      const [outcomes, childLine] = await Promise.all([load.run(plans), next()]);
      await watch.stop();
      const theirs = JSON.parse(childLine) as LoadSummary;
      const statuses = await settled(load.mux);
      await pause(20);
      const ours = summarize(load, plans, outcomes, unhandled);
      printSummary('redis parent', ours, { ms: Date.now() - started, samples: watch.samples, statuses });
      printSummary('redis child', theirs);

      expectClean(ours, 500, false);
      expectClean(theirs, 500, false);
      expect(ours.retryAborts + theirs.retryAborts, `seed ${SEED}`).toBeGreaterThan(0);
      expect(ours.estimateBookings + theirs.estimateBookings, `seed ${SEED}`).toBeGreaterThan(0);
      expect(watch.violations, `seed ${SEED}`).toEqual([]);
      const team = statuses.find((s) => s.limitId === 'team-core')!;
      const user = statuses.find((s) => s.limitId === 'user-u0')!;
      expect([team.reserved, user.reserved], `seed ${SEED}: reserved in Redis at the end`).toEqual([0, 0]);
      // Combined: what Redis holds is exactly what both processes booked, and within the limits.
      expect(team.spent, `seed ${SEED}`).toBe(usd(BigInt(ours.teamNano) + BigInt(theirs.teamNano)));
      expect(user.spent, `seed ${SEED}`).toBe(usd(BigInt(ours.userNano) + BigInt(theirs.userNano)));
      expect(team.spent).toBeLessThanOrEqual(TEAM_LIMIT_USD);
      expect(user.spent).toBeLessThanOrEqual(USER_LIMIT_USD);
      expect((ours.codes.budget_exceeded ?? 0) + (theirs.codes.budget_exceeded ?? 0), `seed ${SEED}`).toBeGreaterThan(0);
      expect(await client.hlen(`{${prefix}}:res`), 'open reservations in Redis').toBe(0);
      expect(await client.zcard(`{${prefix}}:leases`), 'leases in Redis').toBe(0);

      expect(checkStats(ours, Date.now()), `seed ${SEED}`).toEqual([]);
      expect(checkStats(theirs, Date.now()), `seed ${SEED}`).toEqual([]);
      expect(checkAgainstServer(ours, tallies, 'main'), `seed ${SEED}`).toEqual([]);
      expect(checkAgainstServer(theirs, tallies, 'worker'), `seed ${SEED}`).toEqual([]);

      mode.allOk = true;
      child.stdin!.write('recover\n');
      const [mine, other] = await Promise.all([recover(load.mux), next().then((l) => (JSON.parse(l) as { recovery: string[] }).recovery)]);
      expect(mine, `seed ${SEED}: parent breakers after the run`).toEqual([]);
      expect(other, `seed ${SEED}: child breakers after the run`).toEqual([]);
      child.stdin!.write('exit\n');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      expect(child.exitCode).toBe(0);
      load.mux.close();
      await server.waitForNoSockets();
      expect(unhandled, `seed ${SEED}`).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill();
      load.mux.close();
      client.disconnect();
    }
  }, 90_000);
});
