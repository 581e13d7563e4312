/**
 * The unified, OpenAI-shaped chat types. Requests, responses and chunks follow OpenAI Chat
 * Completions; the extensions are few and named: `provider`, `usage.cost`,
 * `usage.prompt_tokens_details.cache_write_tokens`, `reasoning_content`, `reasoning_details`,
 * and the request's `providerOptions`.
 */

export interface TextContentPart {
  type: 'text';
  text: string;
  /** Provider-specific extras for this part (e.g. Anthropic `cache_control`). */
  cache_control?: { type: 'ephemeral'; ttl?: '5m' | '1h' };
}

export interface ImageContentPart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export interface AudioContentPart {
  type: 'input_audio';
  input_audio: { data: string; format: 'wav' | 'mp3' };
}

export interface FileContentPart {
  type: 'file';
  file: { file_id?: string; filename?: string; file_data?: string };
}

export type UserContentPart = TextContentPart | ImageContentPart | AudioContentPart | FileContentPart;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Opaque reasoning state, in OpenRouter's format, sent back when the assistant message is replayed. */
export type ReasoningDetail =
  | { type: 'reasoning.text'; text: string; signature?: string | null; format?: string; index?: number; id?: string }
  | { type: 'reasoning.summary'; summary: string; format?: string; index?: number; id?: string }
  | { type: 'reasoning.encrypted'; data: string; format?: string; index?: number; id?: string };

export interface SystemMessage {
  role: 'system';
  content: string | TextContentPart[];
  name?: string;
}
export interface DeveloperMessage {
  role: 'developer';
  content: string | TextContentPart[];
  name?: string;
}
export interface UserMessage {
  role: 'user';
  content: string | UserContentPart[];
  name?: string;
}
export interface AssistantMessageParam {
  role: 'assistant';
  content?: string | TextContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  refusal?: string | null;
  reasoning_content?: string | null;
  reasoning_details?: ReasoningDetail[];
}
export interface ToolMessage {
  role: 'tool';
  content: string | TextContentPart[];
  tool_call_id: string;
}

export type ChatMessage = SystemMessage | DeveloperMessage | UserMessage | AssistantMessageParam | ToolMessage;

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null };
    };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

/** The request body of `chat.completions.create`, OpenAI's shape. */
export interface ChatCompletionCreateParamsBase {
  model: string;
  messages: ChatMessage[];
  /** A per-request fallback list (OpenRouter's `models`). Used by routing. */
  models?: string[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  user?: string;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  reasoning_effort?: ReasoningEffort | null;
  stream_options?: { include_usage?: boolean } | null;
  service_tier?: string | null;
  store?: boolean | null;
  metadata?: Record<string, string> | null;
  prediction?: unknown;
  verbosity?: 'low' | 'medium' | 'high' | null;
  /**
   * Extra body fields for a given provider key, merged into that provider's request body only:
   * `{ openrouter: { provider: { order: ['anthropic'] } } }`.
   */
  providerOptions?: Record<string, Record<string, unknown>>;
}

export interface ChatCompletionCreateParamsNonStreaming extends ChatCompletionCreateParamsBase {
  stream?: false | null;
}
export interface ChatCompletionCreateParamsStreaming extends ChatCompletionCreateParamsBase {
  stream: true;
}
export type ChatCompletionCreateParams = ChatCompletionCreateParamsNonStreaming | ChatCompletionCreateParamsStreaming;

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/** Usage, unified: every input token in `prompt_tokens`, every output token in `completion_tokens`. */
export interface CompletionUsage {
  /** All input tokens: uncached + cache reads + cache writes. */
  prompt_tokens: number;
  /** All output tokens, reasoning included. */
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: {
    /** Cache reads. */
    cached_tokens?: number;
    /** Cache writes (Anthropic, Bedrock, OpenRouter); omitted when zero or unknown. */
    cache_write_tokens?: number;
    audio_tokens?: number;
  };
  completion_tokens_details?: {
    reasoning_tokens?: number;
    audio_tokens?: number;
    accepted_prediction_tokens?: number;
    rejected_prediction_tokens?: number;
  };
  /** USD for this call; `null` when the price is unknown. */
  cost: number | null;
}

export interface TopLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
}
export interface TokenLogprob extends TopLogprob {
  top_logprobs: TopLogprob[];
}
export interface ChoiceLogprobs {
  content: TokenLogprob[] | null;
  refusal: TokenLogprob[] | null;
}

/** A web-search citation in the answer (OpenAI search models, OpenRouter `:online`). */
export interface UrlCitation {
  type: 'url_citation';
  url_citation: { start_index: number; end_index: number; title: string; url: string };
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  tool_calls?: ToolCall[];
  reasoning_content?: string | null;
  reasoning_details?: ReasoningDetail[];
  annotations?: UrlCitation[];
}

export interface ChatCompletionChoice {
  index: number;
  message: ChatCompletionMessage;
  finish_reason: FinishReason;
  logprobs: ChoiceLogprobs | null;
}

export type ServiceTier = 'auto' | 'default' | 'flex' | 'scale' | 'priority';

/** An OpenAI `ChatCompletion`, plus `provider` (the configured key that served it) and `usage.cost`. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage: CompletionUsage;
  system_fingerprint?: string;
  service_tier?: ServiceTier | null;
  /** The configured provider key that served this answer. */
  provider: string;
}

export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunkDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ChatCompletionChunkToolCall[];
  reasoning_content?: string | null;
  reasoning_details?: ReasoningDetail[];
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: ChatCompletionChunkDelta;
  finish_reason: FinishReason | null;
  logprobs?: ChoiceLogprobs | null;
}

/** An OpenAI `ChatCompletionChunk`, plus `provider`. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  usage?: CompletionUsage | null;
  system_fingerprint?: string;
  service_tier?: ServiceTier | null;
  provider: string;
}
