/**
 * Every preset through the public API (`createGateway` + `chat.completions.create`) against msw,
 * with fixtures in each provider's wire format. Asserts the unified result and what was sent.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChatCompletionChunk, createGateway, ModelmuxError } from '../../../src/index.js';
import { CASES, type PresetCase } from './cases.js';
import { collect, fixture } from './helpers.js';
import { expectedBody, standardRequest } from './request-fixtures.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const ENV = ['OPENAI_BASE_URL', 'AZURE_OPENAI_ENDPOINT', 'AZURE_RESOURCE_NAME', 'OPENAI_API_VERSION', 'OLLAMA_API_KEY', 'OLLAMA_HOST'];
beforeEach(() => {
  vi.unstubAllEnvs();
  for (const name of ENV) vi.stubEnv(name, '');
});

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Serves one answer on the preset's endpoint and records what the adapter sent. */
function serve(c: PresetCase, respond: () => Response): Sent[] {
  const sent: Sent[] = [];
  const path = c.url.split('?')[0] as string;
  server.use(
    http.post(path, async ({ request }) => {
      sent.push({ url: request.url, headers: Object.fromEntries(request.headers), body: await request.json() });
      return respond();
    }),
  );
  return sent;
}

/** An SSE body delivered in uneven pieces, as a network would. */
function sse(text: string): Response {
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 97) controller.enqueue(bytes.subarray(at, at + 97));
      controller.close();
    },
  });
  return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
}

function json(text: string, status = 200, headers: Record<string, string> = {}): Response {
  return new HttpResponse(text, { status, headers: { 'content-type': 'application/json', ...headers } });
}

function gateway(c: PresetCase) {
  return createGateway({ providers: { [c.key]: c.create() }, retry: { maxRetries: 0 } });
}

function expectSent(c: PresetCase, sent: Sent[], stream: boolean): void {
  expect(sent).toHaveLength(1);
  const [request] = sent as [Sent];
  expect(request.url).toBe(c.url);
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers.accept).toBe(stream ? 'text/event-stream' : 'application/json');
  for (const [name, value] of Object.entries(c.auth)) expect(request.headers[name]).toBe(value);
  if (Object.keys(c.auth).length === 0) expect(request.headers.authorization).toBeUndefined();
  expect(request.body).toEqual(expectedBody(c, stream));
}

async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe.each(CASES)('$key through the public API', (c) => {
  const model = `${c.key}/${c.model}`;

  it('answers a text request', async () => {
    const sent = serve(c, () => json(fixture(c.fixtures, 'text.json')));
    const res = await gateway(c).chat.completions.create({ ...standardRequest(model, false) });
    expectSent(c, sent, false);
    expect(res.provider).toBe(c.key);
    expect(res.choices[0]?.message.content).toBe(c.text.content);
    expect(res.choices[0]?.message.reasoning_content).toBe(c.text.reasoning);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage.prompt_tokens).toBe(c.text.usage.prompt_tokens);
    expect(res.usage.completion_tokens).toBe(c.text.usage.completion_tokens);
    expect(res.usage.total_tokens).toBe(c.text.usage.total_tokens);
    expect(res.usage.prompt_tokens_details).toEqual(c.text.usage.prompt_tokens_details);
    expect(res.usage.completion_tokens_details).toEqual(c.text.usage.completion_tokens_details);
  });

  it('answers a tool call', async () => {
    serve(c, () => json(fixture(c.fixtures, 'tool-call.json')));
    const res = await gateway(c).chat.completions.create({ ...standardRequest(model, false) });
    expect(res.choices[0]?.finish_reason).toBe('tool_calls');
    expect(res.choices[0]?.message.tool_calls).toEqual(
      c.toolCall.calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    );
  });

  it('streams text', async () => {
    const sent = serve(c, () => sse(fixture(c.fixtures, 'stream-text.sse')));
    const stream = await gateway(c).chat.completions.create({ ...standardRequest(model, true), stream_options: { include_usage: true } });
    const got = collect(await drain(stream));
    expectSent(c, sent, true);
    expect(got.content).toBe(c.streamText.content);
    expect(got.reasoning).toBe(c.streamText.reasoning ?? '');
    expect(got.finishReason).toBe('stop');
    expect(got.usage?.prompt_tokens).toBe(c.streamText.usage.prompt_tokens);
    expect(got.usage?.completion_tokens).toBe(c.streamText.usage.completion_tokens);
    for (const chunk of got.chunks) expect(chunk.provider).toBe(c.key);
  });

  it('streams a tool call with argument fragments', async () => {
    serve(c, () => sse(fixture(c.fixtures, 'stream-tool-call.sse')));
    const stream = await gateway(c).chat.completions.create({ ...standardRequest(model, true), stream_options: { include_usage: true } });
    const got = collect(await drain(stream));
    expect(got.finishReason).toBe('tool_calls');
    expect(got.toolCalls).toEqual(
      c.streamTool.calls.map((call, index) => ({ index, id: call.id, type: 'function', name: call.name, arguments: call.arguments })),
    );
    expect(got.usage?.completion_tokens).toBe(c.streamTool.usage.completion_tokens);
  });

  it.each(c.errors)('throws the typed error for $file ($status)', async (e) => {
    serve(c, () => json(fixture(c.fixtures, e.file), e.status, e.headers));
    const error: unknown = await gateway(c)
      .chat.completions.create({ ...standardRequest(model, false) })
      .then(() => undefined, (err: unknown) => err);
    expect(ModelmuxError.isInstance(error)).toBe(true);
    if (!ModelmuxError.isInstance(error)) return;
    expect(error.name).toBe(e.expect.name);
    expect(error.code).toBe(e.expect.code);
    expect(error.status).toBe(e.status);
    expect(error.provider).toBe(c.key);
    expect(error.message).toContain(e.expect.messageIncludes);
    if ('retryAfterMs' in error && e.expect.retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(e.expect.retryAfterMs);
    expect(JSON.stringify(error)).not.toContain(Object.values(c.auth)[0] ?? '\u0000');
  });
});
