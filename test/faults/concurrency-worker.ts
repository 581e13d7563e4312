/**
 * The second process of the two-process Redis concurrency test (concurrency.test.ts): its own
 * gateway (own breakers, own connection pool) on the same Redis budget store and limits, against
 * the parent's loopback server. Protocol on stdin/stdout, one line each:
 *
 *   → ready             ← go        → {LoadSummary}
 *   ← recover           → {"recovery":[…problems]}
 *   ← exit              (closes the gateway and the Redis client, then exits)
 *
 *   node --import tsx test/faults/concurrency-worker.ts <origin> <redisPort> <prefix> <seed> <from> <count>
 */
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { redisStore } from '../../src/redis.js';
import { Load, makePlans, recover, summarize } from './concurrency-load.js';

const [origin = '', port = '6379', prefix = '', seed = '1', from = '0', count = '500'] = process.argv.slice(2);
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

const client = new Redis({ port: Number(port), host: '127.0.0.1' });
client.on('error', () => {});
await client.ping();
const load = new Load(origin, redisStore({ client, prefix, timeoutMs: 10_000 }), 'worker');
const plans = makePlans(Number(seed), Number(from), Number(count));
await load.warmUp();
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async (): Promise<string> => String((await lines.next()).value ?? '');

process.stdout.write('ready\n');
if ((await next()) !== 'go') process.exit(2);
const outcomes = await load.run(plans);
// Let late rejections surface before reporting.
await new Promise((resolve) => setTimeout(resolve, 50));
process.stdout.write(`${JSON.stringify(summarize(load, plans, outcomes, unhandled))}\n`);

if ((await next()) !== 'recover') process.exit(2);
process.stdout.write(`${JSON.stringify({ recovery: await recover(load.mux) })}\n`);

await next();
load.mux.close();
client.disconnect();
process.stdin.destroy();
