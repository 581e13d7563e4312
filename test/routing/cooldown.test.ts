import { describe, expect, it } from 'vitest';
import { ModelmuxError } from '../../src/errors/base.js';
import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  ContentPolicyError,
  ContextWindowExceededError,
  InvalidResponseError,
  NoRouteError,
  NotFoundError,
  PermissionError,
  ProviderOverloadedError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  StreamError,
  TimeoutError,
  ValidationError,
} from '../../src/errors/classes.js';
import { type BreakerTransition, breakerImpact, BreakerRegistry, CircuitBreaker, PROBE_RECHECK_MS } from '../../src/routing/cooldown.js';

/** random() = 0.5 → no jitter. */
const steady = (options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) => new CircuitBreaker({ random: () => 0.5, now: () => 0, ...options });
const server = () => new ServerError('openai 500: boom', { status: 500 });

describe('classification', () => {
  it('never counts user errors, aborts, the caller deadline, budgets and router errors', () => {
    const ignored: ModelmuxError[] = [
      new ValidationError([{ path: 'model', message: 'bad' }]),
      new BadRequestError('400', { status: 400 }),
      new NotFoundError('404 model', { status: 404 }),
      new ContextWindowExceededError('too long', { status: 400 }),
      new ContentPolicyError('flagged', { status: 400 }),
      new AbortError(),
      new TimeoutError('deadline', 'deadline'),
      new NoRouteError('none'),
      new ModelmuxError('budget_exceeded', 'over'),
      new ModelmuxError('budget_store_unavailable', 'down'),
      new ModelmuxError('local_rate_limit', 'slow down'),
    ];
    for (const error of ignored) expect(breakerImpact(error), error.code).toBe('ignore');
    const breaker = steady();
    for (let i = 0; i < 50; i += 1) for (const error of ignored) breaker.onFailure(error, i);
    expect(breaker.state(100)).toBe('closed');
    expect(breaker.snapshot(100).consecutiveFailures).toBe(0);
  });

  it('counts 5xx, overloaded, connection, connect/idle timeouts, invalid responses and stream errors', () => {
    const counted: ModelmuxError[] = [
      server(),
      new ProviderOverloadedError('529', { status: 529 }),
      new ConnectionError('reset'),
      new TimeoutError('connect', 'connect'),
      new TimeoutError('idle', 'idle'),
      new InvalidResponseError('html'),
      new StreamError('cut'),
    ];
    for (const error of counted) expect(breakerImpact(error), error.code).toBe('count');
    expect(breakerImpact(new RateLimitError('429'))).toBe('rate_limit');
    expect(breakerImpact(new AuthenticationError('401'))).toBe('credential');
    expect(breakerImpact(new PermissionError('403'))).toBe('credential');
    expect(breakerImpact(new QuotaExceededError('quota'))).toBe('credential');
  });
});

describe('trips', () => {
  it('opens after 5 consecutive counted failures for 30 s (k = 1)', () => {
    const breaker = steady();
    for (let i = 0; i < 4; i += 1) breaker.onFailure(server(), 1000);
    expect(breaker.tryAcquire(1000)).toBe('closed');
    breaker.onFailure(server(), 1000);
    expect(breaker.state(1000)).toBe('open');
    expect(breaker.openDeadline(1000)).toBe(31_000);
    expect(breaker.tryAcquire(30_999)).toBe(false);
    expect(breaker.ejections).toBe(1);
  });

  it('a success resets the consecutive count', () => {
    const breaker = steady();
    for (let i = 0; i < 4; i += 1) breaker.onFailure(server(), 0);
    breaker.onSuccess(0);
    for (let i = 0; i < 4; i += 1) breaker.onFailure(server(), 0);
    expect(breaker.state(0)).toBe('closed');
  });

  it('opens at ≥ 50 % failures over 30 s with ≥ 10 calls, never below 10 calls', () => {
    const breaker = steady();
    // S F S F … : never 2 failures in a row.
    for (let i = 0; i < 9; i += 1) {
      if (i % 2 === 0) breaker.onSuccess(i * 1000);
      else breaker.onFailure(server(), i * 1000);
    }
    expect(breaker.state(9000)).toBe('closed'); // 9 calls, 4 failures
    breaker.onFailure(server(), 9000); // 10 calls, 5 failures
    expect(breaker.state(9000)).toBe('open');
  });

  it('forgets outcomes older than the window', () => {
    const breaker = steady();
    for (let i = 0; i < 8; i += 1) {
      if (i % 2 === 0) breaker.onSuccess(0);
      else breaker.onFailure(server(), 0);
    }
    // 30 s later the first 8 calls are gone: 2 more calls do not reach 10.
    breaker.onSuccess(31_000);
    breaker.onFailure(server(), 31_000);
    expect(breaker.state(31_000)).toBe('closed');
  });

  it('opens at once on 429 until retry-after, else 5 s; retry-after capped at 300 s', () => {
    const breaker = steady();
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 7000 }), 1000);
    expect(breaker.openDeadline(1000)).toBe(8000);
    expect(breaker.tryAcquire(7999)).toBe(false);
    expect(breaker.tryAcquire(8000)).toBe('probe');
    expect(breaker.ejections).toBe(0);

    const plain = steady();
    plain.onFailure(new RateLimitError('429'), 0);
    expect(plain.openDeadline(0)).toBe(5000);

    const long = steady();
    long.onFailure(new RateLimitError('429', { retryAfterMs: 3_600_000 }), 0);
    expect(long.openDeadline(0)).toBe(300_000);
  });

  it('opens for 10 minutes on authentication, permission and quota errors', () => {
    for (const error of [new AuthenticationError('401'), new PermissionError('403'), new QuotaExceededError('quota')]) {
      const breaker = steady();
      breaker.onFailure(error, 0);
      expect(breaker.openDeadline(0)).toBe(600_000);
    }
  });

  it('applies ±10 % jitter', () => {
    const low = steady({ random: () => 0 });
    const high = steady({ random: () => 0.999999 });
    for (let i = 0; i < 5; i += 1) {
      low.onFailure(server(), 0);
      high.onFailure(server(), 0);
    }
    expect(low.openDeadline(0)).toBe(27_000);
    expect(high.openDeadline(0)).toBe(33_000);
  });

  it('thresholds are configurable', () => {
    const breaker = steady({ consecutiveFailures: 2, baseEjectionMs: 1000 });
    breaker.onFailure(server(), 0);
    breaker.onFailure(server(), 0);
    expect(breaker.openDeadline(0)).toBe(1000);
  });
});

describe('deadlines only grow', () => {
  it('a shorter rate limit while open keeps the later deadline (LiteLLM #40130)', () => {
    const breaker = steady();
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 60_000 }), 0);
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 5000 }), 1000);
    expect(breaker.openDeadline(1000)).toBe(60_000);
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 90_000 }), 2000);
    expect(breaker.openDeadline(2000)).toBe(92_000);
  });

  it('a straggler failing while open (admitted before the trip) does not extend it; a 429 still does', () => {
    const breaker = steady();
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 5000 }), 0);
    breaker.onFailure(server(), 1000, 'closed');
    expect(breaker.openDeadline(1000)).toBe(5000);
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 9000 }), 1000, 'closed');
    expect(breaker.openDeadline(1000)).toBe(10_000);
  });

  it('openUntil / openFor keep the later deadline', () => {
    const breaker = steady();
    breaker.openUntil(50_000, 0);
    expect(breaker.state(0)).toBe('open');
    breaker.openUntil(20_000, 0);
    expect(breaker.openDeadline(0)).toBe(50_000);
    breaker.openFor(70_000, 0);
    expect(breaker.openDeadline(0)).toBe(70_000);
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 1000 }), 0);
    expect(breaker.openDeadline(0)).toBe(70_000);
  });
});

describe('half-open', () => {
  function tripped(): CircuitBreaker {
    const breaker = steady();
    for (let i = 0; i < 5; i += 1) breaker.onFailure(server(), 0);
    return breaker;
  }

  it('admits exactly one probe among concurrent callers', async () => {
    const breaker = tripped();
    expect(breaker.state(30_000)).toBe('half-open');
    const results = await Promise.all(Array.from({ length: 20 }, async () => breaker.tryAcquire(30_000)));
    expect(results.filter((r) => r === 'probe')).toHaveLength(1);
    expect(results.filter((r) => r === false)).toHaveLength(19);
    expect(breaker.openDeadline(30_000)).toBe(30_000 + PROBE_RECHECK_MS); // the probe's answer is due
    expect(breaker.tryAcquire(40_000)).toBe(false);
  });

  it('probe success closes', () => {
    const breaker = tripped();
    expect(breaker.tryAcquire(30_000)).toBe('probe');
    breaker.onSuccess(31_000);
    expect(breaker.state(31_000)).toBe('closed');
    expect(breaker.tryAcquire(31_000)).toBe('closed');
    expect(breaker.tryAcquire(31_000)).toBe('closed');
  });

  it('probe failure reopens with k + 1: 60 s, then 90 s, … capped at 300 s', () => {
    const breaker = tripped();
    let now = 30_000;
    const durations: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      expect(breaker.tryAcquire(now)).toBe('probe');
      breaker.onFailure(server(), now);
      const deadline = breaker.openDeadline(now)!;
      durations.push(deadline - now);
      now = deadline;
    }
    expect(durations.slice(0, 4)).toEqual([60_000, 90_000, 120_000, 150_000]);
    expect(durations.at(-1)).toBe(300_000);
    expect(breaker.ejections).toBe(12);
  });

  it('a probe that ends with a user error or an abort frees the slot for another probe', () => {
    const breaker = tripped();
    expect(breaker.tryAcquire(30_000)).toBe('probe');
    breaker.onFailure(new AbortError(), 30_100);
    expect(breaker.state(30_100)).toBe('half-open');
    expect(breaker.tryAcquire(30_100)).toBe('probe');
  });

  it('a probe that never reports frees the slot after probeTimeoutMs', () => {
    const breaker = tripped();
    expect(breaker.tryAcquire(30_000)).toBe('probe');
    expect(breaker.tryAcquire(629_999)).toBe(false);
    expect(breaker.tryAcquire(630_000)).toBe('probe');
  });

  it('a rate-limited probe reopens until the retry-after without escalating k', () => {
    const breaker = tripped();
    breaker.tryAcquire(30_000);
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 2000 }), 30_000);
    expect(breaker.openDeadline(30_000)).toBe(32_000);
    expect(breaker.ejections).toBe(1);
  });
});

describe('escalation decay', () => {
  it('k is kept after a probe success, so a flapping deployment escalates; it returns to 0 after 10 min healthy', () => {
    const breaker = steady();
    const trip = (now: number) => {
      for (let i = 0; i < 5; i += 1) breaker.onFailure(server(), now);
    };
    trip(0);
    breaker.tryAcquire(30_000);
    breaker.onSuccess(30_000);
    trip(31_000);
    expect(breaker.openDeadline(31_000)).toBe(31_000 + 60_000); // k = 2
    breaker.tryAcquire(91_000);
    breaker.onSuccess(91_000);
    expect(breaker.tryAcquire(91_000 + 600_000)).toBe('closed'); // 10 min healthy: k → 0
    expect(breaker.ejections).toBe(0);
    trip(700_000);
    expect(breaker.openDeadline(700_000)).toBe(730_000);
  });

  it('a straggler success while open does not close it', () => {
    const breaker = steady();
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 10_000 }), 0);
    breaker.onSuccess(1000);
    expect(breaker.state(1000)).toBe('open');
  });
});

describe('registry and telemetry', () => {
  it('one breaker per id, ids, snapshot and transition events', () => {
    const events: BreakerTransition[] = [];
    const registry = new BreakerRegistry({ random: () => 0.5, onTransition: (event) => events.push(event) });
    const a = registry.get('openai/gpt-4o');
    expect(registry.get('openai/gpt-4o')).toBe(a);
    registry.get('groq/llama');
    expect(registry.ids()).toEqual(['openai/gpt-4o', 'groq/llama']);
    a.onFailure(new RateLimitError('429', { retryAfterMs: 1000 }), 0);
    a.tryAcquire(1000);
    a.onSuccess(1200);
    expect(events.map((e) => [e.id, e.from, e.to, e.reason])).toEqual([
      ['openai/gpt-4o', 'closed', 'open', 'rate_limit'],
      ['openai/gpt-4o', 'open', 'half-open', 'deadline_passed'],
      ['openai/gpt-4o', 'half-open', 'closed', 'probe_succeeded'],
    ]);
    expect(events[0]!.openUntil).toBe(1000);
    a.openFor(5000, 2000);
    const snapshot = registry.snapshot(3000);
    expect(snapshot['openai/gpt-4o']).toEqual({
      state: 'open',
      openUntil: 7000,
      ejections: 0,
      consecutiveFailures: 0,
      recent: { calls: 0, failures: 0 },
      probeInFlight: false,
    });
    expect(snapshot['groq/llama']!.state).toBe('closed');
    expect(JSON.parse(JSON.stringify(snapshot))['groq/llama'].openUntil).toBeUndefined();
  });
});

describe('the executor’s own retry', () => {
  it('is the probe of a breaker its request just opened: success closes it, failure reopens it', () => {
    const breaker = steady();
    breaker.onFailure(new RateLimitError('429'), 0); // open for 5 s
    expect(breaker.tryAcquire(500)).toBe(false);
    expect(breaker.acquireForRetry(500)).toBe('probe');
    expect(breaker.tryAcquire(600)).toBe(false); // the retry holds the probe slot
    breaker.onSuccess(700);
    expect(breaker.state(700)).toBe('closed');

    breaker.onFailure(new RateLimitError('429'), 1000);
    breaker.acquireForRetry(1500);
    breaker.onFailure(new RateLimitError('429'), 1600);
    expect(breaker.state(1700)).toBe('open');
  });
});

describe('stragglers: attempts admitted while closed that end after the trip', () => {
  it('a straggler failure while half-open neither fails the probe nor frees its slot', () => {
    const breaker = steady();
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 1000 }), 0);
    expect(breaker.tryAcquire(1000)).toBe('probe');
    breaker.onFailure(server(), 1001, 'closed');
    breaker.onFailure(new BadRequestError('400'), 1001, 'closed');
    expect(breaker.state(1001)).toBe('half-open');
    expect(breaker.tryAcquire(1001)).toBe(false); // the probe is still out
    breaker.onFailure(server(), 1002, 'probe');
    expect(breaker.state(1002)).toBe('open');
  });

  it('while the probe is out, openDeadline says to look again shortly; any success after the deadline closes', () => {
    const breaker = steady();
    breaker.onFailure(new RateLimitError('429', { retryAfterMs: 1000 }), 0);
    expect(breaker.openDeadline(500)).toBe(1000);
    expect(breaker.openDeadline(1000)).toBeUndefined(); // a probe would be admitted now
    expect(breaker.tryAcquire(1000)).toBe('probe');
    expect(breaker.openDeadline(1010)).toBe(1010 + PROBE_RECHECK_MS);
    breaker.onSuccess(1020); // a straggler answering after the deadline: the deployment works
    expect(breaker.state(1020)).toBe('closed');
    expect(breaker.openDeadline(1020)).toBeUndefined();
  });
});
