import { parseDuration, parseRetryAfter } from '../../http/retry-after.js';

type Header = (name: string) => string | null;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, millisecond: 1, s: 1000, sec: 1000, second: 1000, m: 60_000, min: 60_000, minute: 60_000 };

/**
 * A wait stated in an error message: OpenAI "Please try again in 210ms" / "in 6m0s" / "in 1.5s",
 * Azure "Please retry after 6 seconds". `undefined` when the message states none.
 */
export function retryAfterFromMessage(message: string): number | undefined {
  const go = /(?:try again in|retry after|retry in)\s+((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)\b/i.exec(message);
  if (go?.[1] !== undefined) {
    const ms = parseDuration(go[1]);
    if (ms !== undefined) return ms;
  }
  const words = /(?:try again in|retry after|retry in)\s+(\d+(?:\.\d+)?)\s*(milliseconds?|seconds?|secs?|minutes?|mins?)\b/i.exec(message);
  if (words?.[1] === undefined || words[2] === undefined) return undefined;
  const unit = UNIT_MS[words[2].toLowerCase().replace(/s$/, '')];
  const ms = unit === undefined ? undefined : Math.round(Number(words[1]) * unit);
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined;
}

/**
 * How long to wait after a 429, best source first: `retry-after-ms` / `retry-after` headers, a
 * wait stated in the message, then the reset time of an exhausted OpenAI/Groq rate-limit window
 * (`x-ratelimit-reset-requests` when `x-ratelimit-remaining-requests` is 0, likewise for tokens).
 * Reset headers of a window that is not exhausted are not a wait and are ignored.
 */
export function rateLimitWait(header: Header, message: string): number | undefined {
  const stated = parseRetryAfter(header) ?? retryAfterFromMessage(message);
  if (stated !== undefined) return stated;
  let wait: number | undefined;
  for (const window of ['requests', 'tokens']) {
    if (header(`x-ratelimit-remaining-${window}`)?.trim() !== '0') continue;
    const reset = header(`x-ratelimit-reset-${window}`);
    const ms = reset === null ? undefined : parseDuration(reset);
    if (ms !== undefined) wait = Math.max(wait ?? 0, ms);
  }
  return wait;
}

/** `x-should-retry: true|false` (OpenAI, Anthropic), which overrides the status-based default. */
export function shouldRetryHeader(header: Header): boolean | undefined {
  const value = header('x-should-retry')?.trim().toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : undefined;
}
