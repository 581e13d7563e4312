/**
 * One row per preset: how to create it, what it must send, and what each fixture must map to.
 * Shared by the adapter-level unit tests and the public-API (msw) tests.
 */
import type { ErrorCode } from '../../../src/errors/base.js';
import type { ProviderAdapter } from '../../../src/providers/adapter.js';
import {
  azure,
  deepseek,
  fireworks,
  groq,
  mistral,
  ollama,
  openai,
  openaiCompatible,
  openrouter,
  together,
  xai,
} from '../../../src/providers/openai-compatible/index.js';
import type { CompletionUsage } from '../../../src/request/types.js';

type Details = { cached?: number; cacheWrite?: number; reasoning?: number; cost?: number };

/** The unified usage expected for a fixture. */
export function usage(prompt: number, completion: number, details: Details = {}): CompletionUsage {
  const out: CompletionUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, cost: details.cost ?? null };
  if (details.cached !== undefined || details.cacheWrite !== undefined) {
    out.prompt_tokens_details = {};
    if (details.cached !== undefined) out.prompt_tokens_details.cached_tokens = details.cached;
    if (details.cacheWrite !== undefined) out.prompt_tokens_details.cache_write_tokens = details.cacheWrite;
  }
  if (details.reasoning !== undefined) out.completion_tokens_details = { reasoning_tokens: details.reasoning };
  return out;
}

export interface ErrorCase {
  file: string;
  status: number;
  headers?: Record<string, string>;
  expect: {
    name: string;
    code: ErrorCode;
    retryable: boolean;
    retryAfterMs?: number;
    providerCode?: string;
    requestId?: string;
    messageIncludes: string;
  };
}

export interface ExpectedCall {
  id: string;
  name: string;
  arguments: string;
}

export interface PresetCase {
  /** Provider key in the gateway and in messages. */
  key: string;
  /** Fixture folder. */
  fixtures: string;
  /** Native model id. */
  model: string;
  create(): ProviderAdapter;
  url: string;
  /** The auth header(s) the adapter must send. */
  auth: Record<string, string>;
  body: {
    tokenField: 'max_tokens' | 'max_completion_tokens';
    developerRole: boolean;
    messageName: boolean;
    seedField: string;
    /** Fields of the standard request dropped with a warning, in warning order (`name`: on messages). */
    warned: readonly string[];
    streamOptions: boolean;
  };
  text: { content: string; reasoning?: string; usage: CompletionUsage; model: string };
  toolCall: { calls: ExpectedCall[]; usage: CompletionUsage; finish: 'tool_calls' };
  streamText: { content: string; reasoning?: string; usage: CompletionUsage; chunks: number };
  streamTool: { calls: ExpectedCall[]; usage: CompletionUsage; reasoning?: string };
  errors: ErrorCase[];
}

const OPENAI_BODY = { tokenField: 'max_completion_tokens', developerRole: true, messageName: true, seedField: 'seed', warned: [], streamOptions: true } as const;
const DEFAULT_BODY = { tokenField: 'max_tokens', developerRole: false, messageName: true, seedField: 'seed', warned: ['store'], streamOptions: true } as const;
const LYON = '{"city":"Lyon"}';
const LYON_SPACED = '{"city": "Lyon"}';

export const KEYS = {
  openai: 'sk-test-openai-0123456789abcdef',
  azure: 'azure-test-key-0123456789abcdef',
  deepseek: 'sk-test-deepseek-0123456789abcdef',
  groq: 'gsk_test0123456789abcdefghijkl',
  xai: 'xai-test0123456789abcdefghijkl',
  mistral: 'mistral-test-0123456789abcdef',
  together: 'together-test-0123456789abcdef',
  fireworks: 'fw_test0123456789abcdef',
  openrouter: 'sk-or-v1-test0123456789abcdef',
  llama: 'local-token-0123456789',
} as const;

export const CASES: PresetCase[] = [
  {
    key: 'openai',
    fixtures: 'openai',
    model: 'gpt-4o-mini',
    create: () => openai({ apiKey: KEYS.openai }),
    url: 'https://api.openai.com/v1/chat/completions',
    auth: { authorization: `Bearer ${KEYS.openai}` },
    body: OPENAI_BODY,
    text: { content: 'Bonjour ! Comment puis-je vous aider ?', usage: usage(1212, 11, { cached: 1024, reasoning: 0 }), model: 'gpt-4o-mini-2024-07-18' },
    toolCall: {
      calls: [
        { id: 'call_R7yWq2LmN4bX8cKd0PzT5hGe', name: 'get_weather', arguments: LYON },
        { id: 'call_Jm3Kp9QwErTy6UiOp1AsDfGh', name: 'get_time', arguments: '{}' },
      ],
      usage: usage(82, 47, { cached: 0, reasoning: 0 }),
      finish: 'tool_calls',
    },
    streamText: { content: 'Bonjour !', usage: usage(1212, 3, { cached: 1024, reasoning: 0 }), chunks: 4 },
    streamTool: {
      calls: [
        { id: 'call_R7yWq2LmN4bX8cKd0PzT5hGe', name: 'get_weather', arguments: LYON_SPACED },
        { id: 'call_Jm3Kp9QwErTy6UiOp1AsDfGh', name: 'get_weather', arguments: '{"city": "Paris"}' },
      ],
      usage: usage(88, 40, { cached: 0, reasoning: 0 }),
    },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '2', 'x-request-id': 'req_7f3a9c' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 2000, providerCode: 'rate_limit_exceeded', requestId: 'req_7f3a9c', messageIncludes: 'openai 429: Rate limit reached' },
      },
      {
        file: 'error-429.json',
        status: 429,
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 120, messageIncludes: 'Please try again in 120ms' },
      },
      {
        file: 'error-429-quota.json',
        status: 429,
        expect: { name: 'QuotaExceededError', code: 'quota_exceeded', retryable: false, providerCode: 'insufficient_quota', messageIncludes: 'exceeded your current quota' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, providerCode: 'context_length_exceeded', messageIncludes: 'maximum context length' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, providerCode: 'invalid_api_key', messageIncludes: 'openai 401: Incorrect API key' },
      },
    ],
  },
  {
    key: 'azure',
    fixtures: 'azure',
    model: 'my-gpt4o-mini',
    create: () => azure({ apiKey: KEYS.azure, resourceName: 'contoso' }),
    url: 'https://contoso.openai.azure.com/openai/deployments/my-gpt4o-mini/chat/completions?api-version=2024-10-21',
    auth: { 'api-key': KEYS.azure },
    body: { ...OPENAI_BODY, developerRole: false },
    text: { content: 'Bonjour ! Que puis-je faire pour vous ?', usage: usage(19, 12, { cached: 0, reasoning: 0 }), model: 'gpt-4o-mini-2024-07-18' },
    toolCall: { calls: [{ id: 'call_4kT9mQ2wLx7RbN1pZs8YvC3e', name: 'get_weather', arguments: LYON }], usage: usage(64, 16, { cached: 0, reasoning: 0 }), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', usage: usage(19, 3, { cached: 0, reasoning: 0 }), chunks: 4 },
    streamTool: { calls: [{ id: 'call_4kT9mQ2wLx7RbN1pZs8YvC3e', name: 'get_weather', arguments: LYON }], usage: usage(64, 16, { cached: 0, reasoning: 0 }) },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after-ms': '5800', 'retry-after': '6', 'x-request-id': '0d6b1c2e-azure' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 5800, requestId: '0d6b1c2e-azure', messageIncludes: 'azure 429: Requests to the ChatCompletions_Create' },
      },
      {
        file: 'error-429.json',
        status: 429,
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 6000, messageIncludes: 'Please retry after 6 seconds' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'ContentPolicyError', code: 'content_policy', retryable: false, providerCode: 'content_filter', messageIncludes: 'content management policy' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'Access denied' },
      },
    ],
  },
  {
    key: 'deepseek',
    fixtures: 'deepseek',
    model: 'deepseek-chat',
    create: () => deepseek({ apiKey: KEYS.deepseek }),
    url: 'https://api.deepseek.com/chat/completions',
    auth: { authorization: `Bearer ${KEYS.deepseek}` },
    body: DEFAULT_BODY,
    text: {
      content: '9.11 est plus petit que 9.9.',
      reasoning: 'Comparons 9.11 et 9.9 : 9.9 = 9.90, et 0.11 < 0.90.',
      usage: usage(21, 64, { cached: 0, reasoning: 51 }),
      model: 'deepseek-reasoner',
    },
    toolCall: { calls: [{ id: 'call_00_Xk3PqL9mW2vR7tYb4NcH8sJd', name: 'get_weather', arguments: LYON_SPACED }], usage: usage(190, 22, { cached: 128 }), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', usage: usage(14, 3, { cached: 0 }), chunks: 4 },
    streamTool: { calls: [{ id: 'call_00_Xk3PqL9mW2vR7tYb4NcH8sJd', name: 'get_weather', arguments: LYON_SPACED }], usage: usage(190, 22, { cached: 128 }) },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '3' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 3000, providerCode: 'rate_limit_reached', messageIncludes: 'deepseek 429: Rate Limit Reached' },
      },
      {
        file: 'error-429.json',
        status: 429,
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, messageIncludes: 'Rate Limit Reached' },
      },
      {
        file: 'error-402.json',
        status: 402,
        expect: { name: 'QuotaExceededError', code: 'quota_exceeded', retryable: false, messageIncludes: 'deepseek 402: Insufficient Balance' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, messageIncludes: 'maximum context length' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'Authentication Fails' },
      },
    ],
  },
  {
    key: 'groq',
    fixtures: 'groq',
    model: 'llama-3.3-70b-versatile',
    create: () => groq({ apiKey: KEYS.groq }),
    url: 'https://api.groq.com/openai/v1/chat/completions',
    auth: { authorization: `Bearer ${KEYS.groq}` },
    body: { ...DEFAULT_BODY, tokenField: 'max_completion_tokens', messageName: false, warned: ['name', 'store'] },
    text: { content: 'Bonjour !', reasoning: 'The user greets me in French; reply in French.', usage: usage(18, 24), model: 'qwen/qwen3-32b' },
    toolCall: { calls: [{ id: 'tk85n1k4m', name: 'get_weather', arguments: LYON }], usage: usage(231, 18), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', usage: usage(42, 3), chunks: 4 },
    streamTool: { calls: [{ id: 'fc_7b2e9d41', name: 'get_weather', arguments: LYON }], usage: usage(160, 31), reasoning: 'Need weather for Lyon.' },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '5', 'x-request-id': 'req_01kc7h9z' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 5000, providerCode: 'rate_limit_exceeded', requestId: 'req_01kc7h9z', messageIncludes: 'groq 429: Rate limit reached' },
      },
      {
        file: 'error-429.json',
        status: 429,
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 4235, messageIncludes: 'tokens per minute' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'BadRequestError', code: 'bad_request', retryable: false, providerCode: 'tool_use_failed', messageIncludes: 'Failed to call a function' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, providerCode: 'invalid_api_key', messageIncludes: 'Invalid API Key' },
      },
    ],
  },
  {
    key: 'xai',
    fixtures: 'xai',
    model: 'grok-3-mini',
    create: () => xai({ apiKey: KEYS.xai }),
    url: 'https://api.x.ai/v1/chat/completions',
    auth: { authorization: `Bearer ${KEYS.xai}` },
    body: { ...DEFAULT_BODY, tokenField: 'max_completion_tokens' },
    // completion_tokens exclude reasoning on xAI: 3 + 194.
    text: { content: 'Bonjour !', reasoning: 'Greeting in French. Answer briefly.', usage: usage(16, 197, { cached: 6, reasoning: 194 }), model: 'grok-3-mini' },
    toolCall: { calls: [{ id: 'call_48213775', name: 'get_weather', arguments: LYON }], usage: usage(420, 280, { cached: 384, reasoning: 255 }), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', reasoning: 'Greeting.', usage: usage(16, 197, { cached: 6, reasoning: 194 }), chunks: 4 },
    streamTool: {
      calls: [
        { id: 'call_48213775', name: 'get_weather', arguments: LYON },
        { id: 'call_90517342', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ],
      usage: usage(420, 296, { cached: 384, reasoning: 255 }),
    },
    errors: [
      {
        file: 'error-429-rate.json',
        status: 429,
        headers: { 'retry-after': '1' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 1000, providerCode: 'Some resource has been exhausted', messageIncludes: 'xai 429: Too many requests' },
      },
      {
        file: 'error-429.json',
        status: 429,
        expect: { name: 'QuotaExceededError', code: 'quota_exceeded', retryable: false, messageIncludes: 'spending limit' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'BadRequestError', code: 'bad_request', retryable: false, messageIncludes: 'Argument not supported on this model' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'Incorrect API key' },
      },
    ],
  },
  {
    key: 'mistral',
    fixtures: 'mistral',
    model: 'mistral-small-latest',
    create: () => mistral({ apiKey: KEYS.mistral }),
    url: 'https://api.mistral.ai/v1/chat/completions',
    auth: { authorization: `Bearer ${KEYS.mistral}` },
    body: { ...DEFAULT_BODY, messageName: false, seedField: 'random_seed', warned: ['name', 'user', 'store'], streamOptions: false },
    text: {
      content: 'Bonjour ! Comment puis-je vous aider ?',
      reasoning: "L'utilisateur dit bonjour. Je réponds poliment.",
      usage: usage(12, 61),
      model: 'magistral-small-latest',
    },
    toolCall: { calls: [{ id: 'Xy7Kp2QmZ', name: 'get_weather', arguments: LYON_SPACED }], usage: usage(97, 22), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', usage: usage(10, 3), chunks: 4 },
    streamTool: {
      calls: [
        { id: 'Xy7Kp2QmZ', name: 'get_weather', arguments: LYON_SPACED },
        { id: 'Qm4Rt8VbN', name: 'get_weather', arguments: '{"city": "Paris"}' },
      ],
      usage: usage(97, 40),
    },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '1' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 1000, providerCode: 'rate_limited', messageIncludes: 'mistral 429: Rate limit exceeded' },
      },
      {
        file: 'error-429.json',
        status: 429,
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, providerCode: 'rate_limited', messageIncludes: 'Rate limit exceeded' },
      },
      {
        file: 'error-422.json',
        status: 422,
        expect: { name: 'BadRequestError', code: 'bad_request', retryable: false, providerCode: 'invalid_request_error', messageIncludes: 'mistral 422: max_completion_tokens: Extra inputs are not permitted' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, messageIncludes: 'maximum context length' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, requestId: '4f0c2a9e8b7d41c5a3e6f1b2c9d8e7a0', messageIncludes: 'mistral 401: Unauthorized' },
      },
    ],
  },
  {
    key: 'together',
    fixtures: 'together',
    model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    create: () => together({ apiKey: KEYS.together }),
    url: 'https://api.together.xyz/v1/chat/completions',
    auth: { authorization: `Bearer ${KEYS.together}` },
    body: DEFAULT_BODY,
    text: { content: 'Bonjour !', usage: usage(38, 4), model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' },
    toolCall: { calls: [{ id: 'call_vq0f3m2k8t1x9r7w5p4c6b2a', name: 'get_weather', arguments: LYON }], usage: usage(211, 20), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', usage: usage(38, 3), chunks: 3 },
    streamTool: { calls: [{ id: 'call_vq0f3m2k8t1x9r7w5p4c6b2a', name: 'get_weather', arguments: LYON_SPACED }], usage: usage(211, 20) },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '4' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 4000, providerCode: 'rate_limit', messageIncludes: 'together 429: You are on tier' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, messageIncludes: 'Input validation error' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, providerCode: 'invalid_api_key', messageIncludes: 'Invalid API key provided' },
      },
    ],
  },
  {
    key: 'fireworks',
    fixtures: 'fireworks',
    model: 'accounts/fireworks/models/llama-v3p3-70b-instruct',
    create: () => fireworks({ apiKey: KEYS.fireworks }),
    url: 'https://api.fireworks.ai/inference/v1/chat/completions',
    auth: { authorization: `Bearer ${KEYS.fireworks}` },
    body: DEFAULT_BODY,
    text: { content: 'Bonjour !', usage: usage(17, 4, { cached: 0 }), model: 'accounts/fireworks/models/llama-v3p3-70b-instruct' },
    toolCall: { calls: [{ id: 'call_Wd9sLk2Qm8XbTr4VnYp1Hc0J', name: 'get_weather', arguments: LYON_SPACED }], usage: usage(248, 22, { cached: 192 }), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', usage: usage(17, 3, { cached: 0 }), chunks: 4 },
    streamTool: { calls: [{ id: 'call_Wd9sLk2Qm8XbTr4VnYp1Hc0J', name: 'get_weather', arguments: LYON_SPACED }], usage: usage(248, 22, { cached: 192 }) },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '2' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 2000, providerCode: 'rate_limit_exceeded', messageIncludes: 'fireworks 429: Request rate limit exceeded' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, messageIncludes: 'The prompt is too long' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, providerCode: 'unauthorized', messageIncludes: 'The API key you provided is invalid' },
      },
    ],
  },
  {
    key: 'openrouter',
    fixtures: 'openrouter',
    model: 'anthropic/claude-haiku-4.5',
    create: () => openrouter({ apiKey: KEYS.openrouter }),
    url: 'https://openrouter.ai/api/v1/chat/completions',
    auth: { authorization: `Bearer ${KEYS.openrouter}` },
    body: { ...DEFAULT_BODY, warned: [] },
    text: {
      content: 'Bonjour !',
      reasoning: 'The user says hello in French.',
      usage: usage(1830, 28, { cached: 1024, cacheWrite: 512, reasoning: 12, cost: 0.0009142 }),
      model: 'anthropic/claude-haiku-4.5',
    },
    // Gemini via OpenRouter: finish_reason "stop" with tool calls → tool_calls.
    toolCall: { calls: [{ id: 'tool_0_get_weather_Yx8PzQ1rS2tU3vW4', name: 'get_weather', arguments: LYON }], usage: usage(74, 18, { cached: 0, reasoning: 0, cost: 0.0000672 }), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', reasoning: 'Greeting.', usage: usage(12, 5, { cached: 0, reasoning: 2, cost: 0.000037 }), chunks: 3 },
    streamTool: { calls: [{ id: 'call_Lk8Mn2Op4Qr6St8Uv0Wx2Yz4', name: 'get_weather', arguments: LYON }], usage: usage(61, 15, { cached: 0, reasoning: 0, cost: 0.00001815 }) },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '7', 'x-generation-id': 'gen-1767613390-Zz' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 7000, requestId: 'gen-1767613390-Zz', messageIncludes: 'openrouter 429: Provider returned error (Venice: meta-llama' },
      },
      {
        file: 'error-402.json',
        status: 402,
        expect: { name: 'QuotaExceededError', code: 'quota_exceeded', retryable: false, messageIncludes: 'requires more credits' },
      },
      {
        file: 'error-403.json',
        status: 403,
        expect: { name: 'ContentPolicyError', code: 'content_policy', retryable: false, messageIncludes: 'flagged' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, messageIncludes: 'maximum context length' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'No auth credentials found' },
      },
    ],
  },
  {
    key: 'ollama',
    fixtures: 'ollama',
    model: 'qwen3:8b',
    create: () => ollama(),
    url: 'http://localhost:11434/v1/chat/completions',
    auth: {},
    body: { ...DEFAULT_BODY, warned: ['user', 'store'] },
    text: { content: 'Bonjour !', reasoning: "L'utilisateur salue en français.", usage: usage(18, 41), model: 'qwen3:8b' },
    toolCall: { calls: [{ id: 'call_k3v9x2qa', name: 'get_weather', arguments: LYON }], usage: usage(164, 19), finish: 'tool_calls' },
    streamText: { content: 'Bonjour', reasoning: 'Salut', usage: usage(18, 5), chunks: 4 },
    streamTool: { calls: [{ id: 'call_k3v9x2qa', name: 'get_weather', arguments: LYON }], usage: usage(164, 19) },
    errors: [
      {
        file: 'error-503.json',
        status: 503,
        expect: { name: 'ProviderOverloadedError', code: 'overloaded', retryable: true, providerCode: 'api_error', messageIncludes: 'ollama 503: server busy' },
      },
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '60' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 60000, messageIncludes: 'hourly usage limit' },
      },
      {
        file: 'error-404.json',
        status: 404,
        expect: { name: 'NotFoundError', code: 'not_found', retryable: false, providerCode: 'not_found_error', messageIncludes: 'try pulling it first' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'BadRequestError', code: 'bad_request', retryable: false, messageIncludes: 'does not support tools' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'ollama 401: unauthorized' },
      },
    ],
  },
  {
    key: 'llama',
    fixtures: 'compatible',
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    create: () => openaiCompatible({ name: 'llama', baseURL: 'http://localhost:8000/v1/', apiKey: KEYS.llama }),
    url: 'http://localhost:8000/v1/chat/completions',
    auth: { authorization: `Bearer ${KEYS.llama}` },
    body: { ...DEFAULT_BODY, warned: [] },
    text: { content: 'Bonjour !', usage: usage(42, 4), model: 'meta-llama/Llama-3.1-8B-Instruct' },
    toolCall: { calls: [{ id: 'chatcmpl-tool-7e8f9a0b1c2d4e3f', name: 'get_weather', arguments: LYON_SPACED }], usage: usage(210, 21), finish: 'tool_calls' },
    streamText: { content: 'Bonjour !', usage: usage(42, 3), chunks: 3 },
    streamTool: { calls: [{ id: 'chatcmpl-tool-7e8f9a0b1c2d4e3f', name: 'get_weather', arguments: LYON_SPACED }], usage: usage(210, 21) },
    errors: [
      {
        file: 'error-429.json',
        status: 429,
        headers: { 'retry-after': '1' },
        expect: { name: 'RateLimitError', code: 'rate_limit', retryable: true, retryAfterMs: 1000, providerCode: 'TooManyRequests', messageIncludes: 'llama 429: Too many requests' },
      },
      {
        file: 'error-400.json',
        status: 400,
        expect: { name: 'ContextWindowExceededError', code: 'context_window_exceeded', retryable: false, providerCode: 'BadRequestError', messageIncludes: 'maximum context length' },
      },
      {
        file: 'error-401.json',
        status: 401,
        expect: { name: 'AuthenticationError', code: 'authentication_error', retryable: false, messageIncludes: 'llama 401: Unauthorized' },
      },
    ],
  },
];
