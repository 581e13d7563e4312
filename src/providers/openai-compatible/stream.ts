import { InvalidResponseError } from '../../errors/classes.js';
import type { ChatCompletionChunk, CompletionUsage } from '../../request/types.js';
import type { AdapterContext, StreamEvent, StreamMapper } from '../adapter.js';
import { mapFinishReason } from '../shared/finish-reason.js';
import { isRecord, type JsonRecord, parseJson, stringifyJson } from '../shared/json.js';
import { normalizeOpenAIUsage } from '../shared/usage.js';
import { splitContent } from './content.js';
import { parseInBandError } from './errors.js';
import type { OpenAICompatiblePreset } from './preset.js';
import { finishError } from './response.js';

/** Tool-call index bookkeeping for one choice (Mistral/xAI send whole calls without `index`). */
interface ChoiceState {
  toolIds: Map<string, number>;
  nextToolIndex: number;
  lastToolIndex: number;
  sawToolCalls: boolean;
}

/**
 * Maps OpenAI-compatible SSE events to unified chunks, for one attempt. The freshly parsed chunk is
 * ours, so it is fixed up in place rather than rebuilt.
 *
 * Completion: `[DONE]` completes the stream; so does a `finish_reason` on every choice seen, so
 * that a stream ending cleanly after it counts as complete (DESIGN section 2). Chunks after the
 * finish (usage, Azure filter results) are still accepted.
 */
export class OpenAICompatibleStreamMapper implements StreamMapper {
  private done = false;
  private finished = false;
  private readonly open = new Set<number>();
  private readonly choices = new Map<number, ChoiceState>();
  private recordedUsage: CompletionUsage | undefined;
  private id = '';
  private model: string;
  private created = 0;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly preset: OpenAICompatiblePreset,
  ) {
    this.model = ctx.model;
  }

  get complete(): boolean {
    return this.done || (this.finished && this.open.size === 0);
  }

  get usage(): CompletionUsage | undefined {
    return this.recordedUsage;
  }

  get meta(): { id: string; model: string; created: number } {
    return { id: this.id, model: this.model, created: this.created };
  }

  push(event: StreamEvent, out: ChatCompletionChunk[]): void {
    const data = event.data;
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    if (data.trim() === '') return;
    const parsed = parseJson(data);
    if (!parsed.ok) throw this.invalid(`stream event is ${parsed.message}`);
    const chunk = parsed.value;
    if (!isRecord(chunk)) throw this.invalid('stream event is not a JSON object');
    if (event.event === 'error' || chunk.error != null) throw parseInBandError(chunk, undefined, this.ctx);

    if (chunk.usage !== undefined) {
      if (chunk.usage !== null) {
        const usage = normalizeOpenAIUsage(chunk.usage, this.preset.usage);
        if (usage !== undefined) this.recordedUsage = usage;
      }
      // Assigned, not deleted: `delete` would turn every chunk into a slow dictionary-mode object.
      chunk.usage = undefined;
    }
    const choices = chunk.choices;
    // Usage-only chunks and Azure's `prompt_filter_results` chunks carry no choice: not emitted.
    if (!Array.isArray(choices) || choices.length === 0) return;
    let meaningful = false;
    for (let i = 0; i < choices.length; i++) {
      const choice: unknown = choices[i];
      if (!isRecord(choice)) throw this.invalid(`choices[${i}] is not an object`);
      if (this.fixChoice(choice, i)) meaningful = true;
    }
    // Azure's trailing content-filter chunk has choices without `delta` or `finish_reason`.
    if (!meaningful) return;
    this.recordMeta(chunk);
    // The fields the chunk type promises, whatever the provider sent (no id, a numeric id, …).
    if (typeof chunk.id !== 'string') chunk.id = this.id;
    if (typeof chunk.model !== 'string') chunk.model = this.model;
    if (typeof chunk.created !== 'number' || !Number.isFinite(chunk.created)) chunk.created = this.created;
    if (chunk.object !== 'chat.completion.chunk') chunk.object = 'chat.completion.chunk';
    chunk.provider = this.ctx.provider;
    out.push(chunk as unknown as ChatCompletionChunk);
  }

  private recordMeta(chunk: JsonRecord): void {
    if (this.id !== '' || typeof chunk.id !== 'string' || chunk.id === '') return;
    this.id = chunk.id;
    if (typeof chunk.model === 'string' && chunk.model !== '') this.model = chunk.model;
    if (typeof chunk.created === 'number' && Number.isFinite(chunk.created)) this.created = chunk.created;
  }

  /** Fixes one choice in place; false when it carries neither a delta nor a finish reason. */
  private fixChoice(choice: JsonRecord, position: number): boolean {
    const raw = choice.finish_reason;
    if (typeof choice.index !== 'number' || !Number.isFinite(choice.index)) choice.index = position;
    if (choice.logprobs != null && !isRecord(choice.logprobs)) choice.logprobs = null;
    if (choice.delta === undefined && typeof raw !== 'string') {
      // Still well-formed, for a chunk that another choice makes worth emitting.
      choice.delta = {};
      choice.finish_reason = null;
      return false;
    }
    const index = choice.index as number;
    let state = this.choices.get(index);
    if (state === undefined) {
      state = { toolIds: new Map(), nextToolIndex: 0, lastToolIndex: 0, sawToolCalls: false };
      this.choices.set(index, state);
      this.open.add(index);
    }
    let delta = choice.delta;
    if (!isRecord(delta)) {
      delta = {};
      choice.delta = delta;
    }
    this.fixDelta(delta as JsonRecord, state);
    if (typeof raw !== 'string') {
      choice.finish_reason = null; // xAI omits it
      return true;
    }
    const finish = mapFinishReason(raw, state.sawToolCalls);
    if (finish === 'error') throw finishError(raw, this.ctx);
    choice.finish_reason = finish;
    this.finished = true;
    this.open.delete(index);
    return true;
  }

  private fixDelta(delta: JsonRecord, state: ChoiceState): void {
    if (delta.reasoning !== undefined) {
      // Groq, OpenRouter, Ollama: `reasoning` → `reasoning_content`.
      if (typeof delta.reasoning === 'string' && delta.reasoning_content == null) delta.reasoning_content = delta.reasoning;
      delete delta.reasoning;
    }
    if (Array.isArray(delta.content)) {
      // Mistral Magistral: content as thinking/text chunks.
      const { text, reasoning } = splitContent(delta.content);
      delta.content = text;
      if (reasoning !== null) delta.reasoning_content = reasoning;
    } else if (!isTextOrNull(delta.content)) {
      delta.content = null;
    }
    // Fields of the wrong type are dropped: consumers append these strings and walk these arrays.
    if (!isTextOrNull(delta.reasoning_content)) delta.reasoning_content = undefined;
    if (!isTextOrNull(delta.refusal)) delta.refusal = null;
    if (delta.role != null && delta.role !== 'assistant') delta.role = 'assistant';
    const details = delta.reasoning_details;
    if (details !== undefined && !(Array.isArray(details) && details.every(isRecord))) {
      delta.reasoning_details = Array.isArray(details) ? details.filter(isRecord) : undefined;
    }
    let calls = delta.tool_calls;
    if (calls === undefined) return;
    // Some servers send `"tool_calls": null` on every text delta.
    if (!Array.isArray(calls)) {
      delta.tool_calls = undefined;
      return;
    }
    if (!calls.every(isRecord)) {
      calls = calls.filter(isRecord);
      delta.tool_calls = calls;
    }
    for (const call of calls as JsonRecord[]) {
      state.sawToolCalls = true;
      this.fixToolCall(call);
      const id = typeof call.id === 'string' && call.id !== '' ? call.id : undefined;
      if (typeof call.index === 'number' && Number.isFinite(call.index)) {
        if (id !== undefined) state.toolIds.set(id, call.index);
        state.nextToolIndex = Math.max(state.nextToolIndex, call.index + 1);
      } else if (id !== undefined) {
        // Whole calls without `index` (Mistral, xAI): numbered by order of appearance.
        let index = state.toolIds.get(id);
        if (index === undefined) {
          index = state.nextToolIndex++;
          state.toolIds.set(id, index);
        }
        call.index = index;
      } else {
        call.index = state.lastToolIndex;
      }
      state.lastToolIndex = call.index as number;
      if (id !== undefined && call.type === undefined) call.type = 'function';
    }
  }

  /** A tool-call fragment's typed fields: strings (object arguments as JSON text), or nothing. */
  private fixToolCall(call: JsonRecord): void {
    if (!isTextOrNull(call.id)) call.id = undefined;
    if (call.type != null && call.type !== 'function') call.type = 'function';
    const fn = call.function;
    if (fn == null) return;
    if (!isRecord(fn)) {
      call.function = undefined;
      return;
    }
    if (!isTextOrNull(fn.name)) fn.name = undefined;
    if (isTextOrNull(fn.arguments)) return;
    if (!isRecord(fn.arguments)) {
      fn.arguments = undefined;
      return;
    }
    const text = stringifyJson(fn.arguments);
    if (text === undefined) throw this.invalid('tool call arguments are nested too deeply');
    fn.arguments = text;
  }

  private invalid(what: string): InvalidResponseError {
    return new InvalidResponseError(`${this.ctx.provider}: ${what}`, { provider: this.ctx.provider, model: this.ctx.model });
  }
}

function isTextOrNull(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}
