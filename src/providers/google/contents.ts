import { ValidationError } from '../../errors/classes.js';
import type { AssistantMessageParam, ChatMessage, TextContentPart, UserContentPart } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { isRecord, type JsonRecord, parseJson } from '../shared/json.js';
import { type ModelTraits, readSignatures, REASONING_SIGNATURE_ID, SKIP_SIGNATURE, TEXT_SIGNATURE_ID } from './thinking.js';

export interface GeminiContent {
  role: 'user' | 'model';
  parts: JsonRecord[];
}

export interface ConvertedMessages {
  systemInstruction?: { parts: JsonRecord[] };
  contents: GeminiContent[];
}

/** Where Gemini Files API URIs live, for `file_id: "files/…"`. */
const FILES_BASE = 'https://generativelanguage.googleapis.com/v1beta/';

const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
  txt: 'text/plain',
  mp3: 'audio/mp3',
  wav: 'audio/wav',
  mp4: 'video/mp4',
};

function mimeFromName(name: string): string | undefined {
  const path = name.split(/[?#]/)[0] ?? '';
  const match = /\.([a-z0-9]+)$/i.exec(path);
  return match?.[1] === undefined ? undefined : MIME_BY_EXTENSION[match[1].toLowerCase()];
}

class Converter {
  readonly contents: GeminiContent[] = [];
  readonly system: JsonRecord[] = [];
  /** Function names by tool-call id, from the assistant messages seen so far. */
  private readonly toolNames = new Map<string, string>();
  private warnedCache = false;
  private warnedName = false;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly traits: ModelTraits,
  ) {}

  fail(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }], { provider: this.ctx.provider, model: this.ctx.model });
  }

  /** Appends parts, merging with the previous content when the role is the same. */
  push(role: GeminiContent['role'], parts: JsonRecord[]): void {
    if (parts.length === 0) return;
    const last = this.contents[this.contents.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else this.contents.push({ role, parts });
  }

  noteName(message: { name?: string }): void {
    if (message.name === undefined || this.warnedName) return;
    this.warnedName = true;
    this.ctx.warn(`${this.ctx.provider}: Gemini has no "name" on messages; it was not sent`);
  }

  textParts(content: string | TextContentPart[], path: string): JsonRecord[] {
    if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
    const parts: JsonRecord[] = [];
    content.forEach((part, i) => {
      if (part.type !== 'text') throw this.fail(`${path}.${i}`, `only text parts are allowed here, got "${String((part as { type?: unknown }).type)}"`);
      this.noteCache(part);
      parts.push({ text: part.text });
    });
    return parts;
  }

  private noteCache(part: TextContentPart): void {
    if (part.cache_control === undefined || this.warnedCache) return;
    this.warnedCache = true;
    this.ctx.warn(
      `${this.ctx.provider}: Gemini caches prompts implicitly and has no cache_control; it was not sent (explicit caches: providerOptions.${this.ctx.provider}.cachedContent)`,
    );
  }

  private dataUrl(url: string, path: string): JsonRecord {
    const match = /^data:([^;,]+)((?:;[^;,]*)*),(.*)$/s.exec(url);
    if (match === null || match[1] === undefined || match[3] === undefined) throw this.fail(path, 'malformed data: URL');
    if (!(match[2] ?? '').split(';').includes('base64')) throw this.fail(path, 'data: URLs must be base64-encoded for Gemini');
    return { inlineData: { mimeType: match[1], data: match[3] } };
  }

  private fileUri(uri: string, mimeType: string | undefined): JsonRecord {
    const fileData: JsonRecord = {};
    if (mimeType !== undefined) fileData.mimeType = mimeType;
    fileData.fileUri = uri;
    return { fileData };
  }

  userPart(part: UserContentPart, path: string): JsonRecord {
    switch (part.type) {
      case 'text':
        this.noteCache(part);
        return { text: part.text };
      case 'image_url': {
        const url = part.image_url.url;
        const at = `${path}.image_url.url`;
        if (url.startsWith('data:')) return this.dataUrl(url, at);
        // Gemini fetches public and signed https URLs itself, and takes Files API and gs:// URIs.
        if (/^(https?|gs):\/\//i.test(url)) return this.fileUri(url, mimeFromName(url));
        throw this.fail(at, 'Gemini takes images as data: URLs, https URLs or gs:// / Files API URIs');
      }
      case 'input_audio':
        return { inlineData: { mimeType: part.input_audio.format === 'wav' ? 'audio/wav' : 'audio/mp3', data: part.input_audio.data } };
      case 'file': {
        const file = part.file;
        if (file.file_data !== undefined) {
          if (file.file_data.startsWith('data:')) return this.dataUrl(file.file_data, `${path}.file.file_data`);
          const mimeType = file.filename === undefined ? undefined : mimeFromName(file.filename);
          if (mimeType === undefined) throw this.fail(`${path}.file.file_data`, 'give file_data as a data: URL (or a filename with a known extension)');
          return { inlineData: { mimeType, data: file.file_data } };
        }
        const id = file.file_id ?? '';
        const mimeType = file.filename === undefined ? mimeFromName(id) : mimeFromName(file.filename);
        if (/^(https?|gs):\/\//i.test(id)) return this.fileUri(id, mimeType);
        if (/^files\/[\w-]+$/.test(id)) return this.fileUri(`${FILES_BASE}${id}`, mimeType);
        throw this.fail(`${path}.file`, 'Gemini takes files as file_data (a data: URL) or file_id (a Files API name or URI)');
      }
      default:
        throw this.fail(path, `unsupported content part type "${String((part as { type?: unknown }).type)}"`);
    }
  }

  assistant(message: AssistantMessageParam, i: number): void {
    this.noteName(message);
    const signatures = readSignatures(message.reasoning_details);
    const parts: JsonRecord[] = [];
    const thoughtSignature = signatures.get(REASONING_SIGNATURE_ID);
    if (thoughtSignature !== undefined && typeof message.reasoning_content === 'string' && message.reasoning_content !== '') {
      parts.push({ text: message.reasoning_content, thought: true, thoughtSignature });
    }
    const text = message.content == null ? [] : this.textParts(message.content, `messages.${i}.content`);
    if (text.length > 0) {
      // Joined into one part: the signature Gemini sent with the text goes back on it.
      const part: JsonRecord = { text: text.map((p) => p.text as string).join('') };
      const signature = signatures.get(TEXT_SIGNATURE_ID);
      if (signature !== undefined) part.thoughtSignature = signature;
      parts.push(part);
    }
    const calls: JsonRecord[] = [];
    (message.tool_calls ?? []).forEach((call, j) => {
      const path = `messages.${i}.tool_calls.${j}.function.arguments`;
      const raw = call.function.arguments.trim();
      let args: unknown = {};
      if (raw !== '') {
        const parsed = parseJson(raw);
        if (!parsed.ok) throw this.fail(path, `arguments are ${parsed.message}`);
        args = parsed.value;
      }
      if (!isRecord(args)) throw this.fail(path, 'arguments must be a JSON object for Gemini');
      this.toolNames.set(call.id, call.function.name);
      const part: JsonRecord = { functionCall: { name: call.function.name, args } };
      const signature = signatures.get(call.id);
      if (signature !== undefined) part.thoughtSignature = signature;
      calls.push(part);
    });
    // Gemini 3 rejects a step of function calls without a signature; Google documents this value for
    // history that did not come from Gemini (another provider, a fallback, hand-written examples).
    if (this.traits.thinkingLevels && calls.length > 0 && !calls.some((part) => part.thoughtSignature !== undefined)) {
      (calls[0] as JsonRecord).thoughtSignature = SKIP_SIGNATURE;
    }
    this.push('model', [...parts, ...calls]);
  }

  tool(message: Extract<ChatMessage, { role: 'tool' }>, i: number): void {
    const name = this.toolNames.get(message.tool_call_id);
    if (name === undefined) {
      throw this.fail(`messages.${i}.tool_call_id`, `no earlier assistant tool call has id "${message.tool_call_id}" (Gemini needs the function's name)`);
    }
    const text =
      typeof message.content === 'string' ? message.content : this.textParts(message.content, `messages.${i}.content`).map((p) => p.text as string).join('');
    const parsed = parseJson(text);
    // `response` must be an object: a JSON object is sent as it is, anything else as `{ result }`.
    const response = parsed.ok && isRecord(parsed.value) ? parsed.value : { result: parsed.ok ? parsed.value : text };
    this.push('user', [{ functionResponse: { name, response } }]);
  }
}

/**
 * The conversation in Gemini's form: system and developer messages → `systemInstruction.parts`
 * (wherever they appear; for Gemma, which has none, prepended to the first user turn); user →
 * `user`, assistant → `model`; tool results → `functionResponse` parts in a `user` content;
 * consecutive contents of the same role merged into one. Never mutates the caller's messages.
 */
export function convertMessages(messages: readonly ChatMessage[], ctx: AdapterContext, traits: ModelTraits): ConvertedMessages {
  const c = new Converter(ctx, traits);
  messages.forEach((message, i) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        c.noteName(message);
        c.system.push(...c.textParts(message.content, `messages.${i}.content`));
        return;
      case 'user': {
        c.noteName(message);
        const content = message.content;
        const parts = typeof content === 'string' ? [{ text: content }] : content.map((part, j) => c.userPart(part, `messages.${i}.content.${j}`));
        c.push('user', parts);
        return;
      }
      case 'assistant':
        c.assistant(message, i);
        return;
      case 'tool':
        c.tool(message, i);
        return;
    }
  });
  const out: ConvertedMessages = { contents: c.contents };
  if (c.system.length === 0) return out;
  if (!traits.noSystemInstruction) {
    out.systemInstruction = { parts: c.system };
    return out;
  }
  const first = c.contents[0];
  if (first !== undefined && first.role === 'user') first.parts.unshift(...c.system);
  else c.contents.unshift({ role: 'user', parts: c.system });
  return out;
}
