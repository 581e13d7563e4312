/**
 * Fuzzing the Anthropic Messages response and stream mappers with arbitrary JSON and with
 * structure-aware mutations of the recorded fixtures: a well-formed completion/chunk or a typed
 * error, never another throw, never prototype pollution.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/providers/adapter.js';
import { anthropic } from '../../src/providers/anthropic/index.js';
import { headerLookup, testContext } from '../helpers/adapter.js';
import { fixtureNames, fixtureText, runMapper, runParse, sseFixtureEvents, type Vocabulary } from './helpers.js';
import { describeMapperFuzz } from './mapper-fuzz.js';

const RUNS_ARBITRARY_BODY = 600;
const RUNS_MUTATED_BODY = 1_200;
const RUNS_ARBITRARY_EVENTS = 1_000;
const RUNS_MUTATED_STREAM = 1_200;
const RUNS_PROTO_USAGE = 300;

const adapter = anthropic({ apiKey: 'sk-ant-fuzz' });

const EVENT_NAMES = ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error'];

const VOCAB: Vocabulary = {
  keys: [
    'type', 'id', 'model', 'role', 'content', 'text', 'input', 'name', 'thinking', 'signature', 'data', 'stop_reason', 'usage',
    'input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'cache_creation',
    'ephemeral_5m_input_tokens', 'ephemeral_1h_input_tokens', 'output_tokens_details', 'thinking_tokens', 'message', 'index',
    'content_block', 'delta', 'partial_json', 'error', 'details', 'error_code', 'request_id',
  ],
  strings: [
    ...EVENT_NAMES, 'text', 'tool_use', 'thinking', 'redacted_thinking', 'server_tool_use', 'text_delta', 'input_json_delta',
    'thinking_delta', 'signature_delta', 'citations_delta', 'end_turn', 'max_tokens', 'stop_sequence', 'pause_turn', 'refusal',
    'overloaded_error', 'rate_limit_error', 'api_error', 'invalid_request_error', 'billing_error', 'assistant', 'message',
  ],
};

const bodySeeds = fixtureNames('anthropic', /\.json$/).map((name) => JSON.parse(fixtureText(`anthropic/${name}`)) as unknown);
const streamSeeds = fixtureNames('anthropic', /\.sse$/).map((name) => sseFixtureEvents(fixtureText(`anthropic/${name}`)));
const header = headerLookup({ 'request-id': 'req_fuzz' });

function parse(body: unknown) {
  return runParse(() => adapter.parseResponse(body, testContext('anthropic', 'claude-sonnet-4-5'), header));
}

function stream(events: readonly StreamEvent[]) {
  const mapper = adapter.createStreamMapper(testContext('anthropic', 'claude-sonnet-4-5', true));
  return { mapper, ...runMapper(mapper, events) };
}

describeMapperFuzz({
  name: 'anthropic',
  vocab: VOCAB,
  eventNames: EVENT_NAMES,
  bodyDepth: 5,
  maxEvents: 10,
  context: fc.constant(undefined),
  seedContexts: [undefined],
  bodySeeds: bodySeeds.map((value) => ({ value })),
  streamSeeds: streamSeeds.map((events) => ({ events })),
  parse: (body) => parse(body),
  stream: (events) => stream(events),
  runs: { arbitraryBody: RUNS_ARBITRARY_BODY, mutatedBody: RUNS_MUTATED_BODY, arbitraryEvents: RUNS_ARBITRARY_EVENTS, mutatedStream: RUNS_MUTATED_STREAM },
});

describe('anthropic usage', () => {
  it('usage is read from own keys only: a "__proto__" entry adds nothing', () => {
    const count = fc.integer({ min: 0, max: 1_000_000 });
    fc.assert(
      fc.property(count, count, count, count, (input, output, cacheRead, injected) => {
        const proto = `"__proto__":{"output_tokens":${injected},"cache_read_input_tokens":${injected},"cache_creation":{"ephemeral_5m_input_tokens":${injected}}}`;
        const { mapper } = stream([
          { event: 'message_start', data: `{"type":"message_start","message":{"id":"m","usage":{${proto},"input_tokens":${input}}}}` },
          { event: 'message_delta', data: `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{${proto},"output_tokens":${output},"cache_read_input_tokens":${cacheRead}}}` },
          { event: 'message_stop', data: '{"type":"message_stop"}' },
        ]);
        expect(mapper.usage).toMatchObject({ prompt_tokens: input + cacheRead, completion_tokens: output });
      }),
      { numRuns: RUNS_PROTO_USAGE },
    );
  });
});

/** Inputs the fuzzer found, kept as explicit regression cases. */
describe('anthropic fuzz regressions', () => {
  it('a block event without an index whose "type" is an object with an own toString is a typed error', () => {
    const { error } = stream([{ event: 'content_block_start', data: '{"type":{"toString":1},"content_block":{"type":"text"}}' }]);
    expect(error?.code).toBe('invalid_response');
  });

  it('token counts near the largest double do not add up to an infinite prompt_tokens', () => {
    const huge = '1.7976931348623157e308';
    const { mapper } = stream([
      { event: 'message_start', data: `{"type":"message_start","message":{"usage":{"input_tokens":${huge},"cache_read_input_tokens":${huge},"output_tokens":1}}}` },
    ]);
    expect(Number.isFinite((mapper.usage as { prompt_tokens: number }).prompt_tokens)).toBe(true);
  });

  it('a "__proto__" usage entry does not become the usage prototype', () => {
    const { mapper } = stream([
      { event: 'message_start', data: '{"type":"message_start","message":{"usage":{"__proto__":{"output_tokens":7},"input_tokens":3}}}' },
    ]);
    expect(mapper.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 0 });
  });

  it('a stop_reason naming an Object.prototype member maps to stop', () => {
    const outcome = parse(JSON.parse('{"content":[{"type":"text","text":"hi"}],"stop_reason":"constructor"}'));
    expect(outcome.ok && (outcome.value as { choices: Array<{ finish_reason: unknown }> }).choices[0]!.finish_reason).toBe('stop');
  });

  it('deeply nested tool input is a typed error, not a stack overflow', () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    expect(parse(JSON.parse(`{"content":[{"type":"tool_use","id":"t","name":"f","input":${deep}}]}`)).ok).toBe(false);
    const { error } = stream([
      { event: 'content_block_start', data: `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":${deep}}}` },
      { event: 'content_block_stop', data: '{"type":"content_block_stop","index":0}' },
    ]);
    expect(error?.code).toBe('invalid_response');
  });
});
