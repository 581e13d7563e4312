/**
 * The modelmux demo: a scripted tour on two in-process mock providers (`mockProvider` from
 * `modelmux/testing`), with no API key and no socket — the same tour as `npm run demo` and
 * `npx modelmux demo`, whose source is src/cli/demo.ts (one demo, shipped with the CLI).
 *
 *   npx tsx examples/demo.ts            the offline tour
 *   npx tsx examples/demo.ts --live     a short real run on the first provider whose key is set
 */
import { processIO } from '../src/cli/io.js';
import { runDemo } from '../src/cli/demo.js';

process.exitCode = await runDemo(processIO(), { live: process.argv.includes('--live') });
