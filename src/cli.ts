// The `modelmux` bin (the `#!/usr/bin/env node` line is added by tsup's banner).
import { processIO } from './cli/io.js';
import { runCli } from './cli/main.js';

// `modelmux models | head`: the reader went away; stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const controller = new AbortController();
// Ctrl-C aborts a running request (chat exits 130); anything else still ending is stopped shortly after.
process.once('SIGINT', () => {
  controller.abort();
  setTimeout(() => process.exit(130), 500).unref();
});

runCli(process.argv.slice(2), processIO(controller.signal)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
