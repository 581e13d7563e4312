/**
 * The OpenAI-compatible adapter driven directly, for every preset: request building, response
 * and stream mapping against fixtures in each provider's wire format, and error mapping.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ModelmuxError } from '../../../src/errors/index.js';
import { CASES, type PresetCase } from './cases.js';
import { collect, context, fixture, fixtureJson, headerLookup, runMapper } from './helpers.js';
import { expectedBody, standardRequest } from './request-fixtures.js';

const ENV = [
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'AZURE_OPENAI_API_KEY',
  'AZURE_OPENAI_ENDPOINT',
  'AZURE_RESOURCE_NAME',
  'OPENAI_API_VERSION',
  'DEEPSEEK_API_KEY',
  'GROQ_API_KEY',
  'XAI_API_KEY',
  'MISTRAL_API_KEY',
  'TOGETHER_API_KEY',
  'FIREWORKS_API_KEY',
  'OPENROUTER_API_KEY',
  'OLLAMA_API_KEY',
  'OLLAMA_HOST',
];

beforeEach(() => {
  vi.unstubAllEnvs();
  for (const name of ENV) vi.stubEnv(name, '');
});

describe.each(CASES)('$key preset (adapter level)', (c) => {
  it.each([false, true])('builds the request (stream: %s)', (stream) => {
    const adapter = c.create();
    const ctx = context(c.key, c.model, stream);
    const params = standardRequest(c.model, stream);
    const snapshot = structuredClone(params);
    const request = adapter.buildRequest(params, ctx);
    expect(request).not.toBeInstanceOf(Promise);
    if (request instanceof Promise) return;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(c.url);
    expect(request.headers).toEqual({
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      ...c.auth,
    });
    expect(JSON.parse(request.body as string)).toEqual(expectedBody(c, stream));
    expect(ctx.warnings.map((w) => /"(\w+)"/.exec(w)?.[1])).toEqual(c.body.warned);
    expect(params).toEqual(snapshot);
  });

  it('maps a text response', () => {
    const ctx = context(c.key, c.model);
    const res = c.create().parseResponse(fixtureJson(c.fixtures, 'text.json'), ctx, headerLookup());
    expect(res.provider).toBe(c.key);
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe(c.text.model);
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.choices[0]?.message.content).toBe(c.text.content);
    expect(res.choices[0]?.message.reasoning_content).toBe(c.text.reasoning);
    expect(res.choices[0]?.message.tool_calls).toBeUndefined();
    expect(res.usage).toEqual(c.text.usage);
  });

  it('maps a tool-call response', () => {
    const ctx = context(c.key, c.model);
    const res = c.create().parseResponse(fixtureJson(c.fixtures, 'tool-call.json'), ctx, headerLookup());
    expect(res.choices[0]?.finish_reason).toBe(c.toolCall.finish);
    expect(res.choices[0]?.message.tool_calls).toEqual(
      c.toolCall.calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    );
    expect(res.usage).toEqual(c.toolCall.usage);
  });

  it('maps a streamed text answer', () => {
    const mapper = c.create().createStreamMapper(context(c.key, c.model, true));
    expect(mapper.complete).toBe(false);
    const chunks = runMapper(mapper, fixture(c.fixtures, 'stream-text.sse'));
    const got = collect(chunks, mapper.usage);
    expect(mapper.complete).toBe(true);
    expect(got.content).toBe(c.streamText.content);
    expect(got.reasoning).toBe(c.streamText.reasoning ?? '');
    expect(got.finishReason).toBe('stop');
    expect(got.usage).toEqual(c.streamText.usage);
    expect(chunks).toHaveLength(c.streamText.chunks);
    for (const chunk of chunks) {
      expect(chunk.provider).toBe(c.key);
      expect(chunk.usage).toBeUndefined();
      expect(chunk.choices.length).toBeGreaterThan(0);
      expect(chunk.choices[0]?.delta).not.toHaveProperty('reasoning');
    }
    expect(mapper.meta.id).toBe(chunks[0]?.id);
    expect(mapper.meta.id).not.toBe('');
    expect(mapper.meta.created).toBeGreaterThan(0);
  });

  it('maps a streamed tool call', () => {
    const mapper = c.create().createStreamMapper(context(c.key, c.model, true));
    const got = collect(runMapper(mapper, fixture(c.fixtures, 'stream-tool-call.sse')), mapper.usage);
    expect(mapper.complete).toBe(true);
    expect(got.finishReason).toBe('tool_calls');
    expect(got.toolCalls).toEqual(
      c.streamTool.calls.map((call, index) => ({ index, id: call.id, type: 'function', name: call.name, arguments: call.arguments })),
    );
    expect(got.reasoning).toBe(c.streamTool.reasoning ?? '');
    expect(got.usage).toEqual(c.streamTool.usage);
  });

  it.each(c.errors)('maps error $file ($status)', (e) => {
    const ctx = context(c.key, c.model);
    const error = c.create().parseError(e.status, fixture(c.fixtures, e.file), headerLookup(e.headers), ctx);
    expect(ModelmuxError.isInstance(error)).toBe(true);
    expect(error.name).toBe(e.expect.name);
    expect(error.code).toBe(e.expect.code);
    expect(error.retryable).toBe(e.expect.retryable);
    expect(error.status).toBe(e.status);
    expect(error.provider).toBe(c.key);
    expect(error.model).toBe(c.model);
    expect(error.message).toContain(e.expect.messageIncludes);
    expect(error.message.startsWith(`${c.key} ${e.status}: `)).toBe(true);
    if (e.expect.providerCode !== undefined) expect(error.providerCode).toBe(e.expect.providerCode);
    if (e.expect.requestId !== undefined) expect(error.requestId).toBe(e.expect.requestId);
    if ('retryAfterMs' in error) expect(error.retryAfterMs).toBe(e.expect.retryAfterMs);
  });

  it('never throws at creation for a missing key, and reports it', () => {
    const adapter = c.create();
    expect(adapter.kind).toBe('openai-compatible');
    expect(adapter.streamFormat).toBe('sse');
    expect(adapter.hasCredentials()).toBe(true);
  });
});
