import { type TestContext, testContext } from '../../helpers/adapter.js';
import { readFileSync } from 'node:fs';
import { createParser } from 'eventsource-parser';
import { HttpResponse } from 'msw';
import type { StreamEvent, StreamMapper } from '../../../src/providers/adapter.js';
import type { ChatCompletionChunk } from '../../../src/request/types.js';

const FIXTURES = new URL('../../fixtures/anthropic/', import.meta.url);

export const API_KEY = 'sk-ant-api03-modelmux-test-key-0123456789';
export const MESSAGES_URL = 'https://api.anthropic.com/v1/messages';

/** A fixture file's exact text. */
export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export function fixtureJson(name: string): unknown {
  return JSON.parse(fixture(name)) as unknown;
}

/** Splits an SSE transcript into the events the core hands a mapper. */
export function sseEvents(text: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  const parser = createParser({ onEvent: (event) => events.push({ event: event.event, data: event.data }) });
  parser.feed(text);
  return events;
}

/** Feeds every event of a transcript to a mapper. */
export function runMapper(mapper: StreamMapper, text: string): ChatCompletionChunk[] {
  const out: ChatCompletionChunk[] = [];
  for (const event of sseEvents(text)) mapper.push(event, out);
  return out;
}

export { type Collected, type CollectedToolCall, collect, headerLookup, type TestContext } from '../../helpers/adapter.js';

export function context(model = 'claude-haiku-4-5', stream = false, provider = 'anthropic'): TestContext {
  return testContext(provider, model, stream);
}

/** An SSE body delivered in uneven pieces, as a network would. */
export function sseResponse(text: string): Response {
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 89) controller.enqueue(bytes.subarray(at, at + 89));
      controller.close();
    },
  });
  return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
}

export function jsonResponse(text: string, status = 200, headers: Record<string, string> = {}): Response {
  return new HttpResponse(text, { status, headers: { 'content-type': 'application/json', ...headers } });
}


export async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
