/**
 * One of the processes of the two-process Redis budget test: connects, says "ready", waits for a
 * line on stdin, fires COUNT concurrent $0.03 reserves against the shared $1.00 budget, settles the
 * admitted ones at their estimate and prints { admitted, refused, other } as JSON.
 *
 *   node --import tsx test/budget/redis-worker.ts <port> <prefix> <count>
 */
import { Redis } from 'ioredis';
import { BudgetTracker } from '../../src/budget/index.js';
import { BudgetExceededError } from '../../src/errors/index.js';
import { redisStore } from '../../src/redis.js';

const [port = '6379', prefix = 'modelmux:budget', count = '500'] = process.argv.slice(2);
const client = new Redis({ port: Number(port), host: '127.0.0.1' });
client.on('error', () => {});
const tracker = new BudgetTracker({ limits: [{ scope: { team: 'product' }, usd: 1, period: 'month' }], store: redisStore({ client, prefix, timeoutMs: 10_000 }) });
await client.ping();
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));

const results = await Promise.allSettled(
  Array.from({ length: Number(count) }, () =>
    tracker.reserve({ scope: { team: 'product' }, deploymentId: 'openai/gpt-4o-mini', model: 'gpt-4o-mini', estimatePicoUsd: 30_000_000_000n, estimatedTokens: 100 }),
  ),
);
const admitted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof BudgetExceededError).length;
const other = results.flatMap((r) => (r.status === 'rejected' && !(r.reason instanceof BudgetExceededError) ? [String(r.reason)] : []));
await Promise.all(admitted.map((r) => r.settleAtEstimate()));
process.stdout.write(`${JSON.stringify({ admitted: admitted.length, refused, other })}\n`);
tracker.close();
client.disconnect();
process.stdin.destroy();
