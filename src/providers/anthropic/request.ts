import { ValidationError } from '../../errors/classes.js';
import type { ChatCompletionCreateParams, FunctionTool, ToolChoice } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import type { JsonRecord } from '../shared/json.js';
import { convertConversation } from './messages.js';
import { defaultMaxTokens } from '../shared/claude-models.js';
import { planThinking } from './reasoning.js';
import { mergeProviderOptions } from '../shared/provider-options.js';

/** A cache breakpoint requested through `providerOptions`: `true` (5 minutes) or a TTL. */
export type CacheBreakpoint = boolean | '5m' | '1h';

/**
 * The Anthropic options read from `providerOptions[<provider key>]`. Every other key there is
 * merged into the request body as given (e.g. `top_k`, `thinking`, `service_tier`).
 */
export interface AnthropicProviderOptions {
  /** Cache breakpoints on the last system block and on the last tool definition. */
  cacheControl?: { system?: CacheBreakpoint; tools?: CacheBreakpoint };
  /** Beta features, sent in the `anthropic-beta` header. */
  betas?: string[];
}

/** What `buildBody` produced. */
export interface AnthropicRequestParts {
  body: JsonRecord;
  /** `anthropic-beta` values, empty when none is needed. */
  betas: string[];
}

/** Settings with no Anthropic equivalent that change nothing essential: dropped with a warning. */
const DROPPED = [
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'store',
  'service_tier',
  'metadata',
  'prediction',
  'verbosity',
] as const;
/** Values that change nothing, dropped silently. */
const NEUTRAL: Readonly<Record<string, unknown>> = { logprobs: false, store: false };
/** Body fields `providerOptions` may not override: the core relies on them. */
const PROTECTED = new Set(['model', 'messages', 'stream']);
/** `providerOptions` keys consumed by the adapter instead of being merged into the body. */
const CONSUMED = new Set(['cacheControl', 'betas']);

function invalid(ctx: AdapterContext, path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }], { provider: ctx.provider, model: ctx.model });
}

function cacheControl(value: CacheBreakpoint | undefined): JsonRecord | undefined {
  if (value === undefined || value === false) return undefined;
  return value === true || value === '5m' ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: value };
}

function readOptions(params: ChatCompletionCreateParams, ctx: AdapterContext): AnthropicProviderOptions {
  const raw = params.providerOptions?.[ctx.provider];
  const options: AnthropicProviderOptions = {};
  if (raw === undefined) return options;
  const path = `providerOptions.${ctx.provider}`;
  const cache = raw.cacheControl;
  if (cache !== undefined) {
    const ok = (v: unknown) => v === undefined || typeof v === 'boolean' || v === '5m' || v === '1h';
    const record = typeof cache === 'object' && cache !== null && !Array.isArray(cache) ? (cache as Record<string, unknown>) : undefined;
    if (record === undefined || !ok(record.system) || !ok(record.tools) || Object.keys(record).some((k) => k !== 'system' && k !== 'tools')) {
      throw invalid(ctx, `${path}.cacheControl`, 'expected { system?, tools? }, each true, false, "5m" or "1h"');
    }
    options.cacheControl = { system: record.system as CacheBreakpoint | undefined, tools: record.tools as CacheBreakpoint | undefined };
  }
  const betas = raw.betas;
  if (betas !== undefined) {
    if (!Array.isArray(betas) || !betas.every((b) => typeof b === 'string' && b !== '')) {
      throw invalid(ctx, `${path}.betas`, 'expected an array of beta names');
    }
    options.betas = betas as string[];
  }
  return options;
}

function systemField(blocks: JsonRecord[], breakpoint: CacheBreakpoint | undefined): unknown {
  if (blocks.length === 0) return undefined;
  const cache = cacheControl(breakpoint);
  if (cache === undefined && blocks.every((block) => block.cache_control === undefined)) {
    return blocks.map((block) => String(block.text)).join('\n\n');
  }
  const out = blocks.filter((block) => block.text !== '');
  const last = out[out.length - 1];
  if (cache !== undefined && last !== undefined) out[out.length - 1] = { ...last, cache_control: cache };
  return out;
}

function tool(definition: FunctionTool): JsonRecord {
  const out: JsonRecord = { name: definition.function.name };
  if (definition.function.description !== undefined) out.description = definition.function.description;
  out.input_schema = definition.function.parameters ?? { type: 'object', properties: {} };
  if (definition.function.strict === true) out.strict = true;
  return out;
}

function toolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): JsonRecord | undefined {
  let out: JsonRecord | undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') out = { type: 'any' };
  else if (typeof choice === 'object') out = { type: 'tool', name: choice.function.name };
  else if (choice === 'auto' || parallel === false) out = { type: 'auto' };
  if (out !== undefined && parallel === false) out.disable_parallel_tool_use = true;
  return out;
}

function dropUnsupported(params: ChatCompletionCreateParams, ctx: AdapterContext): void {
  if (params.n != null && params.n > 1) throw invalid(ctx, 'n', 'Anthropic returns one choice per request; n must be 1');
  for (const field of DROPPED) {
    const value: unknown = params[field];
    if (value == null || NEUTRAL[field] === value) continue;
    ctx.warn(`Anthropic does not support "${field}"; it was not sent`);
  }
}

function outputFormat(params: ChatCompletionCreateParams, ctx: AdapterContext): JsonRecord | undefined {
  const format = params.response_format;
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') {
    throw invalid(
      ctx,
      'response_format',
      'Anthropic has no JSON mode without a schema; use { type: "json_schema", json_schema: { name, schema } } (structured outputs)',
    );
  }
  if (format.json_schema.schema === undefined) throw invalid(ctx, 'response_format.json_schema.schema', 'Anthropic structured outputs need a schema');
  return { type: 'json_schema', schema: format.json_schema.schema };
}

/**
 * Builds the Messages API body, field by field, from the unified request. Never mutates the
 * caller's objects; `providerOptions[ctx.provider]` is merged last (minus the keys the adapter
 * consumes: `cacheControl`, `betas`).
 */
export function buildBody(params: ChatCompletionCreateParams, ctx: AdapterContext): AnthropicRequestParts {
  const options = readOptions(params, ctx);
  if (params.temperature != null && params.temperature > 1) {
    throw invalid(ctx, 'temperature', `Anthropic accepts temperature from 0 to 1; got ${params.temperature}`);
  }
  dropUnsupported(params, ctx);
  const conversation = convertConversation(params.messages, ctx);

  const requested = params.max_completion_tokens ?? params.max_tokens;
  const plan = planThinking(params.reasoning_effort, ctx.model, requested ?? defaultMaxTokens(ctx.model), requested != null);
  const body: JsonRecord = { model: ctx.model, max_tokens: plan?.maxTokens ?? requested ?? defaultMaxTokens(ctx.model) };
  const system = systemField(conversation.system, options.cacheControl?.system);
  if (system !== undefined) body.system = system;
  body.messages = conversation.messages;

  if (plan !== undefined) {
    if (params.temperature != null && params.temperature !== 1) {
      throw invalid(ctx, 'temperature', 'Anthropic does not allow temperature (other than 1) with thinking (reasoning_effort)');
    }
    if (params.tool_choice === 'required' || typeof params.tool_choice === 'object') {
      throw invalid(ctx, 'tool_choice', 'Anthropic allows only tool_choice "auto" or "none" with thinking (reasoning_effort)');
    }
    body.thinking = plan.thinking;
  }
  if (params.temperature != null) body.temperature = params.temperature;
  if (params.top_p != null) body.top_p = params.top_p;
  if (params.stop != null) {
    const stops = typeof params.stop === 'string' ? [params.stop] : params.stop;
    if (stops.length > 0) body.stop_sequences = [...stops];
  }
  if (params.user !== undefined) body.metadata = { user_id: params.user };

  if (ctx.webSearch) {
    // `:online`: Anthropic's server-side web search tool, next to the caller's own tools.
    body.tools = [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }];
  }
  if (params.tools !== undefined && params.tools.length > 0) {
    const tools: JsonRecord[] = [...((body.tools as JsonRecord[] | undefined) ?? []), ...params.tools.map(tool)];
    const cache = cacheControl(options.cacheControl?.tools);
    const last = tools[tools.length - 1];
    if (cache !== undefined && last !== undefined) last.cache_control = cache;
    body.tools = tools;
    const choice = toolChoice(params.tool_choice, params.parallel_tool_calls);
    if (choice !== undefined) body.tool_choice = choice;
  }

  const outputConfig: JsonRecord = {};
  if (plan?.effort !== undefined) outputConfig.effort = plan.effort;
  const format = outputFormat(params, ctx);
  if (format !== undefined) outputConfig.format = format;
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  if (ctx.stream) body.stream = true;

  mergeProviderOptions(body, params, ctx, PROTECTED, (key) => CONSUMED.has(key));
  if (plan !== undefined && body.top_k !== undefined && params.providerOptions?.[ctx.provider]?.thinking === undefined) {
    throw invalid(ctx, `providerOptions.${ctx.provider}.top_k`, 'Anthropic does not allow top_k with thinking (reasoning_effort)');
  }
  return { body, betas: options.betas ?? [] };
}

