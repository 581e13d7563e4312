import { z } from 'zod';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { BufferLimits } from '../http/limits.js';
import type { RetryPolicy } from '../routing/retry.js';

/** A setting a provider did not support and dropped, reported through `hooks.onWarning`. */
export interface WarningEvent {
  provider: string;
  model: string;
  message: string;
}

/** A retry about to happen on the same deployment. */
export interface RetryHookEvent {
  provider: string;
  model: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
  error: Error;
}

export interface GatewayHooks {
  onWarning?(event: WarningEvent): void;
  onRetry?(event: RetryHookEvent): void;
}

export interface GatewayConfig {
  /** Provider key → adapter. Default: every provider whose API key is in the environment. */
  providers?: Record<string, ProviderAdapter>;
  /** Aliases: a name → a model id, or a list tried in order. */
  models?: Record<string, string | string[]>;
  retry?: Partial<RetryPolicy>;
  /** The call's deadline across all attempts (non-stream: to the answer; stream: to the first meaningful chunk). */
  timeoutMs?: number;
  /** Longest silence between stream events, counted from the response headers. */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Headers added to every provider request (they win over the adapter's). */
  headers?: Record<string, string>;
  /** Use this `fetch` (and the fetch transport) for every provider instead of `node:http`. */
  fetch?: typeof fetch;
  limits?: Partial<BufferLimits>;
  hooks?: GatewayHooks;
}

const positiveInt = z.number().int().positive();
const providerKey = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a provider key is letters, digits, "_", "-" or "." (no "/" or ":")');
const adapter = z.custom<ProviderAdapter>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ProviderAdapter).buildRequest === 'function' &&
    typeof (value as ProviderAdapter).parseResponse === 'function',
  'expected a provider, e.g. openai() or openaiCompatible({ name, baseURL })',
);

export const gatewayConfigSchema = z.strictObject({
  providers: z.record(providerKey, adapter).optional(),
  models: z.record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)])).optional(),
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(10).optional(),
      maxRetryAfterMs: z.number().int().min(0).optional(),
      initialDelayMs: z.number().int().min(0).optional(),
      maxDelayMs: z.number().int().min(0).optional(),
    })
    .optional(),
  timeoutMs: positiveInt.optional(),
  idleTimeoutMs: positiveInt.optional(),
  connectTimeoutMs: positiveInt.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  fetch: z.custom<typeof fetch>((value) => typeof value === 'function', 'expected a fetch function').optional(),
  limits: z
    .strictObject({
      maxBodyBytes: positiveInt.optional(),
      maxLineBytes: positiveInt.optional(),
      maxEventBytes: positiveInt.optional(),
    })
    .optional(),
  hooks: z
    .strictObject({
      onWarning: z.custom<GatewayHooks['onWarning']>((value) => typeof value === 'function', 'expected a function').optional(),
      onRetry: z.custom<GatewayHooks['onRetry']>((value) => typeof value === 'function', 'expected a function').optional(),
    })
    .optional(),
});
