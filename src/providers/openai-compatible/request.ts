import { ValidationError } from '../../errors/classes.js';
import type { ChatCompletionCreateParams, FunctionTool, ResponseFormat, ToolChoice } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import type { JsonRecord } from '../shared/json.js';
import { convertMessages } from './messages.js';
import type { OpenAICompatiblePreset, OptionalField } from './preset.js';
import { mergeProviderOptions } from '../shared/provider-options.js';

/** Sampling and misc fields copied as they are, in this order, unless the preset declines them. */
const PLAIN_FIELDS = ['temperature', 'top_p', 'stop', 'presence_penalty', 'frequency_penalty'] as const;
const OPTIONAL_FIELDS: readonly OptionalField[] = [
  'n',
  'seed',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'user',
  'parallel_tool_calls',
  'reasoning_effort',
  'service_tier',
  'store',
  'metadata',
  'prediction',
  'verbosity',
];
/** Values that change nothing, so dropping them needs no warning or error. */
const NEUTRAL: Readonly<Partial<Record<OptionalField, unknown>>> = { n: 1, logprobs: false };
/** Body fields `providerOptions` may not override: the core relies on them. */
const PROTECTED = new Set(['model', 'messages', 'stream', 'stream_options']);

function copyTool(tool: FunctionTool): JsonRecord {
  const fn: JsonRecord = { name: tool.function.name };
  if (tool.function.description !== undefined) fn.description = tool.function.description;
  if (tool.function.parameters !== undefined) fn.parameters = tool.function.parameters;
  if (tool.function.strict != null) fn.strict = tool.function.strict;
  return { type: 'function', function: fn };
}

function copyToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.function.name } };
}

function copyResponseFormat(format: ResponseFormat, preset: OpenAICompatiblePreset, ctx: AdapterContext): JsonRecord {
  if (format.type !== 'json_schema') return { type: format.type };
  if (!preset.jsonSchema) {
    throw new ValidationError(
      [
        {
          path: 'response_format',
          message: `${ctx.provider} does not support response_format "json_schema"; use { type: "json_object" } and describe the schema in the prompt`,
        },
      ],
      { provider: ctx.provider, model: ctx.model },
    );
  }
  const schema: JsonRecord = { name: format.json_schema.name };
  if (format.json_schema.description !== undefined) schema.description = format.json_schema.description;
  if (format.json_schema.schema !== undefined) schema.schema = format.json_schema.schema;
  if (format.json_schema.strict != null) schema.strict = format.json_schema.strict;
  return { type: 'json_schema', json_schema: schema };
}

function copyOptional(body: JsonRecord, params: ChatCompletionCreateParams, preset: OpenAICompatiblePreset, ctx: AdapterContext): void {
  for (const field of OPTIONAL_FIELDS) {
    const value: unknown = params[field];
    if (value == null) continue;
    const policy = preset.unsupported[field];
    if (policy === undefined) {
      body[preset.rename?.[field] ?? field] = value;
    } else if (NEUTRAL[field] === value) {
      continue;
    } else if (policy === 'warn') {
      ctx.warn(`${ctx.provider} does not support "${field}"; it was not sent`);
    } else {
      throw new ValidationError([{ path: field, message: `${ctx.provider} does not support "${field}" = ${JSON.stringify(value)}` }], {
        provider: ctx.provider,
        model: ctx.model,
      });
    }
  }
}

/**
 * Builds the provider's request body field by field from the unified request. Never spreads or
 * mutates the caller's object; unknown fields are not sent (use `providerOptions`).
 */
export function buildBody(params: ChatCompletionCreateParams, ctx: AdapterContext, preset: OpenAICompatiblePreset): JsonRecord {
  const body: JsonRecord = { model: ctx.model, messages: convertMessages(params.messages, preset, ctx) };
  for (const field of PLAIN_FIELDS) {
    const value = params[field];
    if (value != null) body[field] = value;
  }
  const limit = params.max_completion_tokens ?? params.max_tokens;
  if (limit != null) body[preset.tokenLimitField] = limit;
  copyOptional(body, params, preset, ctx);
  if (params.tools !== undefined && params.tools.length > 0) body.tools = params.tools.map(copyTool);
  if (params.tool_choice !== undefined) body.tool_choice = copyToolChoice(params.tool_choice);
  if (params.response_format !== undefined) body.response_format = copyResponseFormat(params.response_format, preset, ctx);
  if (ctx.stream) {
    body.stream = true;
    // Usage is always requested, whatever the caller asked: cost and budgets depend on it.
    if (preset.streamOptions) body.stream_options = { include_usage: true };
  }
  if (ctx.webSearch && preset.webSearchOptions) body.web_search_options = {};
  preset.transformBody?.(body, params, ctx);
  mergeProviderOptions(body, params, ctx, PROTECTED);
  return body;
}
