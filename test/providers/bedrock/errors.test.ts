/** Bedrock error mapping: HTTP answers and in-stream exceptions. */
import { describe, expect, it } from 'vitest';
import { errorType, parseBedrockError, parseStreamException } from '../../../src/providers/bedrock/errors.js';
import { context, headerLookup } from './helpers.js';

describe('errorType', () => {
  it.each<[string, Record<string, string>, unknown, string | undefined]>([
    ['header with a URL suffix', { 'x-amzn-ErrorType': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/' }, {}, 'ThrottlingException'],
    ['plain header', { 'x-amzn-errortype': 'AccessDeniedException' }, {}, 'AccessDeniedException'],
    ['body __type with a namespace', {}, { __type: 'com.amazon.coral.service#UnrecognizedClientException' }, 'UnrecognizedClientException'],
    ['header wins over the body', { 'x-amzn-errortype': 'ValidationException' }, { __type: 'Other' }, 'ValidationException'],
    ['nothing', {}, { message: 'x' }, undefined],
  ])('%s', (_name, headers, body, expected) => {
    expect(errorType(headerLookup(headers), body)).toBe(expected);
  });
});

describe('parseBedrockError', () => {
  it.each<[string, number, string, Record<string, string>, { name: string; retryable: boolean; messageIncludes: string }]>([
    ['an unknown type falls back to the status', 418, '{"message":"teapot"}', { 'x-amzn-errortype': 'TeapotException' }, { name: 'BadRequestError', retryable: false, messageIncludes: 'teapot (TeapotException)' }],
    ['no type, a 429', 429, '{"message":"slow down"}', {}, { name: 'RateLimitError', retryable: true, messageIncludes: 'slow down' }],
    ['no type, a 503', 503, '', {}, { name: 'ServerError', retryable: true, messageIncludes: '(no error message)' }],
    ['Message with a capital M', 403, '{"Message":"User is not authorized"}', { 'x-amzn-errortype': 'AccessDeniedException' }, { name: 'PermissionError', retryable: false, messageIncludes: 'User is not authorized' }],
    ['an HTML body', 502, '<html><body>Bad Gateway</body></html>', {}, { name: 'ServerError', retryable: true, messageIncludes: 'Bad Gateway' }],
    [
      'a validation error about input size is a context-window error',
      400,
      '{"message":"The model returned the following errors: too many input tokens"}',
      { 'x-amzn-errortype': 'ValidationException' },
      { name: 'ContextWindowExceededError', retryable: false, messageIncludes: 'too many input tokens' },
    ],
  ])('%s', (_name, status, body, headers, expected) => {
    const error = parseBedrockError(status, body, headerLookup(headers), context());
    expect(error.name).toBe(expected.name);
    expect(error.retryable).toBe(expected.retryable);
    expect(error.status).toBe(status);
    expect(error.message).toContain(expected.messageIncludes);
  });

  it('a Retry-After header, should one appear, is kept', () => {
    const error = parseBedrockError(429, '{"message":"x"}', headerLookup({ 'x-amzn-errortype': 'ThrottlingException', 'retry-after': '3' }), context());
    expect(error).toMatchObject({ name: 'RateLimitError', retryAfterMs: 3000 });
  });
});

describe('parseStreamException', () => {
  it.each<[string, string, { name: string; status: number | undefined; providerCode: string | undefined }]>([
    ['throttlingException', '{"message":"Too many"}', { name: 'RateLimitError', status: 429, providerCode: 'ThrottlingException' }],
    ['modelStreamErrorException', '{"message":"boom","originalStatusCode":500}', { name: 'ServerError', status: 424, providerCode: 'ModelStreamErrorException' }],
    ['validationException', '{"message":"bad"}', { name: 'BadRequestError', status: 400, providerCode: 'ValidationException' }],
    ['serviceUnavailableException', '{"message":"busy"}', { name: 'ProviderOverloadedError', status: 503, providerCode: 'ServiceUnavailableException' }],
    ['internalServerException', 'not json', { name: 'ServerError', status: 500, providerCode: 'InternalServerException' }],
    ['', '{"message":"?"}', { name: 'ServerError', status: undefined, providerCode: undefined }],
  ])('exception %j', (type, data, expected) => {
    expect(parseStreamException('exception', type, data, context())).toMatchObject(expected);
  });

  it('error messages carry their text as data', () => {
    const error = parseStreamException('error', 'InternalFailure', 'The request processing has failed.', context());
    expect(error).toMatchObject({ name: 'ServerError', providerCode: 'InternalFailure' });
    expect(error.message).toContain('The request processing has failed.');
  });
});
