import { describe, expect, it } from 'vitest';
import { createGateway, openai, openaiCompatible, ValidationError } from '../../src/index.js';

const providers = {
  openai: openai({ apiKey: 'sk-test-validation-000000000000' }),
  llama: openaiCompatible({ name: 'llama', baseURL: 'http://127.0.0.1:9/v1' }),
};
const mux = createGateway({ providers, models: { fast: 'llama/tiny', loop: 'loop' } });
const create = (params: unknown, options?: unknown) =>
  // Deliberately untyped: these are the inputs a JavaScript caller can send.
  (mux.chat.completions.create as (p: unknown, o?: unknown) => Promise<unknown>)(params, options);

async function validationError(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

const user = { role: 'user', content: 'hi' };

describe('request validation, before anything is sent', () => {
  it.each([
    ['a missing model', { messages: [user] }, 'model'],
    ['no messages', { model: 'llama/tiny', messages: [] }, 'messages'],
    ['a message with an unknown role', { model: 'llama/tiny', messages: [{ role: 'robot', content: 'x' }] }, 'messages.0.role'],
    ['content of the wrong type', { model: 'llama/tiny', messages: [{ role: 'user', content: 42 }] }, 'messages.0.content'],
    ['a tool message without tool_call_id', { model: 'llama/tiny', messages: [user, { role: 'tool', content: 'x' }] }, 'messages.1.tool_call_id'],
    ['an image part without a url', { model: 'llama/tiny', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, 'messages.0.content'],
    ['an empty assistant message', { model: 'llama/tiny', messages: [user, { role: 'assistant' }] }, 'messages.1'],
    ['temperature out of range', { model: 'llama/tiny', messages: [user], temperature: 3 }, 'temperature'],
    ['max_tokens as a string', { model: 'llama/tiny', messages: [user], max_tokens: '100' }, 'max_tokens'],
    ['a misspelt field', { model: 'llama/tiny', messages: [user], max_token: 100 }, 'max_token'],
    ['stream_options without stream', { model: 'llama/tiny', messages: [user], stream_options: { include_usage: true } }, 'stream_options'],
    ['a forced tool that does not exist', { model: 'llama/tiny', messages: [user], tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice.function.name'],
    ['a bad tool name', { model: 'llama/tiny', messages: [user], tools: [{ type: 'function', function: { name: 'has space' } }] }, 'tools.0.function.name'],
    ['an unknown provider', { model: 'nobody/model', messages: [user] }, 'model'],
    ['a known but unconfigured provider', { model: 'anthropic/claude-haiku-4-5', messages: [user] }, 'model'],
    ['a bare model no configured provider serves', { model: 'claude-haiku-4-5', messages: [user] }, 'model'],
    ['an alias that refers to itself', { model: 'loop', messages: [user] }, 'model'],
    ['a bad per-request fallback', { model: 'llama/tiny', models: ['nobody/x'], messages: [user] }, 'models.0'],
  ])('%s → ValidationError naming %s', async (_name, params, field) => {
    const error = await validationError(create(params));
    expect(error.field).toBe(field);
    expect(error.code).toBe('validation_error');
    expect(error.retryable).toBe(false);
    expect(error.message.startsWith(field)).toBe(true);
  });

  it('names the expected type', async () => {
    const error = await validationError(create({ model: 'llama/tiny', messages: [user], max_tokens: '100' }));
    expect(error.message).toMatch(/number/);
  });

  it('rejects bad request options', async () => {
    const error = await validationError(create({ model: 'llama/tiny', messages: [user] }, { timeoutMs: -1 }));
    expect(error.field).toBe('options.timeoutMs');
    const unknown = await validationError(create({ model: 'llama/tiny', messages: [user] }, { scoope: {} }));
    expect(unknown.field).toBe('options.scoope');
  });

  it('accepts an assistant message replayed from a response', async () => {
    // validation passes; the request then fails to connect (port 9 is closed) — a different, typed error
    const error = await create(
      {
        model: 'fast',
        messages: [user, { role: 'assistant', content: 'Hello!', refusal: null, annotations: [] }, user],
      },
      { timeoutMs: 2000 },
    ).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ValidationError);
  });
});

describe('config validation', () => {
  it.each([
    ['a provider that is not an adapter', { providers: { openai: { apiKey: 'x' } } }, 'config.providers.openai'],
    ['a provider key with a slash', { providers: { 'a/b': providers.llama } }, 'config.providers.a/b'],
    ['a negative retry count', { retry: { maxRetries: -1 } }, 'config.retry.maxRetries'],
    ['an unknown option', { budgets: {} }, 'config.budgets'],
    ['a non-numeric timeout', { timeoutMs: '30s' }, 'config.timeoutMs'],
    ['an empty alias list', { models: { fast: [] } }, 'config.models.fast'],
  ])('%s → ValidationError naming %s', (_name, config, field) => {
    let error: unknown;
    try {
      createGateway(config as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });
});
