/**
 * A real `redis-server` on a loopback port for the Redis store tests.
 *
 * The binary is `$REDIS_SERVER` or `redis-server` on PATH. When it is missing, `describeRedis`
 * FAILS under CI (CI=true: the store must be tested there) and skips with the reason otherwise —
 * never a silent pass.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/** Path of the redis-server binary, or undefined. */
export function findRedisServer(): string | undefined {
  const explicit = process.env.REDIS_SERVER;
  const candidates = explicit ? [explicit] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'redis-server'));
  if (!explicit) candidates.push('/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server');
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  return undefined;
}

function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

const MISSING = 'redis-server not found (set REDIS_SERVER or put redis-server on PATH; Debian: apt-get install -y redis-server)';

/** `describe` for tests that need redis-server: fails under CI when it is missing, skips (with the reason) elsewhere. */
export function describeRedis(name: string, body: () => void): void {
  if (findRedisServer() !== undefined) {
    describe(name, body);
    return;
  }
  if (inCI()) {
    describe(name, () => {
      it('needs redis-server', () => {
        throw new Error(`${MISSING}. CI=true: the Redis budget store must be tested in CI.`);
      });
    });
    return;
  }
  console.warn(`[skipped] ${name}: ${MISSING}`);
  describe.skip(`${name} [skipped: ${MISSING}]`, body);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when the server answers PING, rejects after `timeoutMs`. */
async function waitForPing(port: number, timeoutMs: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      const done = (value: boolean): void => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(500, () => done(false));
      socket.on('error', () => done(false));
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface RedisServerOptions {
  /** Keep data across `kill()`/`restart()` (AOF, fsync always) in a temporary directory. Default: no persistence. */
  persist?: boolean;
}

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the process at once (SIGKILL), as a crash or an outage would. */
  kill(): Promise<void>;
  /** Starts it again on the same port (with the same data when `persist`). */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts redis-server on a free loopback port: `--bind 127.0.0.1 --save '' --appendonly no` (or AOF when `persist`). */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  if (bin === undefined) throw new Error(MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'modelmux-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--protected-mode', 'no', '--loglevel', 'warning'];
    args.push(...(options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.resume();
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    child = proc;
    await waitForPing(port, 10_000, proc);
  };

  const exit = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill(signal);
    });
  };

  // A port taken between freePort() and the launch: try another.
  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      await exit('SIGKILL');
      if (attempt >= 2) throw error;
      port = await freePort();
    }
  }

  return {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    kill: () => exit('SIGKILL'),
    restart: async () => {
      await exit('SIGKILL');
      await launch();
    },
    stop: async () => {
      await exit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
