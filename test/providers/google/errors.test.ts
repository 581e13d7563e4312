/** Error mapping on the adapter directly: bodies, details, headers, in-band errors. */
import { describe, expect, it } from 'vitest';
import { google } from '../../../src/providers/google/index.js';
import { GoogleStreamMapper } from '../../../src/providers/google/stream.js';
import { context, fixture, headerLookup, KEY, runMapper, thrown } from './helpers.js';

const adapter = google({ apiKey: KEY });
const ctx = context('google', 'gemini-2.5-flash');

function parseError(status: number, body: unknown, headers: Record<string, string> = {}) {
  return adapter.parseError(status, typeof body === 'string' ? body : JSON.stringify(body), headerLookup(headers), ctx) as unknown as {
    code: string;
    status?: number;
    retryAfterMs?: number;
    retryable: boolean;
    providerCode?: string;
    message: string;
  };
}

const rpc = (type: string, fields: Record<string, unknown>) => ({ '@type': `type.googleapis.com/google.rpc.${type}`, ...fields });
const error = (code: number, status: string, message: string, details?: unknown[]) => ({ error: { code, message, status, ...(details ? { details } : {}) } });

describe('google parseError', () => {
  it.each([
    ['RetryInfo "34s"', [rpc('RetryInfo', { retryDelay: '34s' })], {}, 34000],
    ['RetryInfo "1.5s"', [rpc('RetryInfo', { retryDelay: '1.5s' })], {}, 1500],
    ['RetryInfo as { seconds, nanos }', [rpc('RetryInfo', { retryDelay: { seconds: '2', nanos: 500000000 } })], {}, 2500],
    ['retry-after header', [], { 'retry-after': '7' }, 7000],
    ['none', [], {}, undefined],
  ])('429 with %s → RateLimitError', (_, details, headers, wait) => {
    const e = parseError(429, error(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', details), headers);
    expect(e.code).toBe('rate_limit');
    expect(e.retryable).toBe(true);
    expect(e.retryAfterMs).toBe(wait);
  });

  it('reads the wait from the message when the body has no RetryInfo', () => {
    expect(parseError(429, error(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded. Please retry in 13.802383614s.')).retryAfterMs).toBe(13802);
  });

  it.each([
    ['a per-day quota', [rpc('QuotaFailure', { violations: [{ quotaId: 'GenerateContentInputTokensPerModelPerDay-FreeTier' }] })], 'Quota exceeded'],
    ['a zero quota', [rpc('QuotaFailure', { violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaValue: '0' }] })], 'Quota exceeded'],
    ['"limit: 0" in the message', [], 'Quota exceeded for metric: x, limit: 0, model: gemini-2.5-pro'],
  ])('429 for %s → QuotaExceededError (not retried)', (_, details, message) => {
    const e = parseError(429, error(429, 'RESOURCE_EXHAUSTED', message, details));
    expect(e.code).toBe('quota_exceeded');
    expect(e.retryable).toBe(false);
  });

  it('maps a non-JSON gateway page by status, with an excerpt', () => {
    const e = parseError(502, '<html><body><h1>502 Bad Gateway</h1></body></html>');
    expect(e.code).toBe('server_error');
    expect(e.message).toContain('502 Bad Gateway');
  });

  it('maps an empty body by status', () => {
    expect(parseError(500, '').code).toBe('server_error');
    expect(parseError(403, '').code).toBe('permission_error');
  });

  it('reads an error wrapped in an array (the non-SSE stream endpoint)', () => {
    const e = parseError(404, `[${fixture('error-404.json')}]`);
    expect(e.code).toBe('not_found');
    expect(e.message).toContain('models/gemini-9-ultra is not found');
  });

  it('maps UNAVAILABLE without "overloaded" to ProviderOverloadedError as well', () => {
    expect(parseError(503, error(503, 'UNAVAILABLE', 'The service is currently unavailable.')).code).toBe('overloaded');
  });

  it('never includes the key, even when a proxy echoes it', () => {
    const e = parseError(400, error(400, 'INVALID_ARGUMENT', `API key not valid: ${KEY}`, [rpc('ErrorInfo', { reason: 'API_KEY_INVALID' })]));
    expect(e.code).toBe('authentication_error');
    expect(e.message).not.toContain(KEY);
    expect(JSON.stringify(e)).not.toContain(KEY);
  });
});

describe('in-band stream errors', () => {
  it.each([
    [error(429, 'RESOURCE_EXHAUSTED', 'slow down', [rpc('RetryInfo', { retryDelay: '34s' })]), 'rate_limit', 429],
    [error(500, 'INTERNAL', 'An internal error has occurred.'), 'server_error', 500],
    [error(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'), 'overloaded', 503],
    [error(400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.'), 'bad_request', 400],
  ])('%j → %s', (body, code, status) => {
    const e = thrown(() => runMapper(new GoogleStreamMapper(ctx), `data: ${JSON.stringify(body)}\r\n\r\n`)) as { code: string; status: number; retryAfterMs?: number };
    expect(e.code).toBe(code);
    expect(e.status).toBe(status);
    if (code === 'rate_limit') expect(e.retryAfterMs).toBe(34000);
  });
});
