import type { RequestOptions } from '../gateway.js';
import type { StrategyName } from '../routing/strategies/index.js';
import type { Strategy } from '../routing/strategies/types.js';
import {
  array,
  boolean,
  func,
  is,
  literal,
  nullish,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  report,
  string,
  union,
  unknown,
  variants,
  type Check,
  type Infer,
  type Issue,
  type SameKeys,
} from './check.js';
import type { ChatCompletionCreateParams, ChatMessage, TextContentPart, UserContentPart } from './types.js';

/**
 * Checks of the request body and options (see ./check.ts). The top level is strict (a misspelt
 * field is an error that names it); messages and parts are loose so that an assistant message
 * replayed from a response (with `annotations`, `refusal: null`, …) validates. Adapters copy only
 * the fields they know. Each check is typed with the public type it validates, so they cannot drift.
 */

const str = string();
const nonEmpty = string({ min: 1 });
const optStr = optional(str);
const nullishStr = nullish(str);
const optBool = optional(boolean());
const nullishBool = nullish(boolean());
const positiveInt = number({ int: true, gt: 0 });
const anyRecord = record(unknown());

const cacheControl = object({ type: literal('ephemeral'), ttl: optional(oneOf(['5m', '1h'])) });

const textPart: Check<TextContentPart> = object({ type: literal('text'), text: str, cache_control: optional(cacheControl) }, { loose: true });
const userPart: Check<UserContentPart> = variants('type', {
  text: textPart,
  image_url: object(
    { type: literal('image_url'), image_url: object({ url: nonEmpty, detail: optional(oneOf(['auto', 'low', 'high'])) }, { loose: true }) },
    { loose: true },
  ),
  input_audio: object(
    { type: literal('input_audio'), input_audio: object({ data: str, format: oneOf(['wav', 'mp3']) }, { loose: true }) },
    { loose: true },
  ),
  file: object({ type: literal('file'), file: object({ file_id: optStr, filename: optStr, file_data: optStr }, { loose: true }) }, { loose: true }),
});

const textContent = union([str, array(textPart)]);

const toolCall = object(
  { id: nonEmpty, type: literal('function'), function: object({ name: nonEmpty, arguments: str }, { loose: true }) },
  { loose: true },
);

const reasoningDetail = variants('type', {
  'reasoning.text': object({ type: literal('reasoning.text'), text: str, signature: nullishStr }, { loose: true }),
  'reasoning.summary': object({ type: literal('reasoning.summary'), summary: str }, { loose: true }),
  'reasoning.encrypted': object({ type: literal('reasoning.encrypted'), data: str }, { loose: true }),
});

const assistantMessage = refine(
  object(
    {
      role: literal('assistant'),
      content: nullish(textContent),
      name: optStr,
      tool_calls: optional(array(toolCall)),
      refusal: nullishStr,
      reasoning_content: nullishStr,
      reasoning_details: optional(array(reasoningDetail)),
    },
    { loose: true },
  ),
  (m, issues) => {
    if ((m.content === undefined || m.content === null) && (m.tool_calls?.length ?? 0) === 0 && typeof m.refusal !== 'string') {
      report(issues, '', 'an assistant message needs content, tool_calls or refusal');
    }
  },
);

const message: Check<ChatMessage> = variants('role', {
  system: object({ role: literal('system'), content: textContent, name: optStr }, { loose: true }),
  developer: object({ role: literal('developer'), content: textContent, name: optStr }, { loose: true }),
  user: object({ role: literal('user'), content: union([str, array(userPart)]), name: optStr }, { loose: true }),
  assistant: assistantMessage,
  tool: object({ role: literal('tool'), content: textContent, tool_call_id: nonEmpty }, { loose: true }),
});

const functionTool = object(
  {
    type: literal('function'),
    function: object(
      {
        name: string({ pattern: /^[a-zA-Z0-9_-]{1,64}$/, message: 'a function name is 1-64 characters of a-z, A-Z, 0-9, _ and -' }),
        description: optStr,
        parameters: optional(anyRecord),
        strict: nullishBool,
      },
      { loose: true },
    ),
  },
  { loose: true },
);

const toolChoice = union([
  oneOf(['none', 'auto', 'required']),
  object({ type: literal('function'), function: object({ name: nonEmpty }, { loose: true }) }, { loose: true }),
]);

const responseFormat = variants('type', {
  text: object({ type: literal('text') }, { loose: true }),
  json_object: object({ type: literal('json_object') }, { loose: true }),
  json_schema: object(
    {
      type: literal('json_schema'),
      json_schema: object({ name: nonEmpty, description: optStr, schema: optional(anyRecord), strict: nullishBool }, { loose: true }),
    },
    { loose: true },
  ),
});

const penalty = nullish(number({ min: -2, max: 2 }));

const requestShape = object({
  model: string({ min: 1, message: 'a model id is required' }),
  messages: array(message, { min: 1, message: 'at least one message is required' }),
  models: optional(array(nonEmpty)),
  stream: nullishBool,
  stream_options: nullish(object({ include_usage: optBool, include_obfuscation: optBool })),
  max_tokens: nullish(positiveInt),
  max_completion_tokens: nullish(positiveInt),
  temperature: nullish(number({ min: 0, max: 2 })),
  top_p: nullish(number({ min: 0, max: 1 })),
  n: nullish(number({ int: true, gt: 0, max: 128 })),
  stop: nullish(union([str, array(str, { max: 16 })])),
  seed: nullish(number({ int: true })),
  presence_penalty: penalty,
  frequency_penalty: penalty,
  logit_bias: nullish(record(number({ min: -100, max: 100 }))),
  logprobs: nullishBool,
  top_logprobs: nullish(number({ int: true, min: 0, max: 20 })),
  user: optStr,
  tools: optional(array(functionTool)),
  tool_choice: optional(toolChoice),
  parallel_tool_calls: optBool,
  response_format: optional(responseFormat),
  reasoning_effort: nullish(oneOf(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'])),
  service_tier: nullishStr,
  store: nullishBool,
  metadata: nullish(record(str)),
  prediction: unknown(),
  verbosity: nullish(oneOf(['low', 'medium', 'high'])),
  providerOptions: optional(record(anyRecord)),
});

type RequestShape = Infer<typeof requestShape>;

/** Rules across fields; runs unless a field had a fatal issue (see `refine`). */
function requestRules(request: RequestShape, issues: Issue[]): void {
  if (request.stream_options && !request.stream) report(issues, 'stream_options', 'stream_options is only allowed with stream: true');
  const tools = request.tools;
  const choice = request.tool_choice;
  if (choice !== undefined && typeof choice === 'object') {
    const name = choice.function.name;
    let found = false;
    if (tools !== undefined) for (let i = 0; i < tools.length && !found; i++) found = tools[i]!.function.name === name;
    if (!found) report(issues, 'tool_choice.function.name', `no tool named "${name}" in tools`);
  }
  if (choice === 'required' && !tools?.length) report(issues, 'tool_choice', 'tool_choice "required" needs at least one tool');
  if (tools !== undefined) {
    for (let i = 1; i < tools.length; i++) {
      const name = tools[i]!.function.name;
      for (let j = 0; j < i; j++) {
        if (tools[j]!.function.name === name) {
          report(issues, `tools.${i}.function.name`, `duplicate tool name "${name}"`);
          break;
        }
      }
    }
  }
  if (request.top_logprobs !== undefined && request.top_logprobs !== null && !request.logprobs) {
    report(issues, 'top_logprobs', 'top_logprobs requires logprobs: true');
  }
}

export const chatRequestSchema: Check<ChatCompletionCreateParams> = refine(requestShape, requestRules);

const optionsShape = object({
  signal: optional(is<AbortSignal>((value) => typeof AbortSignal !== 'undefined' && value instanceof AbortSignal, 'an AbortSignal')),
  timeoutMs: optional(positiveInt),
  idleTimeoutMs: optional(positiveInt),
  connectTimeoutMs: optional(positiveInt),
  headers: optional(record(str)),
  scope: optional(record(nonEmpty, nonEmpty)),
  // A name is looked up when the request is planned (an unknown one is a ValidationError there).
  strategy: optional(union([nonEmpty as Check<StrategyName>, func<Strategy>()], 'a strategy name or a function')),
});
export const requestOptionsSchema: Check<RequestOptions> = optionsShape;

/** Compile-time: the strict checks allow exactly the fields of the public types. */
type Exact<T extends true> = T;
type CheckedFields = [
  Exact<SameKeys<Infer<typeof requestShape>, ChatCompletionCreateParams>>,
  Exact<SameKeys<Infer<typeof optionsShape>, RequestOptions>>,
];
