import { InvalidResponseError } from '../../errors/classes.js';
import type { ChatCompletionChunk, ChatCompletionChunkDelta, CompletionUsage, FinishReason, ReasoningDetail } from '../../request/types.js';
import type { AdapterContext, StreamEvent, StreamMapper } from '../adapter.js';
import { isRecord, type JsonRecord, parseJson, readNumber, readString } from '../shared/json.js';
import { parseStreamException } from './errors.js';
import { bedrockUsage, completionId, encryptedDetail, mapStopReason, reasoningFormat, textDetail } from './response.js';

/** A content block in progress, by `contentBlockIndex`. */
type BlockState =
  | { kind: 'tool'; index: number; argumentBytes: number }
  | { kind: 'json'; argumentBytes: number }
  | { kind: 'reasoning'; text: string; signature: string | undefined; redacted: string[] };

/**
 * Maps ConverseStream events (decoded from the AWS event stream) to unified chunks, for one
 * attempt.
 *
 * - `messageStart` → the first chunk (`role: 'assistant'`, empty content);
 * - `contentBlockStart` with `toolUse` → the tool call's first fragment (index, id, name);
 *   text blocks have no start event;
 * - `contentBlockDelta` → `content`, tool `arguments` fragments, `reasoning_content`; a reasoning
 *   block's signature (or redacted content) is collected and emitted whole as one
 *   `reasoning_details` entry when the block stops, as the non-streaming answer has it;
 * - `contentBlockStop` → a tool call that received no argument bytes gets `{}`;
 * - `messageStop` → the finish chunk;
 * - `metadata` (after `messageStop`) → usage. The stream is complete only after both
 *   `messageStop` and `metadata` (DESIGN section 2): a body ending between them lost the usage.
 * - `exception:*` / `error:*` events are thrown as typed errors.
 *
 * The stream's id is generated (the request id header is not visible to a mapper).
 */
export class BedrockStreamMapper implements StreamMapper {
  private stopped = false;
  private gotMetadata = false;
  private recordedUsage: CompletionUsage | undefined;
  private readonly blocks = new Map<number, BlockState>();
  private nextToolIndex = 0;
  private roleSent = false;
  private readonly id = completionId();
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly format: string | undefined;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly jsonTool: string | undefined,
  ) {
    this.format = reasoningFormat(ctx.model);
  }

  get complete(): boolean {
    return this.stopped && this.gotMetadata;
  }

  get usage(): CompletionUsage | undefined {
    return this.recordedUsage;
  }

  get meta(): { id: string; model: string; created: number } {
    return { id: this.id, model: this.ctx.model, created: this.created };
  }

  push(event: StreamEvent, out: ChatCompletionChunk[]): void {
    const name = event.event ?? '';
    if (name.startsWith('exception:')) throw parseStreamException('exception', name.slice(10), event.data, this.ctx);
    if (name.startsWith('error:')) throw parseStreamException('error', name.slice(6), event.data, this.ctx);
    const payload = this.parse(event.data, name);
    switch (name) {
      case 'messageStart':
        this.emit(out, { content: '' });
        return;
      case 'contentBlockStart':
        this.startBlock(payload, out);
        return;
      case 'contentBlockDelta':
        this.delta(payload, out);
        return;
      case 'contentBlockStop':
        this.stopBlock(readNumber(payload.contentBlockIndex) ?? 0, out);
        return;
      case 'messageStop':
        this.messageStop(payload, out);
        return;
      case 'metadata':
        this.gotMetadata = true;
        this.recordedUsage = bedrockUsage(payload.usage) ?? this.recordedUsage;
        return;
      default:
        // Events added later are ignored.
        return;
    }
  }

  private parse(data: string, name: string): JsonRecord {
    if (data.trim() === '') return {};
    const parsed = parseJson(data);
    if (!parsed.ok) throw this.invalid(`"${name}" event is ${parsed.message}`);
    if (!isRecord(parsed.value)) throw this.invalid(`"${name}" event is not a JSON object`);
    return parsed.value;
  }

  private startBlock(payload: JsonRecord, out: ChatCompletionChunk[]): void {
    const blockIndex = readNumber(payload.contentBlockIndex) ?? 0;
    const start = isRecord(payload.start) ? payload.start : undefined;
    const use = isRecord(start?.toolUse) ? start.toolUse : undefined;
    if (use === undefined) return;
    const name = readString(use.name) ?? '';
    if (this.jsonTool !== undefined && name === this.jsonTool) {
      this.blocks.set(blockIndex, { kind: 'json', argumentBytes: 0 });
      return;
    }
    const index = this.nextToolIndex++;
    this.blocks.set(blockIndex, { kind: 'tool', index, argumentBytes: 0 });
    const id = readString(use.toolUseId) ?? `tooluse_${index}`;
    this.emit(out, { tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] });
  }

  private delta(payload: JsonRecord, out: ChatCompletionChunk[]): void {
    const blockIndex = readNumber(payload.contentBlockIndex) ?? 0;
    const delta = isRecord(payload.delta) ? payload.delta : {};
    if (typeof delta.text === 'string') {
      if (delta.text !== '') this.emit(out, { content: delta.text });
      return;
    }
    if (isRecord(delta.toolUse)) {
      const fragment = readString(delta.toolUse.input) ?? '';
      const block = this.blocks.get(blockIndex);
      if (block === undefined || block.kind === 'reasoning') throw this.invalid(`tool input for content block ${blockIndex} without its contentBlockStart`);
      if (fragment === '') return;
      block.argumentBytes += fragment.length;
      if (block.kind === 'json') this.emit(out, { content: fragment });
      else this.emit(out, { tool_calls: [{ index: block.index, function: { arguments: fragment } }] });
      return;
    }
    if (isRecord(delta.reasoningContent)) {
      const reasoning = delta.reasoningContent;
      let block = this.blocks.get(blockIndex);
      if (block === undefined || block.kind !== 'reasoning') {
        block = { kind: 'reasoning', text: '', signature: undefined, redacted: [] };
        this.blocks.set(blockIndex, block);
      }
      const text = readString(reasoning.text);
      if (text !== undefined && text !== '') {
        block.text += text;
        this.emit(out, { reasoning_content: text });
      }
      const signature = readString(reasoning.signature);
      if (signature !== undefined) block.signature = (block.signature ?? '') + signature;
      const redacted = readString(reasoning.redactedContent);
      if (redacted !== undefined) block.redacted.push(redacted);
    }
  }

  private stopBlock(blockIndex: number, out: ChatCompletionChunk[]): void {
    const block = this.blocks.get(blockIndex);
    if (block === undefined) return;
    this.blocks.delete(blockIndex);
    if (block.kind === 'reasoning') {
      const details: ReasoningDetail[] = [];
      if (block.text !== '' || block.signature !== undefined) details.push(textDetail(block.text, block.signature, this.format));
      for (const data of block.redacted) details.push(encryptedDetail(data, this.format));
      if (details.length > 0) this.emit(out, { reasoning_details: details });
    } else if (block.argumentBytes === 0) {
      // A call without arguments: `{}`, as in the non-streaming answer.
      if (block.kind === 'json') this.emit(out, { content: '{}' });
      else this.emit(out, { tool_calls: [{ index: block.index, function: { arguments: '{}' } }] });
    }
  }

  private messageStop(payload: JsonRecord, out: ChatCompletionChunk[]): void {
    for (const blockIndex of [...this.blocks.keys()]) this.stopBlock(blockIndex, out);
    const finish: FinishReason = mapStopReason(readString(payload.stopReason), this.nextToolIndex > 0, this.ctx);
    this.emit(out, {}, finish);
    this.stopped = true;
  }

  private emit(out: ChatCompletionChunk[], delta: ChatCompletionChunkDelta, finish: FinishReason | null = null): void {
    if (!this.roleSent) {
      this.roleSent = true;
      delta = { role: 'assistant', ...delta };
    }
    out.push({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.ctx.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
      provider: this.ctx.provider,
    });
  }

  private invalid(what: string): InvalidResponseError {
    return new InvalidResponseError(`${this.ctx.provider}: ${what}`, { provider: this.ctx.provider, model: this.ctx.model });
  }
}
