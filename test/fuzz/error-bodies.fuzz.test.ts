/**
 * Fuzzing every provider's error-body parser and classifier: `parseError(status, bodyText, header)`
 * on arbitrary and mutated bodies, statuses and headers, and the in-band (200 body / stream) error
 * parsers. The property: always a `ProviderError` (returned, never thrown), with a sane retry hint,
 * serializable, no prototype pollution; and linear time on pathological messages.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors/index.js';
import type { ProviderAdapter } from '../../src/providers/adapter.js';
import { anthropic } from '../../src/providers/anthropic/index.js';
import { parseInBandError as anthropicInBand } from '../../src/providers/anthropic/errors.js';
import { bedrock } from '../../src/providers/bedrock/index.js';
import { parseStreamException } from '../../src/providers/bedrock/errors.js';
import { google } from '../../src/providers/google/index.js';
import { parseInBandError as googleInBand } from '../../src/providers/google/errors.js';
import { openai, openrouter } from '../../src/providers/openai-compatible/index.js';
import { parseInBandError as openaiInBand } from '../../src/providers/openai-compatible/errors.js';
import { headerLookup, testContext } from '../helpers/adapter.js';
import {
  astText,
  astValue,
  checkNoPollution,
  checkPlainData,
  checkTypedError,
  fixtureNames,
  fixtureText,
  jsonAst,
  mutateJson,
  mutationArbitrary,
  PROTO_KEYS,
  type Vocabulary,
} from './helpers.js';

const RUNS_ARBITRARY = 1_500;
const RUNS_MUTATED = 2_000;
const RUNS_IN_BAND = 600;

const ADAPTERS: Record<string, ProviderAdapter> = {
  openai: openai(),
  openrouter: openrouter(),
  anthropic: anthropic(),
  google: google(),
  bedrock: bedrock({ region: 'us-east-1' }),
};
const NAMES = Object.keys(ADAPTERS);

const VOCAB: Vocabulary = {
  keys: [
    'error', 'message', 'Message', 'type', 'code', 'status', 'param', 'details', 'detail', 'loc', 'msg', 'metadata', 'raw', 'provider_name',
    'headers', 'X-RateLimit-Reset', 'reasons', 'flagged_input', 'innererror', 'request_id', 'error_code', '@type', 'reason', 'retryDelay',
    'seconds', 'nanos', 'violations', 'quotaId', 'quotaValue', '__type', 'object',
  ],
  strings: [
    'rate_limit_exceeded', 'insufficient_quota', 'context_length_exceeded', 'content_filter', 'invalid_request_error', 'overloaded_error',
    'rate_limit_error', 'billing_error', 'enforced_spend_limit_reached', 'api_error', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE',
    'FAILED_PRECONDITION', 'INVALID_ARGUMENT', 'API_KEY_INVALID', 'type.googleapis.com/google.rpc.RetryInfo',
    'type.googleapis.com/google.rpc.QuotaFailure', 'type.googleapis.com/google.rpc.ErrorInfo', 'GenerateRequestsPerDayPerProject',
    '34s', '1.5s', `${'9'.repeat(400)}s`, 'ThrottlingException', 'ValidationException', 'com.amazon#__proto__', '__proto__',
    'Please try again in 1.5s.', `retry after ${'9'.repeat(400)} seconds`, 'prompt is too long', 'The model is overloaded', 'body',
  ],
};

const errorSeeds: Array<{ provider: string; text: string }> = [];
for (const [provider, folder] of [
  ['anthropic', 'anthropic'],
  ['google', 'google'],
  ['bedrock', 'bedrock'],
] as const) {
  for (const name of fixtureNames(folder, /^error-/)) errorSeeds.push({ provider, text: fixtureText(`${folder}/${name}`) });
}
for (const preset of ['openai', 'openrouter', 'azure', 'deepseek', 'groq', 'mistral', 'ollama', 'xai', 'together', 'fireworks', 'compatible']) {
  const provider = preset === 'openrouter' ? 'openrouter' : 'openai';
  for (const name of fixtureNames(`openai-compatible/${preset}`, /^error-/)) errorSeeds.push({ provider, text: fixtureText(`openai-compatible/${preset}/${name}`) });
}

const STATUSES = [200, 400, 401, 402, 403, 404, 408, 409, 413, 422, 424, 429, 500, 502, 503, 504, 529];
const status = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...STATUSES) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }) });

const HEADER_NAMES = [
  'retry-after', 'retry-after-ms', 'x-should-retry', 'x-request-id', 'request-id', 'x-amzn-requestid', 'x-amzn-errortype',
  'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens',
  'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset', 'anthropic-ratelimit-tokens-remaining',
  'anthropic-ratelimit-tokens-reset', 'x-generation-id',
];
const HEADER_VALUES = [
  '0', '1', '-1', '1.5', '30', '1e999', '9'.repeat(400), 'NaN', '', ' ', 'true', 'false', '6m0s', '210ms', `${'9'.repeat(400)}s`,
  'Wed, 21 Oct 2015 07:28:00 GMT', '2999-01-01T00:00:00Z', '1970-01-01T00:00:00Z', 'ThrottlingException:http://internal.amazon.com/x',
  '__proto__', 'constructor', 'com.amazon#__proto__', ':', '#',
];
const headers = fc.dictionary(fc.constantFrom(...HEADER_NAMES), fc.oneof(fc.constantFrom(...HEADER_VALUES), fc.string({ maxLength: 12 })), { maxKeys: 5 });

const bodyText = fc.oneof(
  { weight: 4, arbitrary: jsonAst(VOCAB, 5).map(astText) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '{}', '"error"', '<html><body>502</body></html>', '<<<<<', '{"error":', '[{"error":{"code":429}}]') },
);

/** parseError must return (never throw) a ProviderError; the status is the one given. */
function checkParseError(provider: string, code: number, text: string, headerValues: Record<string, string>): void {
  const error = ADAPTERS[provider]!.parseError(code, text, headerLookup(headerValues), testContext(provider, 'm-fuzz'));
  expect(error).toBeInstanceOf(ProviderError);
  checkTypedError(error);
  expect(error.status).toBe(code);
  checkPlainData(error.toJSON(), 'error.toJSON()');
  checkNoPollution();
}

describe('parseError fuzz (every provider)', () => {
  it('seeds: every error fixture, with every status', () => {
    for (const seed of errorSeeds) for (const code of STATUSES) checkParseError(seed.provider, code, seed.text, {});
  });

  it('arbitrary bodies, statuses and headers', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), status, bodyText, headers, (provider, code, text, headerValues) => {
        checkParseError(provider, code, text, headerValues);
      }),
      { numRuns: RUNS_ARBITRARY },
    );
  });

  it('mutated and truncated error fixtures, through every provider', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...errorSeeds),
        fc.constantFrom(...NAMES),
        fc.array(mutationArbitrary(VOCAB), { maxLength: 5 }),
        fc.option(fc.nat(), { nil: undefined }),
        status,
        headers,
        (seed, provider, mutations, cut, code, headerValues) => {
          let text = seed.text;
          try {
            text = mutateJson(JSON.parse(seed.text), mutations);
          } catch {
            // The HTML fixture stays text.
          }
          if (cut !== undefined) text = text.slice(0, cut % (text.length + 1));
          checkParseError(provider, code, text, headerValues);
        },
      ),
      { numRuns: RUNS_MUTATED },
    );
  });
});

describe('in-band error parsers fuzz', () => {
  const ctx = testContext('p', 'm-fuzz');
  const check = (error: unknown): void => {
    expect(error).toBeInstanceOf(ProviderError);
    checkTypedError(error as ProviderError);
    checkNoPollution();
  };

  it('OpenAI-compatible, Anthropic and Gemini error objects; Bedrock stream exceptions', () => {
    fc.assert(
      fc.property(
        jsonAst(VOCAB, 5),
        headers,
        fc.constantFrom('exception' as const, 'error' as const),
        fc.oneof(fc.constantFrom('', 'throttlingException', 'ValidationException', 'InternalFailure', ...PROTO_KEYS), fc.string({ maxLength: 10 })),
        (ast, headerValues, kind, type) => {
          const body = astValue(ast);
          const header = headerLookup(headerValues);
          check(openaiInBand(body, header, ctx));
          check(anthropicInBand(body, header, ctx));
          if (typeof body === 'object' && body !== null && !Array.isArray(body)) check(googleInBand(body as Record<string, unknown>, ctx, header));
          check(parseStreamException(kind, type, astText(ast), ctx));
        },
      ),
      { numRuns: RUNS_IN_BAND },
    );
  });
});

/** Inputs the fuzzer found, kept as explicit regression cases. */
describe('error-body fuzz regressions', () => {
  it('x-amzn-ErrorType / __type naming "__proto__" is classified, not a TypeError', () => {
    checkParseError('bedrock', 400, '{"message":"x"}', { 'x-amzn-errortype': '__proto__' });
    checkParseError('bedrock', 400, '{"__type":"com.amazon#__proto__","message":"x"}', {});
  });

  it('a pydantic detail whose loc holds objects is described, not a TypeError', () => {
    for (const provider of NAMES) checkParseError(provider, 422, '{"detail":[{"loc":["body",{"toString":1},3],"msg":"bad"}]}', {});
  });

  it('an OpenRouter metadata.raw nested too deeply for JSON.stringify is still an error', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    checkParseError('openrouter', 429, `{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":${deep}}}}`, {});
  });

  it('retry hints that overflow or go negative give no retryAfterMs', () => {
    const nines = '9'.repeat(400);
    checkParseError('openai', 429, `{"error":{"message":"Please try again in ${nines}s."}}`, {});
    checkParseError('openai', 429, `{"error":{"message":"Please retry after ${nines} seconds."}}`, {});
    checkParseError('openai', 429, '{}', { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': `${nines}s` });
    checkParseError('google', 429, `{"error":{"code":429,"message":"x","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":{"seconds":0,"nanos":-5000000000}}]}}`, {});
    checkParseError('google', 429, `{"error":{"code":429,"message":"x","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"${nines}s"}]}}`, {});
  });

  it('pathological 256 KiB messages are classified in linear time (no regex backtracking blow-up)', () => {
    const size = 256 * 1024;
    const fillers = [
      ' '.repeat(size),
      `Bearer${' '.repeat(size)}!`,
      '<'.repeat(size),
      'input token count '.repeat(size / 18),
      'try again in '.repeat(size / 13),
    ];
    const started = Date.now();
    for (const filler of fillers) {
      for (const provider of NAMES) {
        checkParseError(provider, 400, filler, {});
        checkParseError(provider, 429, JSON.stringify({ error: { message: filler, code: 400, status: 'INVALID_ARGUMENT' } }), {});
      }
    }
    // Linear: well under a second on any machine; the quadratic versions took minutes.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
