/** The two interop examples run as child processes, as a user would run them. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(example: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', example], { cwd: root, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('examples', () => {
  it('examples/openai-client.ts', async () => {
    const { code, stdout, stderr } = await run('examples/openai-client.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('east/mock-large (east)');
    expect(stdout).toMatch(/2\. client\.chat\.completions\.create\(\)\n {3}east: mock-large heard/);
    expect(stdout).toMatch(/streamed: mock-large heard: "Hello through the official client"/);
    expect(stdout).toMatch(/served by west: mock-small heard/);
    expect(stdout).toMatch(/final: .*\(finish_reason stop\)/);
    expect(stdout).toContain('BadRequestError 400, param=temperature');
    expect(stdout).toContain('RateLimitError 429, retry-after=120s, code=rate_limit_exceeded');
    expect(stdout.trimEnd().endsWith('done')).toBe(true);
  }, 60_000);

  it('examples/serverless-handler.ts', async () => {
    const { code, stdout, stderr } = await run('examples/serverless-handler.ts');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('1. models: default');
    expect(stdout).toMatch(/2\. answer: mock-small heard/);
    expect(stdout).toMatch(/3\. streamed over HTTP: mock-small heard/);
    expect(stdout).toMatch(/4\. .*RateLimitError 429 local_rate_limit, retry-after \d+s/);
    expect(stdout).toContain('5. bob has his own limit: stop');
    expect(stdout).toContain('6. unknown app token: AuthenticationError 401');
    expect(stdout.trimEnd().endsWith('done')).toBe(true);
  }, 60_000);
});
