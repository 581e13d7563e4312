import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, ModelmuxError, openaiCompatible } from '../../src/index.js';
import { type Loopback, sendJson, startLoopback } from '../helpers/loopback.js';

const CANARY = 'canary-9f8e7d6c5b4a3f2e1d0c';
const SK_CANARY = 'sk-proj-CANARYabcdefghijklmnopqrstuvwx';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());

function everySink(error: unknown): string[] {
  const e = error as Error;
  return [e.message, e.stack ?? '', JSON.stringify(e), inspect(e, { depth: 10 }), String((e as { cause?: unknown }).cause ?? '')];
}

const scenarios: Array<[string, (res: import('node:http').ServerResponse, key: string) => void]> = [
  ['401 echoing the key', (res, key) => sendJson(res, 401, { error: { message: `Incorrect API key provided: ${key}.`, type: 'invalid_request_error', code: 'invalid_api_key' } })],
  ['429 echoing the key in the code', (res, key) => sendJson(res, 429, { error: { message: 'slow down', type: 'requests', code: key } })],
  ['500 as plain text with the key', (res, key) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`upstream said Bearer ${key} is bad`);
  }],
  ['200 HTML echoing the key', (res, key) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<p>${key}</p>`);
  }],
  ['reset before headers', (res) => res.socket?.destroy()],
];

describe('no API key in any error', () => {
  for (const key of [CANARY, SK_CANARY]) {
    it.each(scenarios)(`%s (${key.slice(0, 6)}…)`, async (_name, respond) => {
      server.handle((_req, res) => respond(res, key));
      const mux = createGateway({
        providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL, apiKey: key }) },
        retry: { maxRetries: 0 },
      });
      const error = await mux.chat.completions.create({ model: 'local/m', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      mux.close();
      expect(ModelmuxError.isInstance(error)).toBe(true);
      for (const sink of everySink(error)) expect(sink).not.toContain(key);
      // The key was really sent: redaction, not omission, is what keeps it out.
      expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${key}`);
    });
  }

  it('a key passed in per-request headers is redacted too', async () => {
    const key = 'header-secret-0a1b2c3d4e5f';
    server.handle((_req, res) => sendJson(res, 403, { error: { message: `key ${key} may not use this model`, type: 'permission' } }));
    const mux = createGateway({ providers: { local: openaiCompatible({ name: 'local', baseURL: server.baseURL }) }, retry: { maxRetries: 0 } });
    const error = await mux.chat.completions
      .create({ model: 'local/m', messages: [{ role: 'user', content: 'hi' }] }, { headers: { Authorization: `Bearer ${key}` } })
      .catch((e: unknown) => e);
    mux.close();
    for (const sink of everySink(error)) expect(sink).not.toContain(key);
  });
});
