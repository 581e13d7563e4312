/**
 * Budgets shared through Redis: a $0.001 daily cap for a team, reserved before each call and
 * settled after; the call that would overshoot is refused before it is sent.
 * Uses REDIS_URL, else starts a throwaway redis-server on a loopback port if one is installed.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { BudgetExceededError, createGateway, openaiCompatible } from '../src/index.js';
import { redisStore } from '../src/redis.js';
import { startMockServer } from './mock-openai-server.js';

async function redisUrl(): Promise<{ url: string; stop(): void }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop() {} };
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await new Promise((resolve, reject) => {
    child.once('error', () => reject(new Error('no REDIS_URL and no redis-server to start (apt-get install -y redis-server)')));
    setTimeout(resolve, 300);
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill() };
}

const redis = await redisUrl();
const client = new Redis(redis.url);
const mock = await startMockServer({ latencyMs: 5 });
const mux = createGateway({
  providers: { local: openaiCompatible({ name: 'local', baseURL: mock.baseURL }) },
  pricing: { 'local/model': { input: 1, output: 2 } },
  budget: {
    store: redisStore({ client, prefix: `example-${Date.now()}` }),
    limits: [{ scope: { team: 'research' }, usd: 0.001, period: 'day' }],
  },
  hooks: { onBudgetExceeded: (e) => console.log(`refused for ${JSON.stringify(e.scope)}: ${e.error.message}`) },
});

let answered = 0;
for (;;) {
  try {
    await mux.chat.completions.create({ model: 'local/model', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 100 }, { scope: { team: 'research' } });
    answered++;
  } catch (error) {
    if (!(error instanceof BudgetExceededError)) throw error;
    break;
  }
}
const [status] = await mux.budget!.get({ team: 'research' });
console.log(`${answered} calls answered; spent $${status!.spent.toFixed(6)} of $${status!.limit} (reserved $${status!.reserved}), resets ${new Date(status!.periodEnd!).toISOString()}`);

mux.close();
client.disconnect();
redis.stop();
await mock.close();
