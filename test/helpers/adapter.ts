/** Shared helpers for adapter tests: a recording AdapterContext, header lookups, stream accumulation. */
import type { AdapterContext } from '../../src/providers/adapter.js';
import type { ChatCompletionChunk, CompletionUsage, FinishReason, ReasoningDetail } from '../../src/request/types.js';

export interface TestContext extends AdapterContext {
  warnings: string[];
}

/** An AdapterContext that records warnings. */
export function testContext(provider: string, model: string, stream = false): TestContext {
  const warnings: string[] = [];
  return { provider, model, stream, webSearch: false, warnings, warn: (message) => warnings.push(message) };
}

/** A case-insensitive header lookup over a plain object, as adapters receive it. */
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

export interface Collected {
  chunks: ChatCompletionChunk[];
  content: string;
  reasoning: string;
  reasoningDetails: ReasoningDetail[];
  toolCalls: CollectedToolCall[];
  finishReason: FinishReason | null;
  usage: CompletionUsage | undefined;
}

/** What a stream adds up to, as a consumer would accumulate it. */
export function collect(chunks: ChatCompletionChunk[], usage?: CompletionUsage): Collected {
  const out: Collected = { chunks, content: '', reasoning: '', reasoningDetails: [], toolCalls: [], finishReason: null, usage };
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
