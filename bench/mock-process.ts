/** Starts bench/mock-server.ts in its own process and stops it (also when this process exits). */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

let mock: ChildProcess | undefined;

export function stopMock(): void {
  if (mock && mock.exitCode === null && mock.signalCode === null) mock.kill('SIGTERM');
}

/** Resolves to the mock's origin, `http://127.0.0.1:PORT`. */
export async function startMock(options: { chunks: number; paceMs: number }): Promise<string> {
  mock = spawn(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'mock-server.ts'), '--chunks', String(options.chunks), '--pace-ms', String(options.paceMs)],
    { cwd: join(HERE, '..'), stdio: ['pipe', 'pipe', 'inherit'] }, // the mock exits when its stdin (our pipe) closes
  );
  const child = mock;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mock server did not start within 15 s')), 15_000);
    child.once('exit', (code) => reject(new Error(`mock server exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return `http://127.0.0.1:${port}`;
}

process.on('exit', stopMock);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    stopMock();
    process.exit(130);
  });
}
