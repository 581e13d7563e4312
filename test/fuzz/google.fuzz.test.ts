/**
 * Fuzzing the Gemini generateContent response and stream mappers with arbitrary JSON and with
 * structure-aware mutations of the recorded fixtures: a well-formed completion/chunk or a typed
 * error, never another throw, never prototype pollution.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/providers/adapter.js';
import { google } from '../../src/providers/google/index.js';
import { headerLookup, testContext } from '../helpers/adapter.js';
import { fixtureNames, fixtureText, runMapper, runParse, sseFixtureEvents, type Vocabulary } from './helpers.js';
import { describeMapperFuzz } from './mapper-fuzz.js';

const RUNS_ARBITRARY_BODY = 600;
const RUNS_MUTATED_BODY = 1_200;
const RUNS_ARBITRARY_EVENTS = 800;
const RUNS_MUTATED_STREAM = 1_200;

const adapter = google({ apiKey: 'AIza-fuzz' });

const VOCAB: Vocabulary = {
  keys: [
    'candidates', 'content', 'parts', 'text', 'thought', 'thoughtSignature', 'functionCall', 'name', 'args', 'id', 'finishReason',
    'finishMessage', 'index', 'usageMetadata', 'promptTokenCount', 'candidatesTokenCount', 'thoughtsTokenCount', 'totalTokenCount',
    'cachedContentTokenCount', 'toolUsePromptTokenCount', 'promptTokensDetails', 'modality', 'tokenCount', 'modelVersion',
    'responseId', 'createTime', 'promptFeedback', 'blockReason', 'blockReasonMessage', 'groundingMetadata', 'groundingSupports',
    'groundingChunks', 'segment', 'startIndex', 'endIndex', 'groundingChunkIndices', 'web', 'uri', 'title', 'logprobsResult',
    'chosenCandidates', 'topCandidates', 'token', 'logProbability', 'error', 'code', 'message', 'status', 'details', '@type',
    'reason', 'retryDelay', 'seconds', 'nanos', 'violations', 'quotaId', 'quotaValue', 'inlineData', 'executableCode', 'role',
  ],
  strings: [
    'STOP', 'MAX_TOKENS', 'SAFETY', 'RECITATION', 'MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'OTHER', 'model', 'AUDIO', 'TEXT',
    'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INVALID_ARGUMENT', 'FAILED_PRECONDITION', 'PERMISSION_DENIED', 'API_KEY_INVALID',
    'type.googleapis.com/google.rpc.RetryInfo', 'type.googleapis.com/google.rpc.ErrorInfo', 'type.googleapis.com/google.rpc.QuotaFailure',
    '34s', '1.5s', '2025-06-01T10:00:00Z', 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', 'https://example.com',
  ],
};

const bodySeeds = fixtureNames('google', /\.json$/).map((name) => JSON.parse(fixtureText(`google/${name}`)) as unknown);
const streamSeeds = fixtureNames('google', /\.sse$/).map((name) => sseFixtureEvents(fixtureText(`google/${name}`)));
const header = headerLookup({});

function parse(body: unknown) {
  return runParse(() => adapter.parseResponse(body, testContext('google', 'gemini-2.5-flash'), header));
}

function stream(events: readonly StreamEvent[]) {
  return runMapper(adapter.createStreamMapper(testContext('google', 'gemini-2.5-flash', true)), events);
}

describeMapperFuzz({
  name: 'google',
  vocab: VOCAB,
  eventNames: ['message'],
  bodyDepth: 5,
  maxEvents: 8,
  context: fc.constant(undefined),
  seedContexts: [undefined],
  bodySeeds: bodySeeds.map((value) => ({ value })),
  streamSeeds: streamSeeds.map((events) => ({ events })),
  parse: (body) => parse(body),
  stream: (events) => stream(events),
  runs: { arbitraryBody: RUNS_ARBITRARY_BODY, mutatedBody: RUNS_MUTATED_BODY, arbitraryEvents: RUNS_ARBITRARY_EVENTS, mutatedStream: RUNS_MUTATED_STREAM },
});

/** Inputs the fuzzer found, kept as explicit regression cases. */
describe('google fuzz regressions', () => {
  it('a finishReason naming an Object.prototype member maps to stop', () => {
    const outcome = parse(JSON.parse('{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"constructor"}]}'));
    expect(outcome.ok && (outcome.value as { choices: Array<{ finish_reason: unknown }> }).choices[0]!.finish_reason).toBe('stop');
    const { chunks } = stream([{ data: '{"candidates":[{"content":{"parts":[{"text":"hi"}]},"finishReason":"__proto__"}]}' }]);
    expect((chunks[0] as { choices: Array<{ finish_reason: unknown }> }).choices[0]!.finish_reason).toBe('stop');
  });

  it('deeply nested function-call args are a typed error, not a stack overflow', () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const body = `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":${deep}}}]}}]}`;
    expect(parse(JSON.parse(body)).ok).toBe(false);
    expect(stream([{ data: body }]).error?.code).toBe('invalid_response');
  });

  it('an in-band RetryInfo delay that is negative or overflows gives no retryAfterMs', () => {
    for (const delay of ['{"seconds":1e308}', '{"seconds":0,"nanos":-5000000000}', '"1e400s"', `"${'9'.repeat(400)}s"`]) {
      const outcome = parse(
        JSON.parse(`{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"slow down","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":${delay}}]}}`),
      );
      expect(outcome.ok).toBe(false);
    }
  });
});
