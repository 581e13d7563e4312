/**
 * Fuzzing the Bedrock Converse response and ConverseStream mappers with arbitrary JSON and with
 * structure-aware mutations of the recorded fixtures (with and without a `response_format` tool):
 * a well-formed completion/chunk or a typed error, never another throw, never prototype pollution.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/providers/adapter.js';
import { parseConverseResponse } from '../../src/providers/bedrock/response.js';
import { BedrockStreamMapper } from '../../src/providers/bedrock/stream.js';
import { headerLookup, testContext } from '../helpers/adapter.js';
import { transcriptEvents } from '../providers/bedrock/helpers.js';
import { fixtureNames, fixtureText, runMapper, runParse, type Vocabulary } from './helpers.js';
import { describeMapperFuzz } from './mapper-fuzz.js';

const RUNS_ARBITRARY_BODY = 600;
const RUNS_MUTATED_BODY = 1_200;
const RUNS_ARBITRARY_EVENTS = 800;
const RUNS_MUTATED_STREAM = 1_200;

const JSON_TOOL = 'weather_report';
const MODELS = ['anthropic.claude-sonnet-4-5-20250929-v1:0', 'amazon.nova-pro-v1:0'];

const EVENT_NAMES = [
  'messageStart', 'contentBlockStart', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata',
  'exception:throttlingException', 'exception:validationException', 'exception:modelStreamErrorException', 'exception:__proto__',
  'exception:constructor', 'exception:', 'error:InternalFailure', 'error:__proto__', 'error:',
];

const VOCAB: Vocabulary = {
  keys: [
    'output', 'message', 'content', 'role', 'text', 'toolUse', 'toolUseId', 'name', 'input', 'reasoningContent', 'reasoningText',
    'signature', 'redactedContent', 'stopReason', 'usage', 'inputTokens', 'outputTokens', 'totalTokens', 'cacheReadInputTokens',
    'cacheWriteInputTokens', 'metrics', 'latencyMs', 'contentBlockIndex', 'start', 'delta', 'Message', '__type',
  ],
  strings: [
    'end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'guardrail_intervened', 'content_filtered', 'malformed_model_output',
    'malformed_tool_use', 'model_context_window_exceeded', 'assistant', JSON_TOOL, 'get_weather', '{"city":', '"Lyon"}',
  ],
};

const bodySeeds = fixtureNames('bedrock', /\.json$/).map((name) => JSON.parse(fixtureText(`bedrock/${name}`)) as unknown);
const streamSeeds = fixtureNames('bedrock', /\.events$/).map((name) => transcriptEvents(name));
const header = headerLookup({ 'x-amzn-requestid': 'req-fuzz' });
const jsonTool = fc.constantFrom(undefined, JSON_TOOL);
const model = fc.constantFrom(...MODELS);

function parse(body: unknown, tool: string | undefined, modelId: string) {
  return runParse(() => parseConverseResponse(body, testContext('bedrock', modelId), header, tool));
}

function stream(events: readonly StreamEvent[], tool: string | undefined, modelId: string) {
  return runMapper(new BedrockStreamMapper(testContext('bedrock', modelId, true), tool), events);
}

describeMapperFuzz({
  name: 'bedrock',
  vocab: VOCAB,
  eventNames: EVENT_NAMES,
  bodyDepth: 6,
  maxEvents: 10,
  // With and without the response_format tool, on each model family.
  context: fc.record({ tool: jsonTool, model }),
  seedContexts: [
    { tool: undefined, model: MODELS[0]! },
    { tool: JSON_TOOL, model: MODELS[0]! },
  ],
  bodySeeds: bodySeeds.map((value) => ({ value })),
  streamSeeds: streamSeeds.map((events) => ({ events })),
  parse: (body, c) => parse(body, c.tool, c.model),
  stream: (events, c) => stream(events, c.tool, c.model),
  runs: { arbitraryBody: RUNS_ARBITRARY_BODY, mutatedBody: RUNS_MUTATED_BODY, arbitraryEvents: RUNS_ARBITRARY_EVENTS, mutatedStream: RUNS_MUTATED_STREAM },
});

/** Inputs the fuzzer found, kept as explicit regression cases. */
describe('bedrock fuzz regressions', () => {
  it('an in-stream exception named "__proto__" is a typed error, not a TypeError', () => {
    for (const name of ['exception:__proto__', 'error:__proto__']) {
      const { error } = stream([{ event: name, data: '{"message":"boom"}' }], undefined, MODELS[0]!);
      expect(error?.code).toBe('server_error');
    }
  });

  it('a stopReason naming an Object.prototype member maps to stop', () => {
    const outcome = parse(JSON.parse('{"output":{"message":{"content":[{"text":"hi"}]}},"stopReason":"constructor"}'), undefined, MODELS[0]!);
    expect(outcome.ok && (outcome.value as { choices: Array<{ finish_reason: unknown }> }).choices[0]!.finish_reason).toBe('stop');
  });

  it('deeply nested tool input is a typed error, not a stack overflow', () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    for (const tool of [undefined, 'f']) {
      const outcome = parse(JSON.parse(`{"output":{"message":{"content":[{"toolUse":{"toolUseId":"t","name":"f","input":${deep}}}]}}}`), tool, MODELS[0]!);
      expect(outcome.ok).toBe(false);
    }
  });
});
