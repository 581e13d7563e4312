import type { AssistantMessageParam, ChatCompletionCreateParams } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import type { JsonRecord } from '../shared/json.js';
import type { OpenAIUsageOptions } from '../shared/usage.js';

/** Settings every OpenAI-compatible factory takes. */
export interface OpenAICompatibleSettings {
  /** The API key; default: the provider's usual environment variable, read when a request is built. */
  apiKey?: string;
  /** What the provider's official SDK calls the base URL (up to and including `/v1`). A trailing `/` is removed. */
  baseURL?: string;
  /**
   * Extra request headers, merged last (names are lower-cased). An `authorization` header (or
   * Azure's `api-key`) here takes over authentication: it is sent as given and no key is looked up.
   */
  headers?: Record<string, string>;
  /** A `fetch` to use for this provider (tests, proxies, edge runtimes). */
  fetch?: typeof fetch;
}

/** The request fields a preset can decline. */
export type OptionalField =
  | 'n'
  | 'seed'
  | 'user'
  | 'store'
  | 'metadata'
  | 'service_tier'
  | 'prediction'
  | 'verbosity'
  | 'logprobs'
  | 'top_logprobs'
  | 'logit_bias'
  | 'parallel_tool_calls'
  | 'reasoning_effort';

/**
 * `warn`: harmless, dropped with `ctx.warn`. `reject`: would change the answer's meaning, a
 * `ValidationError` naming the field. A field set to its neutral value (`n: 1`, `logprobs: false`)
 * is dropped silently either way.
 */
export type FieldPolicy = 'warn' | 'reject';

/** Where a provider's reasoning state goes when an assistant message is replayed. */
export type ReplayReasoning = (message: AssistantMessageParam, turn: { current: boolean }, out: JsonRecord) => void;

/**
 * A preset is data plus a few small hooks. The one OpenAI-compatible adapter does everything
 * else; a preset never copies adapter code.
 */
export interface OpenAICompatiblePreset {
  /** Default provider key (`openai`, `deepseek`, …). */
  readonly name: string;
  /** Environment variables holding the API key, first set wins. */
  readonly apiKeyEnv: readonly string[];
  /** False for local servers (Ollama, `openaiCompatible`): a missing key sends no auth header. */
  readonly apiKeyRequired: boolean;
  /** OpenAI's `web_search_options` (search models) is the provider's native web search for `:online`. */
  readonly webSearchOptions?: boolean;
  /** `authorization` (`Bearer <key>`) or Azure's `api-key` (the bare key). */
  readonly authHeader: 'authorization' | 'api-key';
  /** The default base URL, resolved lazily (env-derived for Ollama and Azure); `undefined` if unknown. */
  defaultBaseURL(): string | undefined;
  /** Shown when no base URL can be resolved. */
  readonly baseURLHint?: string;
  /** The chat endpoint; default `${baseURL}/chat/completions`. */
  chatURL?(baseURL: string, model: string): string;
  /** The field carrying the output-token limit (`max_completion_tokens` ?? `max_tokens` of the request). */
  readonly tokenLimitField: 'max_tokens' | 'max_completion_tokens';
  /** Whether `stream_options: { include_usage: true }` is sent (Mistral rejects it and sends usage anyway). */
  readonly streamOptions: boolean;
  /** Whether the `developer` role is understood; if not it is sent as `system`. */
  readonly developerRole: boolean;
  /** Whether `name` is accepted on system/user/assistant messages; if not it is dropped. */
  readonly messageName: boolean;
  /** Whether `cache_control` on text parts is passed (OpenRouter forwards it to Anthropic/Gemini). */
  readonly cacheControl: boolean;
  /** Whether `response_format: json_schema` is supported; if not it is a `ValidationError`. */
  readonly jsonSchema: boolean;
  /** Fields the provider does not take. */
  readonly unsupported: Readonly<Partial<Record<OptionalField, FieldPolicy>>>;
  /** Fields sent under another name (Mistral `seed` → `random_seed`). */
  readonly rename?: Readonly<Partial<Record<OptionalField, string>>>;
  /** Rewrites tool-call ids in history (Mistral's 9-char ids). Must be deterministic. */
  readonly toolCallId?: (id: string) => string;
  /** Whether tool messages carry `name` (the function's name; Mistral). */
  readonly toolMessageName?: boolean;
  /** Copies the reasoning state this provider wants back onto a replayed assistant message. */
  readonly replayReasoning?: ReplayReasoning;
  /** Usage quirks (xAI reasoning, OpenRouter cost). */
  readonly usage: OpenAIUsageOptions;
  /** Last adjustments to the body, before `providerOptions` are merged. */
  transformBody?(body: JsonRecord, params: ChatCompletionCreateParams, ctx: AdapterContext): void;
}

/** Fields only OpenAI (and Azure, OpenRouter) take; other presets drop them with a warning. */
export const OPENAI_ONLY: Readonly<Partial<Record<OptionalField, FieldPolicy>>> = {
  store: 'warn',
  metadata: 'warn',
  service_tier: 'warn',
  prediction: 'warn',
  verbosity: 'warn',
};

/** Defaults shared by most presets; a preset spreads this and overrides what differs. */
export const PRESET_DEFAULTS = {
  apiKeyRequired: true,
  authHeader: 'authorization',
  tokenLimitField: 'max_tokens',
  streamOptions: true,
  developerRole: false,
  messageName: true,
  cacheControl: false,
  jsonSchema: true,
  unsupported: OPENAI_ONLY,
  usage: {},
} as const satisfies Partial<OpenAICompatiblePreset>;

/** Removes one trailing `/` (or several) from a base URL. */
export function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
