import { z } from 'zod';

/**
 * zod schemas for the request body. The top level is strict (a misspelt field is an error that
 * names it); messages and parts are loose so that an assistant message replayed from a response
 * (with `annotations`, `refusal: null`, …) validates. Adapters copy only the fields they know.
 */

const cacheControl = z.strictObject({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() });

const textPart = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: cacheControl.optional() });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const audioPart = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({ data: z.string(), format: z.enum(['wav', 'mp3']) }),
});
const filePart = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({ file_id: z.string().optional(), filename: z.string().optional(), file_data: z.string().optional() }),
});
const userPart = z.discriminatedUnion('type', [textPart, imagePart, audioPart, filePart]);

const textContent = z.union([z.string(), z.array(textPart)]);

const toolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const reasoningDetail = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('reasoning.text'), text: z.string(), signature: z.string().nullish() }),
  z.looseObject({ type: z.literal('reasoning.summary'), summary: z.string() }),
  z.looseObject({ type: z.literal('reasoning.encrypted'), data: z.string() }),
]);

const systemMessage = z.looseObject({ role: z.literal('system'), content: textContent, name: z.string().optional() });
const developerMessage = z.looseObject({ role: z.literal('developer'), content: textContent, name: z.string().optional() });
const userMessage = z.looseObject({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(userPart)]),
  name: z.string().optional(),
});
const assistantMessage = z
  .looseObject({
    role: z.literal('assistant'),
    content: textContent.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(toolCall).optional(),
    refusal: z.string().nullish(),
    reasoning_content: z.string().nullish(),
    reasoning_details: z.array(reasoningDetail).optional(),
  })
  .refine((m) => (m.content !== undefined && m.content !== null) || (m.tool_calls?.length ?? 0) > 0 || typeof m.refusal === 'string', {
    message: 'an assistant message needs content, tool_calls or refusal',
  });
const toolMessage = z.looseObject({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) });

const message = z.discriminatedUnion('role', [systemMessage, developerMessage, userMessage, assistantMessage, toolMessage]);

const functionTool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a function name is 1-64 characters of a-z, A-Z, 0-9, _ and -'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().min(1),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const positiveInt = z.number().int().positive();

export const chatRequestSchema = z
  .strictObject({
    model: z.string().min(1, 'a model id is required'),
    messages: z.array(message).min(1, 'at least one message is required'),
    models: z.array(z.string().min(1)).optional(),
    stream: z.boolean().nullish(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).nullish(),
    max_tokens: positiveInt.nullish(),
    max_completion_tokens: positiveInt.nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    n: positiveInt.max(128).nullish(),
    stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
    seed: z.number().int().nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.number().int().min(0).max(20).nullish(),
    user: z.string().optional(),
    tools: z.array(functionTool).optional(),
    tool_choice: toolChoice.optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: responseFormat.optional(),
    reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
    service_tier: z.string().nullish(),
    store: z.boolean().nullish(),
    metadata: z.record(z.string(), z.string()).nullish(),
    prediction: z.unknown().optional(),
    verbosity: z.enum(['low', 'medium', 'high']).nullish(),
    providerOptions: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .superRefine((request, ctx) => {
    if (request.stream_options && !request.stream) {
      ctx.addIssue({ code: 'custom', path: ['stream_options'], message: 'stream_options is only allowed with stream: true' });
    }
    if (request.tool_choice && typeof request.tool_choice === 'object') {
      const name = request.tool_choice.function.name;
      if (!request.tools?.some((tool) => tool.function.name === name)) {
        ctx.addIssue({ code: 'custom', path: ['tool_choice', 'function', 'name'], message: `no tool named "${name}" in tools` });
      }
    }
    if (request.tool_choice === 'required' && !request.tools?.length) {
      ctx.addIssue({ code: 'custom', path: ['tool_choice'], message: 'tool_choice "required" needs at least one tool' });
    }
    const toolNames = new Set<string>();
    request.tools?.forEach((tool, index) => {
      if (toolNames.has(tool.function.name)) {
        ctx.addIssue({ code: 'custom', path: ['tools', index, 'function', 'name'], message: `duplicate tool name "${tool.function.name}"` });
      }
      toolNames.add(tool.function.name);
    });
    if (request.top_logprobs !== undefined && request.top_logprobs !== null && !request.logprobs) {
      ctx.addIssue({ code: 'custom', path: ['top_logprobs'], message: 'top_logprobs requires logprobs: true' });
    }
  });

export const requestOptionsSchema = z.strictObject({
  signal: z.custom<AbortSignal>((value) => typeof AbortSignal !== 'undefined' && value instanceof AbortSignal, 'expected an AbortSignal').optional(),
  timeoutMs: positiveInt.optional(),
  idleTimeoutMs: positiveInt.optional(),
  connectTimeoutMs: positiveInt.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  scope: z.record(z.string().min(1), z.string().min(1)).optional(),
  strategy: z.union([z.string().min(1), z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function')]).optional(),
});
