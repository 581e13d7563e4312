import { isRecord, readString } from '../shared/json.js';

/** Text and reasoning found in a content value. */
export interface SplitContent {
  text: string | null;
  reasoning: string | null;
}

function joinText(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  let text = '';
  for (const part of parts) if (isRecord(part)) text += readString(part.text) ?? '';
  return text;
}

/**
 * Splits message content into text and reasoning. A string is text; an array of chunks (Mistral
 * Magistral: `[{type:'thinking', thinking:[{type:'text', text}]}, {type:'text', text}]`) gives both.
 */
export function splitContent(content: unknown): SplitContent {
  if (typeof content === 'string') return { text: content, reasoning: null };
  if (!Array.isArray(content)) return { text: null, reasoning: null };
  let text: string | null = null;
  let reasoning: string | null = null;
  for (const part of content) {
    if (!isRecord(part)) continue;
    if (part.type === 'thinking') reasoning = (reasoning ?? '') + joinText(part.thinking);
    else if (part.type === 'text') text = (text ?? '') + (readString(part.text) ?? '');
  }
  return { text, reasoning };
}
