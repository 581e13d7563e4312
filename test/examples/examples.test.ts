import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeRedis } from '../helpers/redis-server.js';

const root = resolve(import.meta.dirname, '../..');

async function run(example: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', `examples/${example}.ts`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, REDIS_URL: '' },
  });
  return stdout;
}

describe('examples run', () => {
  it.each([
    ['basic-chat', /served by local, \d+ tokens, \$0\.\d+/],
    ['streaming', /\[usage\] \d+ in, \d+ out[\s\S]*\[StreamError\]/],
    ['fallback-chain', /fallback primary\/big-model → backup\/small-model \(overloaded\)[\s\S]*answered by backup\/small-model/],
    ['cost-routing', /→ west[\s\S]*→ east/],
    ['variants', /:floor {3}→ local[\s\S]*:free on a paid model → NoRouteError/],
  ])('%s', async (example, expected) => {
    expect(await run(example)).toMatch(expected);
  });
});

describeRedis('examples that need redis-server', () => {
  it('budgets-redis', async () => {
    expect(await run('budgets-redis')).toMatch(/\d+ calls answered; spent \$0\.000\d+ of \$0\.001/);
  });
});
