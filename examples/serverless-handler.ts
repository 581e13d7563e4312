/**
 * modelmux as an OpenAI-compatible HTTP endpoint in a serverless or edge function: the handler is
 * web-standard (`(request: Request) => Promise<Response>`), so it is the whole function on
 * Cloudflare Workers (`export default { fetch: handle }`), Vercel/Next.js route handlers
 * (`export const POST = handle`), Deno (`Deno.serve(handle)`), Bun (`Bun.serve({ fetch: handle })`).
 *
 * The function authenticates its own callers (here: app tokens) and decides their budget scope
 * itself: `x-modelmux-*` headers sent by the caller are dropped, then `x-modelmux-user` is set from
 * the authenticated identity. Provider keys stay on the server.
 *
 * To run it here, a tiny node:http adapter serves it on 127.0.0.1 and the official OpenAI client
 * calls it over real HTTP, against a mock provider (no API key needed):
 *
 *   npx tsx examples/serverless-handler.ts
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createGateway, openaiCompatible } from '../src/index.js';
import { MODELMUX_HEADER_PREFIX } from '../src/interop/index.js';
import { startMockServer } from './mock-openai-server.js';

// ---- the function -------------------------------------------------------------------------------

const APP_TOKENS: Record<string, string> = { 'app-token-alice': 'alice', 'app-token-bob': 'bob' };

function createHandler(providerBaseURL: string): { handle: (request: Request) => Promise<Response>; close: () => void } {
  const mux = createGateway({
    providers: { local: openaiCompatible({ name: 'local', baseURL: providerBaseURL }) },
    models: { default: 'local/mock-small' },
    budget: { limits: [{ scope: { user: '*' }, rpm: 2 }] }, // every user: 2 requests a minute
  });
  const muxFetch = mux.fetch;

  async function handle(request: Request): Promise<Response> {
    const token = request.headers.get('authorization')?.replace(/^Bearer\s+/i, '') ?? '';
    const user = APP_TOKENS[token];
    if (user === undefined) {
      const error = { message: 'Invalid app token.', type: 'authentication_error', param: null, code: 'invalid_api_key' };
      return new Response(JSON.stringify({ error }), { status: 401, headers: { 'content-type': 'application/json' } });
    }
    // Trust no scope the caller sent; set it from the authenticated identity.
    const headers = new Headers();
    request.headers.forEach((value, name) => {
      if (!name.startsWith(MODELMUX_HEADER_PREFIX)) headers.set(name, value);
    });
    headers.set('x-modelmux-user', user);
    return muxFetch(new Request(request, { headers }));
  }
  return { handle, close: () => mux.close() };
}

// ---- running it locally: a minimal node:http ↔ Request/Response adapter --------------------------

async function serve(handle: (request: Request) => Promise<Response>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(); // the client went away: cancel the provider call
    });
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
      }
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        ...(hasBody ? { body: new Uint8Array(Buffer.concat(chunks)) } : {}),
        signal: controller.signal,
      });
      const response = await handle(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      const reader = response.body?.getReader();
      for (let part = await reader?.read(); part !== undefined && !part.done; part = await reader!.read()) res.write(part.value);
      res.end();
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const provider = await startMockServer({ latencyMs: 5 });
  const fn = createHandler(provider.baseURL);
  const endpoint = await serve(fn.handle);
  const messages = [{ role: 'user' as const, content: 'Hi from a serverless caller' }];
  // Alice tries to pass herself off as bob: the function drops her x-modelmux-* headers.
  const alice = new OpenAI({ apiKey: 'app-token-alice', baseURL: endpoint.url, maxRetries: 0, defaultHeaders: { 'x-modelmux-user': 'bob' } });
  try {
    console.log(`serving on ${endpoint.url}`);
    const models = await alice.models.list();
    console.log(`1. models: ${models.data.map((model) => model.id).join(', ')}`);

    const res = await alice.chat.completions.create({ model: 'default', messages });
    console.log(`2. answer: ${res.choices[0]?.message.content}`);

    const stream = await alice.chat.completions.create({ model: 'default', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    console.log(`3. streamed over HTTP: ${text}`);

    try {
      await alice.chat.completions.create({ model: 'default', messages });
      throw new Error('expected a rate limit');
    } catch (error) {
      if (!(error instanceof OpenAI.RateLimitError)) throw error;
      console.log(`4. alice's 3rd request this minute: RateLimitError ${error.status} ${error.code}, retry-after ${error.headers?.get('retry-after')}s`);
    }

    const bob = new OpenAI({ apiKey: 'app-token-bob', baseURL: endpoint.url, maxRetries: 0 });
    const forBob = await bob.chat.completions.create({ model: 'default', messages });
    console.log(`5. bob has his own limit: ${forBob.choices[0]?.finish_reason}`);

    try {
      await new OpenAI({ apiKey: 'stolen', baseURL: endpoint.url, maxRetries: 0 }).chat.completions.create({ model: 'default', messages });
      throw new Error('expected an authentication error');
    } catch (error) {
      if (!(error instanceof OpenAI.AuthenticationError)) throw error;
      console.log(`6. unknown app token: AuthenticationError ${error.status}`);
    }
    console.log('done');
  } finally {
    await endpoint.close();
    fn.close();
    await provider.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
