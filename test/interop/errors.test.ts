/** Every typed error → the OpenAI error JSON, status and headers of `mux.fetch`. */
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  BudgetExceededError,
  BudgetStoreUnavailableError,
  ConnectionError,
  ContentPolicyError,
  ContextWindowExceededError,
  InvalidResponseError,
  LocalRateLimitError,
  ModelNotAllowedError,
  NoRouteError,
  NotFoundError,
  PermissionError,
  ProviderOverloadedError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
  StreamError,
  TimeoutError,
  ValidationError,
} from '../../src/index.js';
import { errorResponse, toOpenAIError } from '../../src/interop/index.js';

const budget = { limitId: 'l', scope: { user: 'u' }, limit: 1, spent: 1, reserved: 0, requested: 0.1, period: 'day' as const };

describe('toOpenAIError', () => {
  it.each([
    [new ValidationError([{ path: 'messages.0.content', message: 'bad' }]), 400, 'invalid_request_error', 'validation_error', 'messages.0.content'],
    [new BadRequestError('bad'), 400, 'invalid_request_error', 'bad_request', null],
    [new ContextWindowExceededError('too long'), 400, 'invalid_request_error', 'context_length_exceeded', 'messages'],
    [new ContentPolicyError('flagged'), 400, 'invalid_request_error', 'content_filter', null],
    [new AuthenticationError('no key'), 401, 'authentication_error', 'authentication_error', null],
    [new PermissionError('no'), 403, 'permission_error', 'permission_error', null],
    [new ModelNotAllowedError('not allowed', { limitId: 'l', scope: {}, deploymentId: 'a/b', allowed: [] }), 403, 'permission_error', 'model_not_allowed', 'model'],
    [new NotFoundError('no model'), 404, 'invalid_request_error', 'model_not_found', 'model'],
    [new RateLimitError('slow'), 429, 'rate_limit_error', 'rate_limit_exceeded', null],
    [new QuotaExceededError('no credits'), 429, 'insufficient_quota', 'insufficient_quota', null],
    [new BudgetExceededError('over budget', budget), 429, 'insufficient_quota', 'budget_exceeded', null],
    [new LocalRateLimitError('rpm', { limit: 'rpm', limitValue: 1, limitId: 'l', scope: {} }), 429, 'rate_limit_error', 'local_rate_limit', null],
    [new AbortError(), 499, 'invalid_request_error', 'aborted', null],
    [new ServerError('boom'), 500, 'server_error', 'server_error', null],
    [new ConnectionError('reset'), 502, 'server_error', 'connection_error', null],
    [new InvalidResponseError('html'), 502, 'server_error', 'invalid_response', null],
    [new StreamError('cut'), 502, 'server_error', 'stream_error', null],
    [new ProviderOverloadedError('busy'), 503, 'server_error', 'overloaded', null],
    [new NoRouteError('nothing'), 503, 'server_error', 'no_route', null],
    [new BudgetStoreUnavailableError('redis down'), 503, 'server_error', 'budget_store_unavailable', null],
    [new TimeoutError('deadline', 'late'), 504, 'server_error', 'timeout', null],
    [new TimeoutError('idle', 'silent'), 504, 'server_error', 'timeout', null],
    [new Error('anything'), 500, 'server_error', 'internal_error', null],
  ])('%s → %i %s %s', (error, status, type, code, param) => {
    const mapped = toOpenAIError(error);
    expect(mapped.status).toBe(status);
    expect(mapped.body.error).toEqual({ message: expect.any(String), type, param, code });
  });

  it('retry-after (seconds, rounded up) and retry-after-ms when retryAfterMs is known', () => {
    expect(toOpenAIError(new RateLimitError('slow', { retryAfterMs: 1_200 })).headers).toEqual({ 'retry-after': '2', 'retry-after-ms': '1200', 'x-should-retry': 'false' });
    expect(toOpenAIError(new RateLimitError('slow', { retryAfterMs: 0 })).headers).toEqual({ 'retry-after': '0', 'retry-after-ms': '0', 'x-should-retry': 'false' });
    expect(toOpenAIError(new ProviderOverloadedError('busy', { retryAfterMs: 3_000 })).headers['retry-after']).toBe('3');
    expect(toOpenAIError(new RateLimitError('slow')).headers).toEqual({ 'x-should-retry': 'false' });
  });

  it('x-should-retry is left to the client only for no_route and local_rate_limit with a known wait', () => {
    expect(toOpenAIError(new NoRouteError('cooling', { retryAfterMs: 4_000 })).headers).toEqual({ 'retry-after': '4', 'retry-after-ms': '4000' });
    expect(toOpenAIError(new NoRouteError('nothing')).headers['x-should-retry']).toBe('false');
    const local = new LocalRateLimitError('rpm', { limit: 'rpm', limitValue: 1, limitId: 'l', scope: {}, retryAfterMs: 500 });
    expect(toOpenAIError(local).headers).toEqual({ 'retry-after': '1', 'retry-after-ms': '500' });
    expect(toOpenAIError(new ServerError('boom')).headers['x-should-retry']).toBe('false');
  });

  it('only the redacted message goes out: no cause, stack, scope or attempts', async () => {
    const error = new BudgetExceededError('over budget for sk-abcdefghijklmnopqrstuvwx', { ...budget, cause: new Error('inner sk-zyxwvutsrqponmlkjihgfedc') });
    error.attempts = [{ provider: 'p', model: 'm', code: 'rate_limit', durationMs: 1 }];
    const response = errorResponse(error);
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/json');
    const text = await response.text();
    expect(text).not.toMatch(/sk-|inner|stack|attempts|scope/);
    expect(Object.keys(JSON.parse(text).error).sort()).toEqual(['code', 'message', 'param', 'type']);
    const generic = toOpenAIError(new Error('leak sk-abcdefghijklmnopqrstuvwx'));
    expect(generic.body.error.message).not.toContain('sk-abcdef');
  });
});
