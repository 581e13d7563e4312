/**
 * The unified request → a Bedrock Converse body, field by field (never a spread of the caller's
 * objects). Decisions (see also the adapter's index.ts):
 * - every system/developer message, wherever it is, goes to `system` in order;
 * - tool messages become `toolResult` blocks (`content: [{text}]`, no `status`: OpenAI tool
 *   messages carry none) at the front of one user message; consecutive same-role messages merge;
 * - images only as `data:` URLs (Converse takes bytes; an `https` URL is a `ValidationError`
 *   naming the field); files (`file_data`) become `document` blocks; audio is refused;
 * - `cache_control` on a text part adds `{cachePoint:{type:'default'}}` after its block;
 * - a history with toolUse/toolResult blocks needs a `toolConfig` (Bedrock rejects it otherwise):
 *   when the request offers no tools (or `tool_choice: 'none'`) one is synthesized from the tool
 *   names in the history, with an empty object schema;
 * - `response_format` json_schema / json_object: a tool (named after the schema, or `json`)
 *   whose input is the answer, forced when no other tool is offered; the response maps its
 *   input back to `content` (see `jsonTool`);
 * - `reasoning_effort` → `additionalModelRequestFields`: Claude `thinking` (as the anthropic
 *   adapter), Amazon Nova `reasoningConfig.maxReasoningEffort`, OpenAI gpt-oss `reasoning_effort`;
 *   `reasoning_details` are replayed as `reasoningContent` blocks (text with its signature, or
 *   redacted content); details of another provider's `format`, summaries and unsigned text are not;
 * - `providerOptions[provider]` is merged last; `additionalModelRequestFields`,
 *   `inferenceConfig` and `toolConfig` are merged one level deep, other keys replaced.
 */
import { ValidationError } from '../../errors/classes.js';
import type {
  AssistantMessageParam,
  ChatCompletionCreateParams,
  ChatMessage,
  FunctionTool,
  ReasoningEffort,
  TextContentPart,
  UserContentPart,
} from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { ADAPTIVE_EFFORTS, defaultMaxTokens, MIN_THINKING_BUDGET, THINKING_BUDGETS, usesAdaptiveThinking } from '../shared/claude-models.js';
import { isRecord, type JsonRecord } from '../shared/json.js';
import { mergeProviderOptions } from '../shared/provider-options.js';

/** What the response mapping must know about the request it answers. */
export interface RequestPlan {
  body: JsonRecord;
  /** The tool standing for `response_format`: its input is the answer's content. */
  jsonTool: string | undefined;
}

type Block = JsonRecord;

interface BedrockMessage {
  role: 'user' | 'assistant';
  content: Block[];
  /** How many leading blocks are tool results (they stay first when messages merge). */
  results: number;
}

function validation(ctx: AdapterContext, path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }], { provider: ctx.provider, model: ctx.model });
}

/** Text parts (or a string) as text blocks, each followed by a cache point when it asks for one. */
function textBlocks(content: string | TextContentPart[], ctx: AdapterContext, skipEmpty = false): Block[] {
  if (typeof content === 'string') return skipEmpty && content === '' ? [] : [{ text: content }];
  const blocks: Block[] = [];
  for (const part of content) {
    if (!(skipEmpty && part.text === '')) blocks.push({ text: part.text });
    if (part.cache_control !== undefined) blocks.push(cachePoint(part, ctx));
  }
  return blocks;
}

function cachePoint(part: TextContentPart, ctx: AdapterContext): Block {
  if (part.cache_control?.ttl === '1h') ctx.warn(`${ctx.provider} cache points have one TTL: cache_control.ttl "1h" was not sent`);
  return { cachePoint: { type: 'default' } };
}

const IMAGE_FORMATS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

const DOCUMENT_FORMATS: Readonly<Record<string, string>> = {
  'application/pdf': 'pdf',
  'text/csv': 'csv',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
};
const DOCUMENT_EXTENSIONS = new Set(Object.values(DOCUMENT_FORMATS));

/** `data:<type>[;params];base64,<data>` → media type and base64 data. */
function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)((?:;[^;,]*)*);base64,/i.exec(url);
  if (match === null) return undefined;
  return { mediaType: match[1]!.trim().toLowerCase(), data: url.slice(match[0].length) };
}

function imageBlock(url: string, path: string, ctx: AdapterContext): Block {
  const parsed = parseDataUrl(url);
  if (parsed === undefined) {
    throw validation(
      ctx,
      path,
      /^https?:/i.test(url)
        ? `${ctx.provider} (Converse) takes images as bytes, not URLs: pass a base64 data: URL`
        : 'an image must be a base64 data: URL (data:image/png;base64,…)',
    );
  }
  const format = IMAGE_FORMATS[parsed.mediaType];
  if (format === undefined) throw validation(ctx, path, `image type "${parsed.mediaType}" is not supported (png, jpeg, gif, webp)`);
  return { image: { format, source: { bytes: parsed.data } } };
}

/** Bedrock document names: letters, digits, single spaces, `-`, `(`, `)`, `[`, `]`. */
function documentName(filename: string | undefined, fallback: string): string {
  if (filename === undefined) return fallback;
  const base = filename.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const clean = base.replace(/[^A-Za-z0-9\s\-()[\]]/g, '-').replace(/\s+/g, ' ').trim();
  return clean === '' ? fallback : clean;
}

function documentBlock(file: { file_id?: string; filename?: string; file_data?: string }, path: string, ctx: AdapterContext, fallbackName: string): Block {
  if (file.file_data === undefined) throw validation(ctx, `${path}.file`, `${ctx.provider} takes files as file_data (base64), not file_id`);
  const parsed = parseDataUrl(file.file_data);
  let format: string | undefined;
  let data: string;
  if (parsed !== undefined) {
    format = DOCUMENT_FORMATS[parsed.mediaType];
    data = parsed.data;
  } else {
    const extension = /\.([A-Za-z0-9]+)$/.exec(file.filename ?? '')?.[1]?.toLowerCase();
    format = extension !== undefined && DOCUMENT_EXTENSIONS.has(extension) ? extension : undefined;
    data = file.file_data;
  }
  if (format === undefined) {
    throw validation(ctx, `${path}.file.file_data`, 'document type not supported (pdf, csv, doc, docx, xls, xlsx, html, txt, md)');
  }
  return { document: { format, name: documentName(file.filename, fallbackName), source: { bytes: data } } };
}

function userBlocks(content: string | UserContentPart[], index: number, ctx: AdapterContext): Block[] {
  const path = `messages.${index}.content`;
  if (typeof content === 'string') return [{ text: content }];
  const blocks: Block[] = [];
  content.forEach((part, i) => {
    const partPath = `${path}.${i}`;
    switch (part.type) {
      case 'text':
        blocks.push({ text: part.text });
        if (part.cache_control !== undefined) blocks.push(cachePoint(part, ctx));
        return;
      case 'image_url':
        if (part.image_url.detail !== undefined && part.image_url.detail !== 'auto') {
          ctx.warn(`${ctx.provider} does not support image detail; "${part.image_url.detail}" was not sent`);
        }
        blocks.push(imageBlock(part.image_url.url, `${partPath}.image_url.url`, ctx));
        return;
      case 'file':
        blocks.push(documentBlock(part.file, partPath, ctx, `document-${index}-${i}`));
        return;
      case 'input_audio':
        throw validation(ctx, partPath, `${ctx.provider} (Converse) does not take audio input`);
      default:
        throw validation(ctx, partPath, `unsupported content part type "${String((part as { type?: unknown }).type)}"`);
    }
  });
  return blocks;
}

function reasoningBlocks(message: AssistantMessageParam): Block[] {
  const blocks: Block[] = [];
  for (const detail of message.reasoning_details ?? []) {
    if (detail.format !== undefined && detail.format !== CLAUDE_REASONING_FORMAT) continue;
    if (detail.type === 'reasoning.text') {
      // Without its signature a reasoning block is refused by the models that need it back.
      if (typeof detail.signature === 'string' && detail.signature !== '') {
        blocks.push({ reasoningContent: { reasoningText: { text: detail.text, signature: detail.signature } } });
      }
    } else if (detail.type === 'reasoning.encrypted') {
      blocks.push({ reasoningContent: { redactedContent: detail.data } });
    }
  }
  return blocks;
}

function toolInput(args: string, path: string, ctx: AdapterContext): unknown {
  if (args.trim() === '') return {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    throw validation(ctx, path, 'tool call arguments are not valid JSON');
  }
}

function assistantBlocks(message: AssistantMessageParam, index: number, ctx: AdapterContext): Block[] {
  const blocks = reasoningBlocks(message);
  if (message.content != null) blocks.push(...textBlocks(message.content, ctx, true));
  else if (typeof message.refusal === 'string' && message.refusal !== '') blocks.push({ text: message.refusal });
  message.tool_calls?.forEach((call, j) => {
    blocks.push({
      toolUse: {
        toolUseId: call.id,
        name: call.function.name,
        input: toolInput(call.function.arguments, `messages.${index}.tool_calls.${j}.function.arguments`, ctx),
      },
    });
  });
  return blocks;
}

function toolResultBlocks(content: string | TextContentPart[], toolUseId: string, ctx: AdapterContext): Block[] {
  const parts = typeof content === 'string' ? [{ type: 'text', text: content } as TextContentPart] : content;
  const result = { toolResult: { toolUseId, content: parts.map((part) => ({ text: part.text })) } };
  // Cache points cannot go inside a tool result: one after it stands for them.
  const cached = parts.find((part) => part.cache_control !== undefined);
  return cached === undefined ? [result] : [result, cachePoint(cached, ctx)];
}

export interface ConvertedMessages {
  system: Block[];
  messages: JsonRecord[];
  /** Tool names used in the history, in order of first use. */
  historyTools: string[];
  hasToolBlocks: boolean;
}

/** Converts the conversation: system blocks, alternating user/assistant messages, tool history. */
export function convertMessages(messages: readonly ChatMessage[], ctx: AdapterContext): ConvertedMessages {
  const system: Block[] = [];
  const out: BedrockMessage[] = [];
  const historyTools: string[] = [];
  let hasToolBlocks = false;

  function target(role: 'user' | 'assistant'): BedrockMessage {
    const last = out[out.length - 1];
    if (last !== undefined && last.role === role) return last;
    const message: BedrockMessage = { role, content: [], results: 0 };
    out.push(message);
    return message;
  }

  messages.forEach((message, i) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content, ctx));
        return;
      case 'user': {
        const blocks = userBlocks(message.content, i, ctx);
        if (blocks.length > 0) target('user').content.push(...blocks);
        return;
      }
      case 'assistant': {
        const blocks = assistantBlocks(message, i, ctx);
        for (const call of message.tool_calls ?? []) {
          hasToolBlocks = true;
          if (!historyTools.includes(call.function.name)) historyTools.push(call.function.name);
        }
        if (blocks.length > 0) target('assistant').content.push(...blocks);
        return;
      }
      case 'tool': {
        hasToolBlocks = true;
        const user = target('user');
        const blocks = toolResultBlocks(message.content, message.tool_call_id, ctx);
        user.content.splice(user.results, 0, ...blocks);
        user.results += blocks.length;
        return;
      }
    }
  });
  return { system, messages: out.map((m) => ({ role: m.role, content: m.content })), historyTools, hasToolBlocks };
}

/** The model family, for the fields that differ per model (reasoning). */
export type ModelFamily = 'anthropic' | 'nova' | 'openai' | 'other';

export function modelFamily(model: string): ModelFamily {
  const id = model.toLowerCase();
  if (id.includes('anthropic.') || id.includes('claude')) return 'anthropic';
  if (id.includes('amazon.nova') || id.includes('.nova-')) return 'nova';
  if (id.includes('openai.') || id.includes('gpt-oss')) return 'openai';
  return 'other';
}

/** The `format` of Claude's reasoning details, as OpenRouter (and the anthropic adapter) name it. */
export const CLAUDE_REASONING_FORMAT = 'anthropic-claude-v1';

/** Output room kept beside the thinking budget when the request sets no token limit. */
const ANSWER_ROOM = 4096;


function toolSpec(tool: FunctionTool, ctx: AdapterContext): Block {
  const spec: JsonRecord = { name: tool.function.name };
  if (tool.function.description !== undefined && tool.function.description !== '') spec.description = tool.function.description;
  spec.inputSchema = { json: tool.function.parameters ?? { type: 'object', properties: {} } };
  if (tool.function.strict === true) ctx.warn(`${ctx.provider} does not support strict tool schemas; "strict" was not sent`);
  return { toolSpec: spec };
}

interface JsonToolSpec {
  name: string;
  block: Block;
}

function jsonToolSpec(params: ChatCompletionCreateParams, ctx: AdapterContext): JsonToolSpec | undefined {
  const format = params.response_format;
  if (format === undefined || format.type === 'text') return undefined;
  const schema = format.type === 'json_schema' ? format.json_schema : undefined;
  const name = schema?.name ?? 'json';
  if (params.tools?.some((tool) => tool.function.name === name)) {
    throw validation(ctx, format.type === 'json_schema' ? 'response_format.json_schema.name' : 'response_format', `a tool is already named "${name}"`);
  }
  const spec: JsonRecord = {
    name,
    description: schema?.description ?? 'Respond with a JSON object: call this tool with the answer as its input.',
    inputSchema: { json: schema?.schema ?? { type: 'object' } },
  };
  return { name, block: { toolSpec: spec } };
}

function buildToolConfig(
  params: ChatCompletionCreateParams,
  converted: ConvertedMessages,
  jsonTool: JsonToolSpec | undefined,
  thinking: boolean,
  ctx: AdapterContext,
): JsonRecord | undefined {
  const choice = params.tool_choice;
  if (thinking && (choice === 'required' || typeof choice === 'object')) {
    throw validation(ctx, 'tool_choice', 'Claude allows only tool_choice "auto" or "none" with thinking (reasoning_effort)');
  }
  const offered = choice !== 'none' && params.tools !== undefined && params.tools.length > 0 ? params.tools : [];
  const tools = offered.map((tool) => toolSpec(tool, ctx));
  let toolChoice: JsonRecord | undefined;
  if (typeof choice === 'object' && offered.length > 0) toolChoice = { tool: { name: choice.function.name } };
  else if (choice === 'required' && offered.length > 0) toolChoice = { any: {} };
  else if (choice === 'auto' && offered.length > 0) toolChoice = { auto: {} };
  if (jsonTool !== undefined) {
    tools.push(jsonTool.block);
    if (toolChoice === undefined || 'auto' in toolChoice) toolChoice = offered.length > 0 ? { any: {} } : { tool: { name: jsonTool.name } };
    if (thinking && !('auto' in toolChoice)) {
      // Anthropic refuses a forced tool with thinking on: the JSON tool is offered, not forced.
      ctx.warn(`${ctx.provider}: with reasoning on, the response_format tool cannot be forced; the model may answer in text`);
      toolChoice = { auto: {} };
    }
  }
  if (tools.length === 0 && converted.hasToolBlocks && converted.historyTools.length > 0) {
    // Bedrock refuses toolUse/toolResult blocks without a toolConfig.
    const known = new Map((params.tools ?? []).map((tool) => [tool.function.name, tool]));
    for (const name of converted.historyTools) {
      const tool = known.get(name);
      tools.push(tool !== undefined ? toolSpec(tool, ctx) : { toolSpec: { name, inputSchema: { json: { type: 'object', properties: {} } } } });
    }
    if (choice === 'none') ctx.warn(`${ctx.provider}: tool_choice "none" cannot be kept with tool calls in the history; the history's tools are declared`);
  }
  if (tools.length === 0) return undefined;
  const config: JsonRecord = { tools };
  if (toolChoice !== undefined) config.toolChoice = toolChoice;
  return config;
}

interface Inference {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

/**
 * Applies `reasoning_effort` for the model's family; returns whether Claude thinking is on.
 * Claude (as the anthropic adapter): 4.6+ → `thinking: {type:'adaptive'}` + `output_config.effort`;
 * earlier → `thinking.budget_tokens`, which must stay below `maxTokens`: a caller's limit at or
 * below the budget is raised to `budget + limit` (the answer keeps the room asked for); with no
 * limit, `maxTokens` is set to `budget + 4096` within the model's output limit (not the model's
 * whole limit: Bedrock reserves `maxTokens` against the account's token quota). A temperature
 * other than 1 with Claude thinking is a `ValidationError`, as Anthropic refuses it.
 */
function applyReasoning(params: ChatCompletionCreateParams, inference: Inference, extra: JsonRecord, ctx: AdapterContext): boolean {
  const effort = params.reasoning_effort;
  if (effort == null || effort === 'none') return false;
  const family = modelFamily(ctx.model);
  if (family === 'anthropic') {
    if (params.temperature != null && params.temperature !== 1) {
      throw validation(ctx, 'temperature', 'Claude does not allow temperature (other than 1) with thinking (reasoning_effort)');
    }
    if (usesAdaptiveThinking(ctx.model)) {
      extra.thinking = { type: 'adaptive' };
      extra.output_config = { effort: ADAPTIVE_EFFORTS[effort] };
      return true;
    }
    let budget = THINKING_BUDGETS[effort];
    const limit = inference.maxTokens;
    if (limit !== undefined) {
      if (limit <= budget) inference.maxTokens = budget + limit;
    } else {
      const max = defaultMaxTokens(ctx.model);
      if (budget > max - ANSWER_ROOM) budget = Math.max(MIN_THINKING_BUDGET, max - ANSWER_ROOM);
      inference.maxTokens = budget + ANSWER_ROOM;
    }
    extra.thinking = { type: 'enabled', budget_tokens: budget };
    return true;
  }
  const level = effort === 'minimal' ? 'low' : effort === 'xhigh' ? 'high' : effort;
  if (family === 'nova') extra.reasoningConfig = { type: 'enabled', maxReasoningEffort: level };
  else if (family === 'openai') extra.reasoning_effort = level;
  else ctx.warn(`${ctx.provider}: reasoning_effort is not supported for "${ctx.model}"; it was not sent`);
  return false;
}

/** Fields Converse has no place for: harmless, dropped with a warning. */
const DROPPED = [
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'top_logprobs',
  'user',
  'parallel_tool_calls',
  'service_tier',
  'store',
  'prediction',
  'verbosity',
] as const;

/** Keys merged one level deep from `providerOptions`; `messages` cannot be overridden. */
const MERGED = new Set(['additionalModelRequestFields', 'inferenceConfig', 'toolConfig']);
const PROTECTED = new Set(['messages']);

/** Builds the Converse body (the same for `/converse` and `/converse-stream`). */
export function buildConverseRequest(params: ChatCompletionCreateParams, ctx: AdapterContext): RequestPlan {
  if (params.n != null && params.n > 1) throw validation(ctx, 'n', `${ctx.provider} returns one choice per request; n > 1 is not supported`);
  const converted = convertMessages(params.messages, ctx);
  const body: JsonRecord = { messages: converted.messages };
  if (converted.system.length > 0) body.system = converted.system;

  const inference: Inference = {};
  const limit = params.max_completion_tokens ?? params.max_tokens;
  if (limit != null) inference.maxTokens = limit;
  if (params.temperature != null) inference.temperature = params.temperature;
  if (params.top_p != null) inference.topP = params.top_p;
  if (params.stop != null) {
    const stops = typeof params.stop === 'string' ? [params.stop] : params.stop;
    if (stops.length > 0) inference.stopSequences = [...stops];
  }
  const extra: JsonRecord = {};
  const thinking = applyReasoning(params, inference, extra, ctx);
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;

  const jsonTool = jsonToolSpec(params, ctx);
  const toolConfig = buildToolConfig(params, converted, jsonTool, thinking, ctx);
  if (toolConfig !== undefined) body.toolConfig = toolConfig;
  if (Object.keys(extra).length > 0) body.additionalModelRequestFields = extra;
  if (params.metadata != null && Object.keys(params.metadata).length > 0) body.requestMetadata = { ...params.metadata };

  for (const field of DROPPED) {
    if (params[field] != null) ctx.warn(`${ctx.provider} does not support "${field}"; it was not sent`);
  }
  if (params.logprobs === true) ctx.warn(`${ctx.provider} does not support "logprobs"; it was not sent`);
  mergeProviderOptions(body, params, ctx, PROTECTED, (key, value) => {
    const current = body[key];
    if (!MERGED.has(key) || !isRecord(current) || !isRecord(value)) return false;
    body[key] = { ...current, ...value };
    return true;
  });
  return { body, jsonTool: jsonTool?.name };
}
