import { type TestContext, testContext } from '../../helpers/adapter.js';
import { readFileSync } from 'node:fs';
import { createParser } from 'eventsource-parser';
import type { AdapterContext, StreamEvent, StreamMapper } from '../../../src/providers/adapter.js';
import type { ChatCompletionChunk } from '../../../src/request/types.js';

const FIXTURES = new URL('../../fixtures/openai-compatible/', import.meta.url);

/** A fixture file's exact text. */
export function fixture(preset: string, name: string): string {
  return readFileSync(new URL(`${preset}/${name}`, FIXTURES), 'utf8');
}

export function fixtureJson(preset: string, name: string): unknown {
  return JSON.parse(fixture(preset, name)) as unknown;
}

/** Splits an SSE transcript into the events the core would hand a mapper (comments never reach it). */
export function sseEvents(text: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  const parser = createParser({ onEvent: (event) => events.push({ event: event.event, data: event.data }) });
  parser.feed(text);
  return events;
}

export { collect, type Collected, type CollectedToolCall, headerLookup, type TestContext } from '../../helpers/adapter.js';

/** An AdapterContext that records warnings. */
export function context(provider: string, model: string, stream = false): TestContext {
  return testContext(provider, model, stream);
}

/** Feeds every event of a transcript to a mapper. */
export function runMapper(mapper: StreamMapper, text: string): ChatCompletionChunk[] {
  const out: ChatCompletionChunk[] = [];
  for (const event of sseEvents(text)) mapper.push(event, out);
  return out;
}
