import { readFileSync } from 'node:fs';
import { createParser } from 'eventsource-parser';
import { HttpResponse } from 'msw';
import type { AdapterContext, StreamEvent, StreamMapper } from '../../../src/providers/adapter.js';
import type { ChatCompletionChunk, CompletionUsage, FinishReason, ReasoningDetail } from '../../../src/request/types.js';

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

export interface TestContext extends AdapterContext {
  warnings: string[];
}

export function context(model = 'claude-haiku-4-5', stream = false, provider = 'anthropic'): TestContext {
  const warnings: string[] = [];
  return { provider, model, stream, webSearch: false, warnings, warn: (message) => warnings.push(message) };
}

/** A header lookup over a plain object (names matched case-insensitively). */
export function headerLookup(headers: Record<string, string> = {}): (name: string) => string | null {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase()) ?? null;
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

export interface CollectedToolCall {
  index: number;
  id: string | undefined;
  type: string | undefined;
  name: string;
  arguments: string;
}

/** What a stream added up to, the way a consumer accumulates it. */
export interface Collected {
  chunks: ChatCompletionChunk[];
  content: string;
  reasoning: string;
  reasoningDetails: ReasoningDetail[];
  toolCalls: CollectedToolCall[];
  finishReason: FinishReason | null;
  usage: CompletionUsage | undefined;
}

export function collect(chunks: ChatCompletionChunk[]): Collected {
  const out: Collected = { chunks, content: '', reasoning: '', reasoningDetails: [], toolCalls: [], finishReason: null, usage: undefined };
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      const delta = choice.delta;
      out.content += delta.content ?? '';
      out.reasoning += delta.reasoning_content ?? '';
      out.reasoningDetails.push(...(delta.reasoning_details ?? []));
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

export async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
