/**
 * Fuzzing the OpenAI-compatible response and chunk mappers (every preset) with arbitrary JSON and
 * with structure-aware mutations of the recorded fixtures: a well-formed completion/chunk or a
 * typed error, never another throw, never prototype pollution.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProviderAdapter, StreamEvent } from '../../src/providers/adapter.js';
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
} from '../../src/providers/openai-compatible/index.js';
import { headerLookup, testContext } from '../helpers/adapter.js';
import { checkChunk, fixtureNames, fixtureText, runMapper, runParse, sseFixtureEvents, type Vocabulary } from './helpers.js';
import { describeMapperFuzz } from './mapper-fuzz.js';

const RUNS_ARBITRARY_BODY = 600;
const RUNS_MUTATED_BODY = 1_200;
const RUNS_ARBITRARY_EVENTS = 800;
const RUNS_MUTATED_STREAM = 1_200;

const PRESETS: Record<string, () => ProviderAdapter> = {
  azure: () => azure({ resourceName: 'fuzz' }),
  compatible: () => openaiCompatible({ name: 'compatible', baseURL: 'http://localhost:1/v1' }),
  deepseek: () => deepseek(),
  fireworks: () => fireworks(),
  groq: () => groq(),
  mistral: () => mistral(),
  ollama: () => ollama(),
  openai: () => openai(),
  openrouter: () => openrouter(),
  together: () => together(),
  xai: () => xai(),
};
const PRESET_NAMES = Object.keys(PRESETS);
const adapters = new Map(PRESET_NAMES.map((name) => [name, PRESETS[name]!()]));

const VOCAB: Vocabulary = {
  keys: [
    'id', 'object', 'created', 'model', 'choices', 'index', 'message', 'delta', 'role', 'content', 'refusal', 'tool_calls',
    'function', 'name', 'arguments', 'type', 'finish_reason', 'logprobs', 'usage', 'prompt_tokens', 'completion_tokens',
    'total_tokens', 'prompt_tokens_details', 'completion_tokens_details', 'cached_tokens', 'reasoning_tokens', 'audio_tokens',
    'reasoning', 'reasoning_content', 'reasoning_details', 'annotations', 'error', 'code', 'metadata', 'raw', 'provider_name',
    'system_fingerprint', 'service_tier', 'cost', 'text', 'thinking', 'prompt_cache_hit_tokens', 'detail', 'loc', 'msg',
  ],
  strings: [
    'stop', 'length', 'tool_calls', 'content_filter', 'function_call', 'error', 'insufficient_system_resource', 'model_length',
    'assistant', 'function', 'thinking', 'text', '[DONE]', 'auto', 'default', 'chat.completion', 'chat.completion.chunk',
  ],
};

interface BodySeed {
  preset: string;
  value: unknown;
}
interface StreamSeed {
  preset: string;
  events: StreamEvent[];
}

const bodySeeds: BodySeed[] = [];
const streamSeeds: StreamSeed[] = [];
for (const preset of PRESET_NAMES) {
  for (const name of fixtureNames(`openai-compatible/${preset}`, /\.json$/)) {
    bodySeeds.push({ preset, value: JSON.parse(fixtureText(`openai-compatible/${preset}/${name}`)) as unknown });
  }
  for (const name of fixtureNames(`openai-compatible/${preset}`, /\.sse$/)) {
    streamSeeds.push({ preset, events: sseFixtureEvents(fixtureText(`openai-compatible/${preset}/${name}`)) });
  }
}

const header = headerLookup({ 'x-request-id': 'req_fuzz' });

function parse(presetName: string, body: unknown) {
  return runParse(() => adapters.get(presetName)!.parseResponse(body, testContext(presetName, 'm-fuzz'), header));
}

function stream(presetName: string, events: readonly StreamEvent[]) {
  return runMapper(adapters.get(presetName)!.createStreamMapper(testContext(presetName, 'm-fuzz', true)), events);
}

describeMapperFuzz({
  name: 'openai-compatible',
  vocab: VOCAB,
  eventNames: ['error', 'message'],
  bodyDepth: 5,
  maxEvents: 8,
  // Every preset: each fixture is replayed with its own, arbitrary input with any.
  context: fc.constantFrom(...PRESET_NAMES),
  seedContexts: PRESET_NAMES,
  bodySeeds: bodySeeds.map((seed) => ({ value: seed.value, context: seed.preset })),
  streamSeeds: streamSeeds.map((seed) => ({ events: seed.events, context: seed.preset })),
  parse: (body, presetName) => parse(presetName, body),
  stream: (events, presetName) => stream(presetName, events),
  runs: { arbitraryBody: RUNS_ARBITRARY_BODY, mutatedBody: RUNS_MUTATED_BODY, arbitraryEvents: RUNS_ARBITRARY_EVENTS, mutatedStream: RUNS_MUTATED_STREAM },
});

/** Inputs the fuzzer found, kept as explicit regression cases. */
describe('openai-compatible fuzz regressions', () => {
  const chunk = (delta: string, extra = ''): StreamEvent => ({
    data: `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":${delta},"finish_reason":null${extra}}]}`,
  });

  it('a finish_reason naming an Object.prototype member ("constructor", "__proto__") maps to stop, not to a function', () => {
    for (const reason of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const body = JSON.parse(`{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"${reason}"}]}`);
      const outcome = parse('openai', body);
      expect(outcome.ok && (outcome.value as { choices: Array<{ finish_reason: unknown }> }).choices[0]!.finish_reason).toBe('stop');
      const { chunks } = stream('openai', [chunk('{"content":"hi"}'), { data: chunk('{}').data.replace('"finish_reason":null', `"finish_reason":"${reason}"`) }]);
      expect((chunks[1] as { choices: Array<{ finish_reason: unknown }> }).choices[0]!.finish_reason).toBe('stop');
    }
  });

  it('"tool_calls": null and other ill-typed delta fields are normalized, not passed on', () => {
    const { chunks } = stream('together', [
      chunk('{"role":"assistant","content":"","tool_calls":null}'),
      chunk('{"content":{"toString":1},"reasoning_content":7,"refusal":[],"tool_calls":{"0":{}}}'),
      chunk('{"tool_calls":[null,5,{"index":0,"id":9,"type":"x","function":{"name":{},"arguments":{"a":1}}}]}'),
      chunk('{"tool_calls":[{"index":0,"function":"f"}],"reasoning_details":[null,{"type":"reasoning.text","text":"t"}]}'),
    ]);
    for (const c of chunks) checkChunk(c);
    const deltas = chunks.map((c) => (c as { choices: Array<{ delta: Record<string, unknown> }> }).choices[0]!.delta);
    expect(deltas[0]!.tool_calls).toBeUndefined();
    expect(deltas[2]!.tool_calls).toEqual([{ index: 0, id: undefined, type: 'function', function: { name: undefined, arguments: '{"a":1}' } }]);
    expect(deltas[3]!.reasoning_details).toEqual([{ type: 'reasoning.text', text: 't' }]);
  });

  it('ill-typed chunk id, model, created and object are replaced', () => {
    const { chunks } = stream('openai', [
      { data: '{"id":"c1","model":"m","created":5,"choices":[{"index":0,"delta":{"content":"a"}}]}' },
      { data: '{"id":5,"object":7,"created":"x","model":{},"choices":[{"index":1e999,"delta":{"content":"b"},"logprobs":3}]}' },
    ]);
    expect(chunks[1]).toMatchObject({ id: 'c1', object: 'chat.completion.chunk', created: 5, model: 'm' });
  });

  it('deeply nested tool arguments are a typed error, not a stack overflow', () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const body = JSON.parse(`{"choices":[{"message":{"tool_calls":[{"id":"c","function":{"name":"f","arguments":${deep}}}]}}]}`);
    const outcome = parse('openai', body);
    expect(outcome.ok).toBe(false);
    const { error } = stream('openai', [chunk(`{"tool_calls":[{"index":0,"function":{"arguments":${deep}}}]}`)]);
    expect(error?.code).toBe('invalid_response');
  });

  it('guard: a "__proto__" key in usage is data, never a prototype', () => {
    const body = JSON.parse(`{"choices":[],"usage":{"__proto__":{"prompt_tokens":5},"completion_tokens":1}}`);
    const outcome = parse('openai', body);
    expect(outcome.ok && (outcome.value as { usage: { prompt_tokens: number } }).usage.prompt_tokens).toBe(0);
  });

  it('pydantic detail with non-string loc parts (in-band error) is a typed error', () => {
    const { error } = stream('mistral', [{ data: '{"error":{"message":{"detail":[{"loc":[{"toString":1},["x"],null],"msg":"bad"}]}}}' }]);
    expect(error).toBeDefined();
  });
});
