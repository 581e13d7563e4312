import { ValidationError } from '../../errors/classes.js';
import type {
  AssistantMessageParam,
  ChatMessage,
  TextContentPart,
  ToolMessage,
  UserContentPart,
} from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { isRecord, type JsonRecord } from '../shared/json.js';
import { toAlphanumericId } from '../shared/tool-call-ids.js';
import { thinkingBlock } from './reasoning.js';

/** The text a user turn gets when the conversation would otherwise not start with one. */
export const PLACEHOLDER_USER_TEXT = '.';

const TOOL_ID = /^[a-zA-Z0-9_-]+$/;

/**
 * A tool-call id Anthropic accepts (`^[a-zA-Z0-9_-]+$`): kept when it already is one (Anthropic's
 * own `toolu_…` ids round-trip unchanged), else rewritten deterministically to 24 alphanumerics,
 * so a `tool_use` and the `tool_result` answering it stay paired.
 */
export function anthropicToolId(id: string): string {
  return TOOL_ID.test(id) ? id : toAlphanumericId(id, 24);
}

/** A conversation in Anthropic's shape. */
export interface AnthropicConversation {
  /** Text blocks of every system and developer message, in order. */
  system: JsonRecord[];
  messages: JsonRecord[];
}

/** One Anthropic turn being built; `lead` blocks (tool results, thinking) go before the others. */
interface Turn {
  role: 'user' | 'assistant';
  lead: JsonRecord[];
  blocks: JsonRecord[];
}

function invalid(ctx: AdapterContext, path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }], { provider: ctx.provider, model: ctx.model });
}

function textBlock(part: TextContentPart): JsonRecord {
  const block: JsonRecord = { type: 'text', text: part.text };
  if (part.cache_control !== undefined) {
    const cache: JsonRecord = { type: 'ephemeral' };
    if (part.cache_control.ttl !== undefined) cache.ttl = part.cache_control.ttl;
    block.cache_control = cache;
  }
  return block;
}

function textBlocks(content: string | TextContentPart[]): JsonRecord[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content.map(textBlock);
}

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*),(.*)$/s;

/** `data:<type>;base64,<data>` → its media type and base64 data; `undefined` if not base64. */
function splitDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = DATA_URL.exec(url);
  if (match === null || !/;base64$/i.test(match[2] ?? '')) return undefined;
  return { mediaType: (match[1] ?? '').toLowerCase(), data: match[3] ?? '' };
}

function imageBlock(url: string, path: string, ctx: AdapterContext): JsonRecord {
  if (url.startsWith('data:')) {
    const data = splitDataUrl(url);
    if (data === undefined) throw invalid(ctx, path, 'an image data URL must be base64-encoded (data:<type>;base64,…)');
    return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw invalid(ctx, path, 'Anthropic takes images as https URLs or base64 data URLs');
}

function userBlock(part: UserContentPart, path: string, ctx: AdapterContext): JsonRecord {
  switch (part.type) {
    case 'text':
      return textBlock(part);
    case 'image_url':
      return imageBlock(part.image_url.url, `${path}.image_url.url`, ctx);
    case 'file': {
      const data = part.file.file_data === undefined ? undefined : splitDataUrl(part.file.file_data);
      if (data?.mediaType !== 'application/pdf') {
        throw invalid(ctx, `${path}.file`, 'Anthropic takes files as base64 PDF data URLs in file_data (file ids are not supported)');
      }
      const block: JsonRecord = { type: 'document', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
      if (part.file.filename !== undefined) block.title = part.file.filename;
      return block;
    }
    case 'input_audio':
      throw invalid(ctx, path, 'Anthropic does not accept audio input');
    default:
      throw invalid(ctx, path, `unsupported content part type "${String((part as { type?: unknown }).type)}"`);
  }
}

function toolInput(args: string, path: string, ctx: AdapterContext): JsonRecord {
  if (args.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(args);
  } catch {
    throw invalid(ctx, path, 'tool-call arguments must be a JSON object (Anthropic sends them as tool_use input)');
  }
  if (!isRecord(input)) throw invalid(ctx, path, 'tool-call arguments must be a JSON object (Anthropic sends them as tool_use input)');
  return input;
}

/** Thinking blocks first, then text, then tool_use blocks. Empty text is dropped (Anthropic rejects it). */
function assistantBlocks(message: AssistantMessageParam, i: number, last: boolean, ctx: AdapterContext): Turn {
  const lead: JsonRecord[] = [];
  for (const detail of message.reasoning_details ?? []) {
    const block = thinkingBlock(detail);
    if (block !== undefined) lead.push(block);
  }
  let blocks: JsonRecord[] = [];
  if (message.content != null) blocks = textBlocks(message.content);
  else if (typeof message.refusal === 'string') blocks = [{ type: 'text', text: message.refusal }];
  // A final assistant message is a prefill, which must not end in whitespace.
  const tail = blocks[blocks.length - 1];
  if (last && tail !== undefined && message.tool_calls === undefined) tail.text = String(tail.text).trimEnd();
  blocks = blocks.filter((block) => block.text !== '');
  message.tool_calls?.forEach((call, m) => {
    blocks.push({
      type: 'tool_use',
      id: anthropicToolId(call.id),
      name: call.function.name,
      input: toolInput(call.function.arguments, `messages.${i}.tool_calls.${m}.function.arguments`, ctx),
    });
  });
  return { role: 'assistant', lead, blocks };
}

function toolResult(message: ToolMessage): JsonRecord {
  return {
    type: 'tool_result',
    tool_use_id: anthropicToolId(message.tool_call_id),
    content: typeof message.content === 'string' ? message.content : message.content.map(textBlock),
  };
}

/** A turn's content: a plain string when it is one text block without cache_control. */
function render(turn: Turn): JsonRecord {
  const content = [...turn.lead, ...turn.blocks];
  const only = content[0];
  if (content.length === 1 && only !== undefined && only.type === 'text' && only.cache_control === undefined) {
    return { role: turn.role, content: only.text };
  }
  return { role: turn.role, content };
}

/**
 * Converts the OpenAI conversation to Anthropic's:
 * - every `system` and `developer` message is hoisted into the top-level `system`, in order; one
 *   in the middle of the conversation too (Anthropic has no mid-conversation system role), with a
 *   warning since its position is lost;
 * - `tool` messages become `tool_result` blocks in a user turn: every result answering one
 *   assistant turn goes first in one user message, followed by any user text of that turn;
 * - consecutive messages of the same role are merged into one turn;
 * - assistant `reasoning_details` become `thinking` / `redacted_thinking` blocks before the text
 *   and `tool_use` blocks; an assistant message with nothing to send is dropped;
 * - a conversation that would not start with a user turn (assistant first, or system only) gets
 *   a user turn with the text `"."` first, with a warning: Anthropic requires it;
 * - `name` on messages is dropped with a warning.
 */
export function convertConversation(messages: readonly ChatMessage[], ctx: AdapterContext): AnthropicConversation {
  const system: JsonRecord[] = [];
  const turns: Turn[] = [];
  const hoisted: number[] = [];

  function turnFor(role: Turn['role']): Turn {
    const last = turns[turns.length - 1];
    if (last?.role === role) return last;
    const turn: Turn = { role, lead: [], blocks: [] };
    turns.push(turn);
    return turn;
  }

  messages.forEach((message, i) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        if (turns.length > 0) hoisted.push(i);
        system.push(...textBlocks(message.content));
        return;
      case 'user': {
        const content = message.content;
        const blocks =
          typeof content === 'string' ? [{ type: 'text', text: content }] : content.map((part, p) => userBlock(part, `messages.${i}.content.${p}`, ctx));
        turnFor('user').blocks.push(...blocks);
        return;
      }
      case 'tool':
        turnFor('user').lead.push(toolResult(message));
        return;
      case 'assistant': {
        const converted = assistantBlocks(message, i, i === messages.length - 1, ctx);
        if (converted.lead.length === 0 && converted.blocks.length === 0) return;
        const turn = turnFor('assistant');
        turn.lead.push(...converted.lead);
        turn.blocks.push(...converted.blocks);
        return;
      }
    }
  });

  if (hoisted.length > 0) {
    const where = hoisted.map((i) => `messages.${i}`).join(', ');
    ctx.warn(`Anthropic has no mid-conversation system messages: ${where} moved into the top-level system prompt`);
  }
  if (messages.some((message) => 'name' in message && message.name !== undefined)) {
    ctx.warn('Anthropic does not support "name" on messages; it was not sent');
  }
  if (turns[0]?.role !== 'user') {
    turns.unshift({ role: 'user', lead: [], blocks: [{ type: 'text', text: PLACEHOLDER_USER_TEXT }] });
    ctx.warn(`Anthropic requires the conversation to start with a user message: a user message "${PLACEHOLDER_USER_TEXT}" was inserted first`);
  }
  return { system, messages: turns.map(render) };
}
