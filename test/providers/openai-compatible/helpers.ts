import { readFileSync } from 'node:fs';
import { createParser } from 'eventsource-parser';
import type { AdapterContext, StreamEvent, StreamMapper } from '../../../src/providers/adapter.js';
import type { ChatCompletionChunk, CompletionUsage, FinishReason } from '../../../src/request/types.js';

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

export interface TestContext extends AdapterContext {
  warnings: string[];
}

export function context(provider: string, model: string, stream = false): TestContext {
  const warnings: string[] = [];
  return { provider, model, stream, webSearch: false, warnings, warn: (message) => warnings.push(message) };
}

/** A header lookup over a plain object (names matched case-insensitively). */
export function headerLookup(headers: Record<string, string> = {}): (name: string) => string | null {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase()) ?? null;
}

export interface CollectedToolCall {
  index: number;
  id: string | undefined;
  type: string | undefined;
  name: string;
  arguments: string;
}

/** What a stream added up to, the way a consumer would accumulate it. */
export interface Collected {
  chunks: ChatCompletionChunk[];
  content: string;
  reasoning: string;
  toolCalls: CollectedToolCall[];
  finishReason: FinishReason | null;
  usage: CompletionUsage | undefined;
}

export function collect(chunks: ChatCompletionChunk[], usage?: CompletionUsage): Collected {
  const out: Collected = { chunks, content: '', reasoning: '', toolCalls: [], finishReason: null, usage };
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      const delta = choice.delta;
      out.content += delta.content ?? '';
      out.reasoning += delta.reasoning_content ?? '';
      for (const call of delta.tool_calls ?? []) {
        let entry = out.toolCalls.find((c) => c.index === call.index);
        if (entry === undefined) {
          entry = { index: call.index, id: undefined, type: undefined, name: '', arguments: '' };
          out.toolCalls.push(entry);
        }
        entry.id ??= call.id;
        entry.type ??= call.type;
        entry.name += call.function?.name ?? '';
        entry.arguments += call.function?.arguments ?? '';
      }
      if (choice.finish_reason !== null) out.finishReason = choice.finish_reason;
    }
    if (chunk.usage) out.usage = chunk.usage;
  }
  return out;
}

/** Feeds every event of a transcript to a mapper. */
export function runMapper(mapper: StreamMapper, text: string): ChatCompletionChunk[] {
  const out: ChatCompletionChunk[] = [];
  for (const event of sseEvents(text)) mapper.push(event, out);
  return out;
}
