import { InvalidResponseError } from '../../errors/classes.js';
import type { ChatCompletionChunk, ChatCompletionChunkDelta, CompletionUsage, FinishReason } from '../../request/types.js';
import type { AdapterContext, StreamEvent, StreamMapper } from '../adapter.js';
import { isRecord, type JsonRecord, parseJson, readNumber, readString } from '../shared/json.js';
import { parseInBandError } from './errors.js';
import { encryptedDetail, textDetail } from './reasoning.js';
import { anthropicUsage, mapStopReason, toolArguments } from './response.js';

/** What is known about one open content block, by Anthropic's block index. */
type Block =
  | { kind: 'text' }
  | { kind: 'tool'; index: number; sentArguments: boolean; input: unknown }
  | { kind: 'thinking'; text: string; signature: string | undefined }
  | { kind: 'other' };

/**
 * Maps Anthropic Messages SSE events to unified chunks, for one attempt.
 *
 * - `message_start` gives the id, model and input usage, and the first chunk (`role: assistant`);
 * - `content_block_start` of a `tool_use` block is the first tool-call fragment (id, name,
 *   `arguments: ''`); tool-call `index` counts tool calls only (0, 1, …), not content blocks;
 * - `text_delta` → `content`, `input_json_delta` → argument fragments, `thinking_delta` →
 *   `reasoning_content`; `signature_delta` is kept until the block stops, then the whole block is
 *   sent as one `delta.reasoning_details` entry (text + signature), as in the non-streamed message;
 *   a `redacted_thinking` block is sent as a `reasoning.encrypted` detail when it starts;
 * - a `tool_use` block that streamed no input sends `{}` when it stops;
 * - `message_delta` carries the stop reason (the finish chunk) and CUMULATIVE usage: the last
 *   value of each field wins, nothing is summed;
 * - `message_stop` completes the stream; `ping` is a keep-alive; an `error` event throws its
 *   typed error (`overloaded_error` → `ProviderOverloadedError`, retryable).
 */
export class AnthropicStreamMapper implements StreamMapper {
  private done = false;
  private readonly blocks = new Map<number, Block>();
  private toolCount = 0;
  private detailCount = 0;
  private rawUsage: JsonRecord | undefined;
  private id = '';
  private model: string;
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly ctx: AdapterContext) {
    this.model = ctx.model;
  }

  get complete(): boolean {
    return this.done;
  }

  get usage(): CompletionUsage | undefined {
    return this.rawUsage === undefined ? undefined : anthropicUsage(this.rawUsage);
  }

  get meta(): { id: string; model: string; created: number } {
    return { id: this.id, model: this.model, created: this.created };
  }

  isKeepAlive(event: StreamEvent): boolean {
    return event.event === 'ping';
  }

  push(event: StreamEvent, out: ChatCompletionChunk[]): void {
    if (event.data.trim() === '') return;
    const parsed = parseJson(event.data);
    if (!parsed.ok) throw this.invalid(`stream event is ${parsed.message}`);
    const data = parsed.value;
    if (!isRecord(data)) throw this.invalid('stream event is not a JSON object');
    const type = readString(data.type) ?? event.event;
    switch (type) {
      case 'message_start':
        return this.onMessageStart(data, out);
      case 'content_block_start':
        return this.onBlockStart(data, out);
      case 'content_block_delta':
        return this.onBlockDelta(data, out);
      case 'content_block_stop':
        return this.onBlockStop(data, out);
      case 'message_delta':
        return this.onMessageDelta(data, out);
      case 'message_stop':
        this.done = true;
        return;
      case 'error':
        throw parseInBandError(data, undefined, this.ctx);
      default:
        // `ping`, and event types added later, carry nothing to map.
        return;
    }
  }

  private onMessageStart(data: JsonRecord, out: ChatCompletionChunk[]): void {
    const message = isRecord(data.message) ? data.message : {};
    this.id = readString(message.id) ?? this.id;
    this.model = readString(message.model) ?? this.model;
    if (isRecord(message.usage)) this.recordUsage(message.usage);
    this.emit(out, { role: 'assistant', content: '' });
  }

  private onBlockStart(data: JsonRecord, out: ChatCompletionChunk[]): void {
    const index = this.blockIndex(data);
    const block = isRecord(data.content_block) ? data.content_block : {};
    switch (block.type) {
      case 'text': {
        this.blocks.set(index, { kind: 'text' });
        const text = readString(block.text) ?? '';
        if (text !== '') this.emit(out, { content: text });
        return;
      }
      case 'tool_use': {
        const tool = { kind: 'tool' as const, index: this.toolCount++, sentArguments: false, input: block.input };
        this.blocks.set(index, tool);
        this.emit(out, {
          tool_calls: [{ index: tool.index, id: readString(block.id) ?? '', type: 'function', function: { name: readString(block.name) ?? '', arguments: '' } }],
        });
        return;
      }
      case 'thinking': {
        const text = readString(block.thinking) ?? '';
        this.blocks.set(index, { kind: 'thinking', text, signature: readString(block.signature) });
        if (text !== '') this.emit(out, { reasoning_content: text });
        return;
      }
      case 'redacted_thinking':
        this.blocks.set(index, { kind: 'other' });
        this.emit(out, { reasoning_details: [encryptedDetail(readString(block.data) ?? '', this.detailCount++)] });
        return;
      default:
        this.blocks.set(index, { kind: 'other' });
    }
  }

  private onBlockDelta(data: JsonRecord, out: ChatCompletionChunk[]): void {
    const block = this.blocks.get(this.blockIndex(data));
    const delta = isRecord(data.delta) ? data.delta : {};
    if (block === undefined) throw this.invalid('content_block_delta for a block that was not started');
    switch (delta.type) {
      case 'text_delta': {
        const text = readString(delta.text) ?? '';
        if (text !== '') this.emit(out, { content: text });
        return;
      }
      case 'input_json_delta': {
        const fragment = readString(delta.partial_json) ?? '';
        if (block.kind !== 'tool' || fragment === '') return;
        block.sentArguments = true;
        this.emit(out, { tool_calls: [{ index: block.index, function: { arguments: fragment } }] });
        return;
      }
      case 'thinking_delta': {
        const text = readString(delta.thinking) ?? '';
        if (block.kind !== 'thinking' || text === '') return;
        block.text += text;
        this.emit(out, { reasoning_content: text });
        return;
      }
      case 'signature_delta':
        if (block.kind === 'thinking') block.signature = (block.signature ?? '') + (readString(delta.signature) ?? '');
        return;
      // citations_delta and later delta types have no OpenAI equivalent.
    }
  }

  private onBlockStop(data: JsonRecord, out: ChatCompletionChunk[]): void {
    const index = this.blockIndex(data);
    const block = this.blocks.get(index);
    this.blocks.delete(index);
    if (block?.kind === 'tool' && !block.sentArguments) {
      this.emit(out, { tool_calls: [{ index: block.index, function: { arguments: toolArguments(block.input, this.ctx) } }] });
    } else if (block?.kind === 'thinking') {
      this.emit(out, { reasoning_details: [textDetail(block.text, block.signature, this.detailCount++)] });
    }
  }

  private onMessageDelta(data: JsonRecord, out: ChatCompletionChunk[]): void {
    if (isRecord(data.usage)) this.recordUsage(data.usage);
    const delta = isRecord(data.delta) ? data.delta : {};
    const reason = readString(delta.stop_reason);
    if (reason === undefined) return;
    this.emit(out, {}, mapStopReason(reason, this.toolCount > 0));
  }

  /** Usage fields are cumulative: a later value replaces the earlier one; `null` changes nothing. */
  private recordUsage(usage: JsonRecord): void {
    const merged: JsonRecord = { ...this.rawUsage };
    // `__proto__` (an own key of parsed JSON) would be assigned as the prototype, not as a field.
    for (const key of Object.keys(usage)) if (usage[key] != null && key !== '__proto__') merged[key] = usage[key];
    this.rawUsage = merged;
  }

  private blockIndex(data: JsonRecord): number {
    const index = readNumber(data.index);
    if (index === undefined) throw this.invalid(`${readString(data.type) ?? 'a content block event'} without an index`);
    return index;
  }

  private emit(out: ChatCompletionChunk[], delta: ChatCompletionChunkDelta, finish: FinishReason | null = null): void {
    out.push({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
      provider: this.ctx.provider,
    });
  }

  private invalid(what: string): InvalidResponseError {
    return new InvalidResponseError(`${this.ctx.provider}: ${what}`, { provider: this.ctx.provider, model: this.ctx.model });
  }
}
