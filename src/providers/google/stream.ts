import { InvalidResponseError } from '../../errors/classes.js';
import type { ChatCompletionChunk, ChatCompletionChunkChoice, ChatCompletionChunkDelta, CompletionUsage } from '../../request/types.js';
import type { AdapterContext, StreamEvent, StreamMapper } from '../adapter.js';
import { isRecord, type JsonRecord, parseJson, readNumber, readString } from '../shared/json.js';
import { parseInBandError } from './errors.js';
import { newCompletionId } from './ids.js';
import { blockedPrompt, finishReason, mapLogprobs, readParts, unmappedWarner } from './parts.js';
import { createdAt } from './response.js';
import { mapUsage } from './usage.js';

interface CandidateState {
  started: boolean;
  finished: boolean;
  /** Tool calls seen so far: their count is the next tool-call index; any makes STOP `tool_calls`. */
  toolCalls: number;
}

/**
 * Maps `streamGenerateContent?alt=sse` events to unified chunks, for one attempt. Each event is a
 * whole `GenerateContentResponse` with incremental parts: text → `content`, thought text →
 * `reasoning_content`, a function call (always whole) → one tool-call delta with its id, name and
 * full arguments, thought signatures → `reasoning_details` (same entries as the non-stream answer).
 *
 * There is no `[DONE]`: the stream is complete once every candidate seen carries `finishReason`
 * (then a clean end of the body). Usage is cumulative, so the last `usageMetadata` wins.
 */
export class GoogleStreamMapper implements StreamMapper {
  private readonly candidates = new Map<number, CandidateState>();
  private recordedUsage: CompletionUsage | undefined;
  private id = '';
  private model: string;
  private created = 0;
  private readonly warnUnmapped: (kind: string) => void;

  constructor(private readonly ctx: AdapterContext) {
    this.model = ctx.model;
    this.warnUnmapped = unmappedWarner(ctx);
  }

  get complete(): boolean {
    if (this.candidates.size === 0) return false;
    for (const state of this.candidates.values()) if (!state.finished) return false;
    return true;
  }

  get usage(): CompletionUsage | undefined {
    return this.recordedUsage;
  }

  get meta(): { id: string; model: string; created: number } {
    return { id: this.id, model: this.model, created: this.created };
  }

  push(event: StreamEvent, out: ChatCompletionChunk[]): void {
    if (event.data.trim() === '') return;
    const parsed = parseJson(event.data);
    if (!parsed.ok) throw this.invalid(`stream event is ${parsed.message}`);
    const frame = parsed.value;
    if (!isRecord(frame)) throw this.invalid('stream event is not a JSON object');
    if (isRecord(frame.error)) throw parseInBandError(frame, this.ctx);
    this.recordMeta(frame);
    const usage = mapUsage(frame.usageMetadata);
    if (usage !== undefined) this.recordedUsage = usage;

    const candidates = Array.isArray(frame.candidates) ? frame.candidates : [];
    if (candidates.length === 0) {
      const blocked = blockedPrompt(frame, this.ctx);
      if (blocked !== undefined) throw blocked;
      return;
    }
    const choices: ChatCompletionChunkChoice[] = [];
    candidates.forEach((candidate, position) => {
      if (!isRecord(candidate)) throw this.invalid(`candidates[${position}] is not an object`);
      const choice = this.mapCandidate(candidate, position);
      if (choice !== undefined) choices.push(choice);
    });
    if (choices.length === 0) return;
    out.push({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices,
      provider: this.ctx.provider,
    });
  }

  private recordMeta(frame: JsonRecord): void {
    if (this.id !== '') return;
    this.id = readString(frame.responseId) ?? newCompletionId();
    this.model = readString(frame.modelVersion) ?? this.ctx.model;
    this.created = createdAt(frame);
  }

  private mapCandidate(candidate: JsonRecord, position: number): ChatCompletionChunkChoice | undefined {
    const index = readNumber(candidate.index) ?? position;
    let state = this.candidates.get(index);
    if (state === undefined) {
      state = { started: false, finished: false, toolCalls: 0 };
      this.candidates.set(index, state);
    }
    const parts = readParts(candidate.content, this.warnUnmapped, this.ctx);
    const delta: ChatCompletionChunkDelta = {};
    if (parts.text !== undefined && parts.text !== '') delta.content = parts.text;
    if (parts.reasoning !== undefined && parts.reasoning !== '') delta.reasoning_content = parts.reasoning;
    if (parts.toolCalls.length > 0) {
      delta.tool_calls = parts.toolCalls.map((call) => ({
        index: state.toolCalls++,
        id: call.id,
        type: 'function' as const,
        function: { name: call.function.name, arguments: call.function.arguments },
      }));
    }
    if (parts.signatures.length > 0) delta.reasoning_details = parts.signatures;
    const finish = finishReason(candidate, state.toolCalls > 0, this.ctx);
    const logprobs = mapLogprobs(candidate.logprobsResult);
    if (Object.keys(delta).length === 0 && finish === null && logprobs === null) return undefined;
    if (!state.started) {
      state.started = true;
      delta.role = 'assistant';
    }
    if (finish !== null) state.finished = true;
    const choice: ChatCompletionChunkChoice = { index, delta: orderRoleFirst(delta), finish_reason: finish };
    if (logprobs !== null) choice.logprobs = logprobs;
    return choice;
  }

  private invalid(what: string): InvalidResponseError {
    return new InvalidResponseError(`${this.ctx.provider}: ${what}`, { provider: this.ctx.provider, model: this.ctx.model });
  }
}

/** `role` first, as OpenAI writes it (cosmetic: serialized chunks read naturally). */
function orderRoleFirst(delta: ChatCompletionChunkDelta): ChatCompletionChunkDelta {
  if (delta.role === undefined) return delta;
  const { role, ...rest } = delta;
  return { role, ...rest };
}
