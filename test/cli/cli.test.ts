import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The environment without any provider credential, so that nothing real is configured. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/_API_KEY$|^AWS_|^AZURE_|^OLLAMA_|^OPENAI_|^ANTHROPIC_|^GOOGLE_|^GEMINI_|^MODELMUX_/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx src/cli.ts …args` as a child process. */
function cli(args: string[], options: { env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, env: cleanEnv(options.env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`modelmux ${args.join(' ')} did not finish; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

describe.concurrent('modelmux CLI', () => {
  it('--help lists the commands and exits 0; --version prints the package version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['chat', 'models', 'demo']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string }).version);
  });

  it('each command has its own --help', async () => {
    const [chat, models, demo] = await Promise.all([cli(['chat', '--help']), cli(['models', '-h']), cli(['help', 'demo'])]);
    expect([chat.code, models.code, demo.code]).toEqual([0, 0, 0]);
    expect(chat.stdout).toContain('Usage: modelmux chat -m <model>');
    expect(chat.stdout).toContain('MODELMUX_MOCK');
    expect(models.stdout).toContain('Usage: modelmux models');
    expect(demo.stdout).toContain('Usage: modelmux demo [--live]');
  });

  it('usage errors exit 2 with a message: unknown command, unknown option, no command, missing model', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect(unknown.stderr).toContain('--help');
    const option = await cli(['models', '--colour']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/modelmux models: .*--colour/);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: modelmux <command>');
    const noModel = await cli(['chat', 'hello'], { env: { MODELMUX_MOCK: '1' } });
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain('missing -m/--model');
  });

  it('models --json is valid JSON with gpt-4o-mini and its price', async () => {
    const run = await cli(['models', '--json']);
    expect(run.code).toBe(0);
    const models = JSON.parse(run.stdout) as Array<{ id: string; provider: string; model: string; input: number; output: number; contextWindow: number | null }>;
    expect(models.length).toBeGreaterThan(500);
    expect(models.find((m) => m.id === 'openai/gpt-4o-mini')).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', input: 0.15, output: 0.6, contextWindow: 128_000 });
  });

  it('models --provider anthropic prints a table of that provider only', async () => {
    const run = await cli(['models', '--provider', 'anthropic']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+provider\s+input \$\/1M\s+output \$\/1M\s+context$/);
    expect(lines[1]).toMatch(/^─+( +─+){4}$/);
    const rows = lines.slice(2, -1);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.every((row) => /^anthropic\/\S+\s+anthropic\s/.test(row))).toBe(true);
    expect(rows.find((row) => row.startsWith('anthropic/claude-haiku-4-5 '))).toMatch(/\s1\.00\s+5\.00\s+200K$/);
    expect(lines.at(-1)).toMatch(/^\d+ models · USD per 1M tokens · LiteLLM price snapshot \d{4}-\d{2}-\d{2}$/);
    const unknown = await cli(['models', '--provider', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown provider "nope"');
  });

  it('chat streams the mock provider’s answer (MODELMUX_MOCK=1), from arguments or stdin', async () => {
    const run = await cli(['chat', '-m', 'mock/echo', '--system', 'Be brief', 'Say', 'hi'], { env: { MODELMUX_MOCK: '1' } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('You said: "Say hi". This is a short answer from the mock provider.\n');
    const piped = await cli(['chat', '-m', 'mock/echo'], { env: { MODELMUX_MOCK: '[{"text":"Piped answer."}]' }, stdin: 'from stdin' });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe('Piped answer.\n');
  });

  it('chat --json prints the whole response', async () => {
    const run = await cli(['chat', '-m', 'mock/m1', '--json', '--max-tokens', '50', 'Hello'], { env: { MODELMUX_MOCK: '1' } });
    expect(run.code).toBe(0);
    const response = JSON.parse(run.stdout) as { provider: string; model: string; object: string; choices: Array<{ message: { content: string } }> };
    expect(response).toMatchObject({ provider: 'mock', model: 'm1', object: 'chat.completion' });
    expect(response.choices[0]?.message.content).toContain('Hello');
  });

  it('chat exits 1 with the typed error on stderr when the request fails', async () => {
    const run = await cli(['chat', '-m', 'mock/m', 'Hi'], { env: { MODELMUX_MOCK: '{"status":401,"error":{"message":"Incorrect API key provided"}}' } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('AuthenticationError (authentication_error) [mock/m]: mock 401: Incorrect API key provided');
  });

  it('chat with no provider configured exits 1 with a clear message', async () => {
    const run = await cli(['chat', '-m', 'openai/gpt-4o-mini', 'Hi']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no provider is configured');
    expect(run.stderr).toContain('OPENAI_API_KEY');
  });

  it('demo runs the tour on mock providers, exits 0 and ends with the summary and the spend bar', async () => {
    const started = Date.now();
    const run = await cli(['demo'], { timeoutMs: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^  step +deployment +attempts +latency +tokens in\/out +cost +result$/m);
    for (const text of ['StreamError', 'BudgetExceededError', 'ValidationError', '529 ×3 → fallback', 'stream → equivalent', 'day-long 429']) expect(run.stdout).toContain(text);
    expect(run.stdout).toMatch(/team=demo {2}\[█+░*\] \$0\.0090 \/ \$0\.0100 {2}per day/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('demo --live with no key prints a message and exits 0', async () => {
    const run = await cli(['demo', '--live']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('No provider key found');
  });
});
