import { ValidationError } from '../../errors/classes.js';
import type { ChatMessage, TextContentPart, ToolCall, UserContentPart } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import type { JsonRecord } from '../shared/json.js';
import type { OpenAICompatiblePreset } from './preset.js';

type Part = TextContentPart | UserContentPart;

function copyPart(part: Part, preset: OpenAICompatiblePreset, path: string, ctx: AdapterContext): JsonRecord {
  switch (part.type) {
    case 'text': {
      const out: JsonRecord = { type: 'text', text: part.text };
      if (preset.cacheControl && part.cache_control !== undefined) out.cache_control = { ...part.cache_control };
      return out;
    }
    case 'image_url': {
      const image: JsonRecord = { url: part.image_url.url };
      if (part.image_url.detail !== undefined) image.detail = part.image_url.detail;
      return { type: 'image_url', image_url: image };
    }
    case 'input_audio':
      return { type: 'input_audio', input_audio: { data: part.input_audio.data, format: part.input_audio.format } };
    case 'file': {
      const file: JsonRecord = {};
      if (part.file.file_id !== undefined) file.file_id = part.file.file_id;
      if (part.file.filename !== undefined) file.filename = part.file.filename;
      if (part.file.file_data !== undefined) file.file_data = part.file.file_data;
      return { type: 'file', file };
    }
    default:
      throw new ValidationError([{ path, message: `unsupported content part type "${String((part as { type?: unknown }).type)}"` }], {
        provider: ctx.provider,
        model: ctx.model,
      });
  }
}

function copyContent(content: string | Part[], preset: OpenAICompatiblePreset, path: string, ctx: AdapterContext): unknown {
  if (typeof content === 'string') return content;
  return content.map((part, i) => copyPart(part, preset, `${path}.${i}`, ctx));
}

function copyToolCall(call: ToolCall, preset: OpenAICompatiblePreset): JsonRecord {
  return {
    id: preset.toolCallId ? preset.toolCallId(call.id) : call.id,
    type: 'function',
    function: { name: call.function.name, arguments: call.function.arguments },
  };
}

/**
 * Copies the conversation into the provider's message format, keeping only the fields it
 * understands: role, content, name, tool_calls, tool_call_id, and the reasoning state the preset
 * replays. Never mutates the caller's messages.
 */
export function convertMessages(messages: readonly ChatMessage[], preset: OpenAICompatiblePreset, ctx: AdapterContext): JsonRecord[] {
  let lastUser = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') {
      lastUser = i;
      break;
    }
  }
  // Function names by original tool-call id, for tool messages that must carry `name` (Mistral).
  const toolNames = preset.toolMessageName ? new Map<string, string>() : undefined;
  const out: JsonRecord[] = [];
  let droppedName = false;
  messages.forEach((message, i) => {
    const path = `messages.${i}.content`;
    switch (message.role) {
      case 'system':
      case 'developer':
      case 'user': {
        const role = message.role === 'developer' && !preset.developerRole ? 'system' : message.role;
        const copy: JsonRecord = { role, content: copyContent(message.content, preset, path, ctx) };
        if (message.name !== undefined) {
          if (preset.messageName) copy.name = message.name;
          else droppedName = true;
        }
        out.push(copy);
        return;
      }
      case 'assistant': {
        const copy: JsonRecord = { role: 'assistant', content: message.content == null ? null : copyContent(message.content, preset, path, ctx) };
        if (message.name !== undefined) {
          if (preset.messageName) copy.name = message.name;
          else droppedName = true;
        }
        if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
          copy.tool_calls = message.tool_calls.map((call) => copyToolCall(call, preset));
          if (toolNames) for (const call of message.tool_calls) toolNames.set(call.id, call.function.name);
        }
        preset.replayReasoning?.(message, { current: i > lastUser }, copy);
        out.push(copy);
        return;
      }
      case 'tool': {
        const copy: JsonRecord = {
          role: 'tool',
          tool_call_id: preset.toolCallId ? preset.toolCallId(message.tool_call_id) : message.tool_call_id,
          content: copyContent(message.content, preset, path, ctx),
        };
        const name = toolNames?.get(message.tool_call_id);
        if (name !== undefined) copy.name = name;
        out.push(copy);
        return;
      }
    }
  });
  if (droppedName) ctx.warn(`${ctx.provider} does not support "name" on messages; it was not sent`);
  return out;
}
