import { readFileSync } from 'node:fs';
import type { ProviderAdapter } from '../../../src/providers/adapter.js';
import type { AssistantMessageParam, ChatCompletionCreateParams, ReasoningDetail } from '../../../src/request/types.js';
import { type Collected, context, type TestContext } from '../openai-compatible/helpers.js';

export { collect, context, headerLookup, runMapper, sseEvents, type TestContext } from '../openai-compatible/helpers.js';

const FIXTURES = new URL('../../fixtures/google/', import.meta.url);

/** A fixture file's exact text. */
export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export function fixtureJson(name: string): unknown {
  return JSON.parse(fixture(name)) as unknown;
}

/** Looks like a real key; error texts must never contain it. */
export const KEY = 'AIzaSyD-modelmux-test-key-0123456789ab';
export const HOST = 'https://generativelanguage.googleapis.com';

/** The signatures the fixtures carry. */
export const TOOL_SIGNATURE =
  'CqgCAdHtim9tVhb3Kx0L1mP7aYQz4cE2r8sWnJ5uFgD6oB3kXiR0vNl9HwTyZe1AqMs7UcPjOf2GdKbLh4VxIyw8Sn+ERtQpa/Z3oM6iC5gJ0kDl1XfWvB7sN9uY2mHq4zTeA8rKj3cVbPxGnO5w==';
export const PARALLEL_SIGNATURE =
  'CtMBAdHtim8Qw3ZrNf0yT6aUjLxE1sP9vKc2bHmG4oD7iR5nXeA8lW0qYzS3tBgVuJ6pMdF+kOhIrC1wN2yL4xQ7aZ9vE5sT0uK8mB3nG6jH1pR4oW2eD7cY9fA5iL0qS3tU6vX8zB2nM4kJ7hG1fD9sA==';
export const TEXT_SIGNATURE =
  'Ct0DAdHtim/7pQ2xV9sL0eK3mZ8rT4uN1bY6cW5oA2jH9iG0fD7kS3lE8vR1tP4qX6zB9nM2wC5yU0aJ7hF3gK8dL1oI4sQ6eT9uV2rW5xY8zA3bC7dE0fG4hJ6kL9mN2oP5qR8sT1uV4wX7yZ0aB3cD6eF9gH2iJ5kL8mN1oP4q==';

export const TOOL_ID = /^call_[A-Za-z0-9]{24}$/;

/** The assistant message a caller would rebuild from a stream, ready to be replayed. */
export function assistantFromStream(got: Collected): AssistantMessageParam {
  const details: ReasoningDetail[] = [];
  for (const chunk of got.chunks) for (const choice of chunk.choices) details.push(...(choice.delta.reasoning_details ?? []));
  const message: AssistantMessageParam = { role: 'assistant', content: got.content === '' ? null : got.content };
  if (got.reasoning !== '') message.reasoning_content = got.reasoning;
  if (got.toolCalls.length > 0) {
    message.tool_calls = got.toolCalls.map((call) => ({ id: call.id ?? '', type: 'function', function: { name: call.name, arguments: call.arguments } }));
  }
  if (details.length > 0) message.reasoning_details = details;
  return message;
}

/** Builds a request synchronously and returns it with its parsed body. */
export function build(adapter: ProviderAdapter, params: Partial<ChatCompletionCreateParams>, ctx: TestContext = context('google', 'gemini-2.5-flash')) {
  const request = adapter.buildRequest(
    { model: ctx.model, messages: [{ role: 'user', content: 'Hi' }], ...params } as ChatCompletionCreateParams,
    ctx,
  );
  if (request instanceof Promise) throw new Error('expected a synchronous request');
  return { request, body: JSON.parse(request.body as string) as Record<string, unknown>, ctx };
}

export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
