import { InvalidResponseError, ServerError } from '../../errors/classes.js';
import type { ChatCompletion, ChatCompletionChoice, ChatCompletionMessage, ChoiceLogprobs, ReasoningDetail, ServiceTier, ToolCall } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import { mapFinishReason } from '../shared/finish-reason.js';
import { isRecord, type JsonRecord, readNumber, readString, stringifyJson } from '../shared/json.js';
import { buildUsage, normalizeOpenAIUsage } from '../shared/usage.js';
import { splitContent } from './content.js';
import { parseInBandError } from './errors.js';
import type { OpenAICompatiblePreset } from './preset.js';

type Header = (name: string) => string | null;

function invalid(ctx: AdapterContext, what: string): InvalidResponseError {
  return new InvalidResponseError(`${ctx.provider}: invalid chat completion: ${what}`, { provider: ctx.provider, model: ctx.model });
}

/** A provider-ended generation (`insufficient_system_resource`, `error`) is a retryable server error. */
export function finishError(raw: string, ctx: AdapterContext): ServerError {
  return new ServerError(`${ctx.provider}: the generation ended with finish_reason "${raw}"`, {
    provider: ctx.provider,
    model: ctx.model,
    providerCode: raw,
  });
}

function toolArguments(value: unknown, ctx: AdapterContext): string {
  if (typeof value === 'string') return value === '' ? '{}' : value;
  if (!isRecord(value)) return '{}';
  const text = stringifyJson(value);
  if (text === undefined) throw invalid(ctx, 'tool call arguments are nested too deeply');
  return text;
}

function mapToolCalls(raw: unknown, choiceIndex: number, ctx: AdapterContext): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  const calls: ToolCall[] = [];
  raw.forEach((call, i) => {
    if (!isRecord(call)) return;
    const fn = isRecord(call.function) ? call.function : {};
    calls.push({
      id: readString(call.id) ?? `call_${choiceIndex}_${i}`,
      // Mistral omits `type`.
      type: 'function',
      function: { name: readString(fn.name) ?? '', arguments: toolArguments(fn.arguments, ctx) },
    });
  });
  return calls;
}

function mapMessage(raw: JsonRecord, toolCalls: ToolCall[]): ChatCompletionMessage {
  const { text, reasoning } = splitContent(raw.content);
  const message: ChatCompletionMessage = { role: 'assistant', content: text, refusal: readString(raw.refusal) ?? null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  // DeepSeek/xAI `reasoning_content`; Groq/OpenRouter/Ollama `reasoning`; Mistral thinking chunks.
  const reasoningText = readString(raw.reasoning_content) ?? readString(raw.reasoning) ?? reasoning;
  if (reasoningText !== null) message.reasoning_content = reasoningText;
  if (Array.isArray(raw.reasoning_details)) message.reasoning_details = raw.reasoning_details.filter(isRecord) as unknown as ReasoningDetail[];
  if (Array.isArray(raw.annotations)) message.annotations = raw.annotations;
  return message;
}

function mapChoice(raw: unknown, position: number, ctx: AdapterContext): ChatCompletionChoice {
  if (!isRecord(raw)) throw invalid(ctx, `choices[${position}] is not an object`);
  const index = readNumber(raw.index) ?? position;
  const message = isRecord(raw.message) ? raw.message : {};
  const toolCalls = mapToolCalls(message.tool_calls, index, ctx);
  const rawReason = readString(raw.finish_reason);
  const finish = mapFinishReason(rawReason, toolCalls.length > 0);
  if (finish === 'error') throw finishError(rawReason ?? 'error', ctx);
  return { index, message: mapMessage(message, toolCalls), finish_reason: finish, logprobs: isRecord(raw.logprobs) ? (raw.logprobs as unknown as ChoiceLogprobs) : null };
}

const SERVICE_TIERS: ReadonlySet<string> = new Set<ServiceTier>(['auto', 'default', 'flex', 'scale', 'priority']);

/** The type requires usage; a provider that sent none gets zeros and a warning, never a silent zero. */
function missingUsage(ctx: AdapterContext) {
  ctx.warn('the provider reported no usage: usage is zero and cost unknown');
  return buildUsage({ prompt: 0, completion: 0 });
}

/**
 * Maps a 2xx JSON body to a `ChatCompletion`, field by field (provider objects are never spread
 * into ours). A body carrying `error` is thrown as the typed error its code states.
 */
export function parseChatCompletion(body: unknown, ctx: AdapterContext, preset: OpenAICompatiblePreset, header: Header): ChatCompletion {
  if (!isRecord(body)) throw invalid(ctx, 'the body is not a JSON object');
  if (body.error != null && !Array.isArray(body.choices)) throw parseInBandError(body, header, ctx);
  if (!Array.isArray(body.choices)) throw invalid(ctx, 'no "choices" array');
  const completion: ChatCompletion = {
    id: readString(body.id) ?? '',
    object: 'chat.completion',
    created: readNumber(body.created) ?? Math.floor(Date.now() / 1000),
    model: readString(body.model) ?? ctx.model,
    choices: body.choices.map((choice, i) => mapChoice(choice, i, ctx)),
    usage: normalizeOpenAIUsage(body.usage, preset.usage) ?? missingUsage(ctx),
    provider: ctx.provider,
  };
  if (typeof body.system_fingerprint === 'string') completion.system_fingerprint = body.system_fingerprint;
  if (typeof body.service_tier === 'string' && SERVICE_TIERS.has(body.service_tier)) completion.service_tier = body.service_tier as ServiceTier;
  return completion;
}
