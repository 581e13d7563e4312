import { ValidationError } from '../../errors/classes.js';
import type { ChatCompletionCreateParams, FunctionTool, ToolChoice } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { isRecord, type JsonRecord } from '../shared/json.js';
import { convertMessages } from './contents.js';
import { toGeminiSchema } from './schema.js';
import { type ModelTraits, thinkingConfig } from './thinking.js';
import { mergeProviderOptions } from '../shared/provider-options.js';

/** Gemini accepts at most five stop sequences. */
const MAX_STOP_SEQUENCES = 5;

/** Fields Gemini has no equivalent for: dropped with a warning when set. */
const DROPPED = ['logit_bias', 'user', 'service_tier', 'store', 'metadata', 'prediction', 'verbosity'] as const;

/** `providerOptions` keys that belong in `generationConfig` (a convenience; `generationConfig` itself also merges). */
const GENERATION_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'topK',
  'thinkingConfig',
  'responseModalities',
  'mediaResolution',
  'speechConfig',
  'imageConfig',
  'responseJsonSchema',
]);
/** Body fields `providerOptions` may not set: the conversation is ours. */
const PROTECTED: ReadonlySet<string> = new Set(['contents', '__proto__', 'constructor', 'prototype']);

function fail(ctx: AdapterContext, path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }], { provider: ctx.provider, model: ctx.model });
}

function functionDeclaration(tool: FunctionTool, i: number, ctx: AdapterContext): JsonRecord {
  const declaration: JsonRecord = { name: tool.function.name };
  if (tool.function.description !== undefined) declaration.description = tool.function.description;
  const parameters = toGeminiSchema(tool.function.parameters, `tools.${i}.function.parameters`, ctx);
  if (parameters !== undefined) declaration.parameters = parameters;
  return declaration;
}

function toolConfig(choice: ToolChoice): JsonRecord {
  if (typeof choice === 'object') return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  const mode = choice === 'required' ? 'ANY' : choice === 'none' ? 'NONE' : 'AUTO';
  return { functionCallingConfig: { mode } };
}

function stopSequences(stop: string | string[], ctx: AdapterContext): string[] {
  const list = typeof stop === 'string' ? [stop] : stop;
  if (list.length > MAX_STOP_SEQUENCES) throw fail(ctx, 'stop', `Gemini accepts at most ${MAX_STOP_SEQUENCES} stop sequences, got ${list.length}`);
  return list;
}

function generationConfig(params: ChatCompletionCreateParams, ctx: AdapterContext, traits: ModelTraits): JsonRecord {
  const config: JsonRecord = {};
  if (params.temperature != null) config.temperature = params.temperature;
  if (params.top_p != null) config.topP = params.top_p;
  const limit = params.max_completion_tokens ?? params.max_tokens;
  if (limit != null) config.maxOutputTokens = limit;
  if (params.stop != null) {
    const stop = stopSequences(params.stop, ctx);
    if (stop.length > 0) config.stopSequences = stop;
  }
  if (params.seed != null) config.seed = params.seed;
  if (params.presence_penalty != null) config.presencePenalty = params.presence_penalty;
  if (params.frequency_penalty != null) config.frequencyPenalty = params.frequency_penalty;
  if (params.n != null && params.n !== 1) config.candidateCount = params.n;
  if (params.logprobs === true) {
    config.responseLogprobs = true;
    if (params.top_logprobs != null) config.logprobs = params.top_logprobs;
  }
  const format = params.response_format;
  if (format !== undefined && format.type !== 'text') {
    config.responseMimeType = 'application/json';
    if (format.type === 'json_schema') {
      const schema = toGeminiSchema(format.json_schema.schema, 'response_format.json_schema.schema', ctx);
      if (schema !== undefined) config.responseSchema = schema;
    }
  }
  if (params.reasoning_effort != null) {
    const thinking = thinkingConfig(params.reasoning_effort, traits, (message) => ctx.warn(`${ctx.provider}: ${message}`));
    if (thinking !== undefined) config.thinkingConfig = thinking;
  }
  return config;
}

function warnDropped(params: ChatCompletionCreateParams, ctx: AdapterContext): void {
  for (const field of DROPPED) {
    if (params[field] != null) ctx.warn(`${ctx.provider} does not support "${field}"; it was not sent`);
  }
  if (params.parallel_tool_calls === false) {
    ctx.warn(`${ctx.provider}: Gemini cannot forbid parallel tool calls; "parallel_tool_calls": false was not sent`);
  }
}

/**
 * `providerOptions[ctx.provider]`, merged last: `generationConfig` key by key into ours, the
 * generation keys above (`topK`, `thinkingConfig`, …) into `generationConfig`, `tools` appended
 * to ours (e.g. `{ googleSearch: {} }`), anything else (`safetySettings`, `cachedContent`,
 * `toolConfig`, `labels`, …) set on the body as given. `contents` cannot be overridden.
 */
function placeProviderOption(body: JsonRecord, config: JsonRecord, key: string, value: unknown): boolean {
  if (key === 'generationConfig' && isRecord(value)) {
    for (const name of Object.keys(value)) if (!PROTECTED.has(name)) config[name] = value[name];
  } else if (GENERATION_CONFIG_KEYS.has(key)) {
    config[key] = value;
  } else if (key === 'tools' && Array.isArray(value)) {
    body.tools = [...(Array.isArray(body.tools) ? body.tools : []), ...(value as unknown[])];
  } else {
    return false;
  }
  return true;
}

/**
 * The `generateContent` body, built field by field from the unified request; unknown fields are
 * not sent (use `providerOptions`). Never mutates the caller's objects.
 */
export function buildBody(params: ChatCompletionCreateParams, ctx: AdapterContext, traits: ModelTraits): JsonRecord {
  const { contents, systemInstruction } = convertMessages(params.messages, ctx, traits);
  const body: JsonRecord = { contents };
  if (systemInstruction !== undefined) body.systemInstruction = systemInstruction;
  if (params.tools !== undefined && params.tools.length > 0) {
    body.tools = [{ functionDeclarations: params.tools.map((tool, i) => functionDeclaration(tool, i, ctx)) }];
  }
  if (ctx.webSearch) {
    // `:online`: Google Search grounding, next to the caller's own functions.
    body.tools = [...(Array.isArray(body.tools) ? body.tools : []), { googleSearch: {} }];
  }
  if (params.tool_choice !== undefined) body.toolConfig = toolConfig(params.tool_choice);
  warnDropped(params, ctx);
  const config = generationConfig(params, ctx, traits);
  mergeProviderOptions(body, params, ctx, PROTECTED, (key, value) => placeProviderOption(body, config, key, value));
  if (Object.keys(config).length > 0) body.generationConfig = config;
  return body;
}
