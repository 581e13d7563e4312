import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError, type ValidationIssue } from '../../src/errors/classes.js';
import {
  array,
  boolean,
  func,
  is,
  literal,
  nullable,
  nullish,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  report,
  string,
  union,
  unknown,
  variants,
  type Check,
  type Issue,
} from '../../src/request/check.js';
import { gatewayConfigSchema } from '../../src/request/config.js';
import { chatRequestSchema, requestOptionsSchema } from '../../src/request/schema.js';
import type { ChatCompletionCreateParams, ChatMessage, FunctionTool, TextContentPart, UserContentPart } from '../../src/request/types.js';
import { parseOrThrow, validate } from '../../src/request/validate.js';

/** Runs a check; the issues as `[path, message]`. */
function run(check: Check<unknown>, value: unknown): { ok: boolean; issues: Array<[string, string]> } {
  const issues: Issue[] = [];
  const ok = check(value, issues);
  return { ok, issues: issues.map((issue) => [issue.path, issue.message]) };
}

function thrown(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
afterEach(() => {
  // Nothing here may ever write to Object.prototype.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
});

// ---------------------------------------------------------------------------------------------
// Builders, table-driven

const E = (path: string, message: string): [string, string] => [path, message];
class Thing {
  a = 'x';
}

describe('builders', () => {
  it.each<[string, Check<unknown>, unknown, Array<[string, string]>]>([
    ['string', string(), 'a', []],
    ['string: a number', string(), 1, [E('', 'expected string, received number')]],
    ['string: a String object', string(), new String('a'), [E('', 'expected string, received String')]],
    ['string: undefined', string(), undefined, [E('', 'expected string, received undefined')]],
    ['string min 1', string({ min: 1 }), '', [E('', 'expected a non-empty string')]],
    ['string min 3', string({ min: 3 }), 'ab', [E('', 'expected at least 3 characters, received 2')]],
    ['string max', string({ max: 2 }), 'abc', [E('', 'expected at most 2 characters, received 3')]],
    ['string pattern, own message', string({ pattern: /^a+$/, message: 'only a' }), 'ab', [E('', 'only a')]],
    ['string, custom min message', string({ min: 1, message: 'a model id is required' }), '', [E('', 'a model id is required')]],
    ['number', number(), -1.5, []],
    ['number: NaN', number(), Number.NaN, [E('', 'expected number, received NaN')]],
    ['number: Infinity', number(), Number.POSITIVE_INFINITY, [E('', 'expected number, received Infinity')]],
    ['number: a string', number(), '1', [E('', 'expected number, received string')]],
    ['number: null', number(), null, [E('', 'expected number, received null')]],
    ['int', number({ int: true }), 1.5, [E('', 'expected an integer, received 1.5')]],
    ['int: not safe', number({ int: true }), 2 ** 53, [E('', 'expected a safe integer, received 9007199254740992')]],
    ['gt', number({ gt: 0 }), 0, [E('', 'expected a number > 0, received 0')]],
    ['min', number({ min: 0 }), -1, [E('', 'expected a number >= 0, received -1')]],
    ['max', number({ max: 2 }), 3, [E('', 'expected a number <= 2, received 3')]],
    ['max, own message', number({ max: 2, maxMessage: 'at most 2 USD' }), 3, [E('', 'at most 2 USD')]],
    ['every failed bound', number({ int: true, gt: 0, max: 1 }), -1.5, [E('', 'expected an integer, received -1.5'), E('', 'expected a number > 0, received -1.5')]],
    ['boolean', boolean(), false, []],
    ['boolean: 0', boolean(), 0, [E('', 'expected boolean, received number')]],
    ['literal', literal('text'), 'text', []],
    ['literal: another', literal('text'), 'image', [E('', 'expected "text", received "image"')]],
    ['literal: a long value is cut', literal('a'), 'x'.repeat(100), [E('', `expected "a", received "${'x'.repeat(40)}…"`)]],
    ['oneOf', oneOf(['a', 'b']), 'b', []],
    ['oneOf: another', oneOf(['a', 'b']), 'c', [E('', 'expected one of "a", "b", received "c"')]],
    ['oneOf: an object', oneOf(['a', 'b']), {}, [E('', 'expected one of "a", "b", received object')]],
    ['unknown', unknown(), undefined, []],
    ['optional', optional(string()), undefined, []],
    ['optional: null', optional(string()), null, [E('', 'expected string, received null')]],
    ['nullable', nullable(string()), null, []],
    ['nullable: undefined', nullable(string()), undefined, [E('', 'expected string, received undefined')]],
    ['nullish', nullish(string()), undefined, []],
    ['is', is((v) => v === 7, 'seven'), 8, [E('', 'expected seven, received number')]],
    ['is, own message', is((v) => v === 7, 'seven', 'not seven'), 8, [E('', 'not seven')]],
    ['func', func(), () => 1, []],
    ['func: a string', func(), 'f', [E('', 'expected a function, received string')]],
  ])('%s', (_name, check, value, expected) => {
    const result = run(check, value);
    expect(result.issues).toEqual(expected);
    expect(result.ok).toBe(expected.length === 0);
  });

  const pair = object({ a: string(), b: optional(number()) });
  const loosePair = object({ a: string() }, { loose: true });
  it.each<[string, Check<unknown>, unknown, Array<[string, string]>]>([
    ['array', array(number()), [1, 2], []],
    ['array: elements, by index', array(number()), [1, 'x', null], [E('1', 'expected number, received string'), E('2', 'expected number, received null')]],
    ['array: not one', array(number()), { 0: 1, length: 1 }, [E('', 'expected array, received object')]],
    ['array: min, after the elements', array(number(), { min: 3 }), ['x'], [E('0', 'expected number, received string'), E('', 'expected at least 3 items')]],
    ['array: min 1, own message', array(number(), { min: 1, message: 'at least one' }), [], [E('', 'at least one')]],
    ['array: max first, elements not looked into', array(number(), { max: 1 }), ['x', 'y'], [E('', 'expected at most 1 item, received 2')]],
    ['array: a hole is undefined', array(number()), [1, , 3], [E('1', 'expected number, received undefined')]],
    ['object', pair, { a: 'x' }, []],
    ['object: optional key present as undefined', pair, { a: 'x', b: undefined }, []],
    ['object: a missing key', pair, {}, [E('a', 'expected string, received undefined')]],
    ['object: an unknown key', pair, { a: 'x', c: 1 }, [E('c', 'unknown field "c"')]],
    ['object: declared order, then unknown keys', pair, { z: 1, b: 'x', a: 1 }, [E('a', 'expected string, received number'), E('b', 'expected number, received string'), E('z', 'unknown field "z"')]],
    ['object: null', pair, null, [E('', 'expected object, received null')]],
    ['object: an array', pair, [], [E('', 'expected object, received array')]],
    ['object: a class instance is an object', object({ a: string() }), new Thing(), []],
    ['object: an inherited key is read', pair, Object.create({ a: 'x' }), []],
    ['object: JSON __proto__ is unknown', pair, JSON.parse('{"a":"x","__proto__":{"polluted":1}}'), [E('__proto__', 'unknown field "__proto__"')]],
    ['loose object: other keys are fine', loosePair, { a: 'x', c: 1 }, []],
    ['loose object: JSON __proto__ is fine', loosePair, JSON.parse('{"a":"x","__proto__":{"polluted":1}}'), []],
    ['nested paths', object({ a: array(object({ b: number() })) }), { a: [{ b: 1 }, { b: 'x' }] }, [E('a.1.b', 'expected number, received string')]],
    ['record', record(number()), { a: 1, 'b.c': 2 }, []],
    ['record: values', record(number()), { a: 'x' }, [E('a', 'expected number, received string')]],
    ['record: a null prototype', record(number()), Object.assign(Object.create(null) as object, { a: 1 }), []],
    ['record: not a Map', record(number()), new Map(), [E('', 'expected object, received Map')]],
    ['record: not a class instance', record(string()), new Thing(), [E('', 'expected object, received Thing')]],
    ['record: not an array', record(number()), [1], [E('', 'expected object, received array')]],
    ['record: keys', record(number(), string({ pattern: /^[a-z]+$/, message: 'lowercase' })), { a: 1, B: 2 }, [E('B', 'invalid key: lowercase')]],
    ['record: JSON __proto__', record(number()), JSON.parse('{"a":1,"__proto__":2}'), [E('__proto__', '"__proto__" is not allowed as a key')]],
  ])('%s', (_name, check, value, expected) => {
    const result = run(check, value);
    expect(result.issues).toEqual(expected);
    expect(result.ok).toBe(expected.length === 0);
  });

  const group = object({ deployments: array(string(), { min: 1 }) });
  const alias = union([string({ min: 1 }), array(string({ min: 1 }), { min: 1 }), group]);
  it.each<[string, Check<unknown>, unknown, Array<[string, string]>]>([
    ['union: a string', alias, 'a', []],
    ['union: an array', alias, ['a'], []],
    ['union: an object', alias, { deployments: ['a'] }, []],
    ['union: no branch for the kind', alias, 5, [E('', 'expected string, array or object, received number')]],
    ['union: the one branch that only missed a bound', alias, [], [E('', 'expected at least 1 item')]],
    ['union: its issues keep their paths', alias, { deployments: [] }, [E('deployments', 'expected at least 1 item')]],
    ['union: a bad value inside', alias, ['a', 5], [E('', 'at 1: expected string, received number')]],
    ['union: the deepest fatal issue', alias, { deployments: [1] }, [E('', 'at deployments.0: expected string, received number')]],
    ['union: the one branch for the kind', union([oneOf(['none', 'auto']), object({ type: literal('function') })]), 'x', [E('', 'expected one of "none", "auto", received "x"')]],
    ['union: a bound that stops the branch', union([string(), array(string(), { max: 1 })]), ['a', 'b'], [E('', 'expected at most 1 item, received 2')]],
    ['union: its own label', union([string(), func()], 'a name or a function'), 1, [E('', 'expected a name or a function, received number')]],
    ['union: undefined only if a branch allows it', union([string(), number()]), undefined, [E('', 'expected string or number, received undefined')]],
  ])('%s', (_name, check, value, expected) => {
    const result = run(check, value);
    expect(result.issues).toEqual(expected);
    expect(result.ok).toBe(expected.length === 0);
  });

  const part = variants('type', {
    text: object({ type: literal('text'), text: string() }, { loose: true }),
    image: object({ type: literal('image'), url: string({ min: 1 }) }, { loose: true }),
  });
  it.each<[string, unknown, Array<[string, string]>]>([
    ['a branch', { type: 'image', url: 'u' }, []],
    ["the branch's issues", { type: 'image', url: '' }, [E('url', 'expected a non-empty string')]],
    ['an unknown tag, at the key', { type: 'video' }, [E('type', 'expected one of "text", "image", received "video"')]],
    ['no tag', {}, [E('type', 'expected one of "text", "image", received undefined')]],
    ['an inherited tag name is not a branch', { type: 'toString' }, [E('type', 'expected one of "text", "image", received "toString"')]],
    ['not an object', 'text', [E('', 'expected object, received string')]],
  ])('variants: %s', (_name, value, expected) => {
    expect(run(part, value).issues).toEqual(expected);
  });

  describe('refine', () => {
    const range = refine(object({ from: number({ min: 0 }), to: number() }), (r, issues) => {
      if (r.to < r.from) report(issues, 'to', 'before from');
    });
    it.each<[string, unknown, Array<[string, string]>]>([
      ['passes', { from: 1, to: 2 }, []],
      ['reports', { from: 2, to: 1 }, [E('to', 'before from')]],
      ['runs after a bound failed', { from: -1, to: -2 }, [E('from', 'expected a number >= 0, received -1'), E('to', 'before from')]],
      ['runs after an unknown key', { from: 2, to: 1, x: 1 }, [E('x', 'unknown field "x"'), E('to', 'before from')]],
      ['does not run after a wrong type', { from: 'a', to: 1 }, [E('from', 'expected number, received string')]],
      ['does not run on a non-object', 5, [E('', 'expected object, received number')]],
    ])('%s', (_name, value, expected) => {
      expect(run(range, value).issues).toEqual(expected);
    });
  });
});

describe('parseOrThrow and validate', () => {
  const check = object({ a: number(), b: array(string()) });

  it('returns the value itself', () => {
    const value = { a: 1, b: ['x'] };
    expect(parseOrThrow(check, value, 'root')).toBe(value);
  });

  it('names every issue under the root, the first as the field', () => {
    const error = thrown(() => parseOrThrow(check, { a: 'x', b: [1], c: 1 }, 'options'));
    expect(error.issues).toEqual([
      { path: 'options.a', message: 'expected number, received string' },
      { path: 'options.b.0', message: 'expected string, received number' },
      { path: 'options.c', message: 'unknown field "c"' },
    ]);
    expect(error.field).toBe('options.a');
    expect(error.message).toBe('options.a: expected number, received string (and 2 more: options.b.0, options.c)');
  });

  it('names the root itself for a bad root, and nothing without a root', () => {
    expect(thrown(() => parseOrThrow(check, null, 'config')).field).toBe('config');
    expect(thrown(() => parseOrThrow(check, null, '')).message).toBe('(root): expected object, received null');
    expect(thrown(() => parseOrThrow(check, { a: 'x', b: [] }, '')).field).toBe('a');
  });

  it('validate appends to a list', () => {
    const out: ValidationIssue[] = [{ path: 'before', message: 'kept' }];
    expect(validate(check, { a: 1, b: [] }, 'x', out)).toBe(true);
    expect(validate(check, { a: 1 }, 'x', out)).toBe(false);
    expect(out).toEqual([
      { path: 'before', message: 'kept' },
      { path: 'x.b', message: 'expected array, received undefined' },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The request schema

const user = { role: 'user', content: 'hi' };
const base = { model: 'openai/gpt-4o', messages: [user] };

describe('the request schema', () => {
  it.each<[string, Record<string, unknown>, Array<[string, string]>]>([
    ['no model', { model: undefined }, [E('model', 'expected string, received undefined')]],
    ['an empty model and no messages', { model: '', messages: [] }, [E('model', 'a model id is required'), E('messages', 'at least one message is required')]],
    ['content of the wrong type', { messages: [{ role: 'user', content: 42 }] }, [E('messages.0.content', 'expected string or array, received number')]],
    ['an image part without a url', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, [E('messages.0.content', 'at 0.image_url.url: expected string, received undefined')]],
    ['an image part with an empty url', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: '' } }] }] }, [E('messages.0.content.0.image_url.url', 'expected a non-empty string')]],
    ['an image in a system message', { messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'u' } }] }] }, [E('messages.0.content', 'at 0.type: expected "text", received "image_url"')]],
    ['an unknown role', { messages: [{ role: 'robot', content: 'x' }] }, [E('messages.0.role', 'expected one of "system", "developer", "user", "assistant", "tool", received "robot"')]],
    ['an empty assistant message', { messages: [user, { role: 'assistant', content: null }] }, [E('messages.1', 'an assistant message needs content, tool_calls or refusal')]],
    ['a misspelt field and a bad type', { max_token: 1, max_tokens: '100' }, [E('max_tokens', 'expected number, received string'), E('max_token', 'unknown field "max_token"')]],
    ['JSON __proto__ at the top', JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>, [E('__proto__', 'unknown field "__proto__"')]],
    ['JSON __proto__ in a strict object', { stream: true, stream_options: JSON.parse('{"__proto__":{"polluted":true}}') }, [E('stream_options.__proto__', 'unknown field "__proto__"')]],
    ['JSON __proto__ in metadata', { metadata: JSON.parse('{"__proto__":"x"}') }, [E('metadata.__proto__', '"__proto__" is not allowed as a key')]],
    ['stop: too many', { stop: Array.from({ length: 17 }, () => 'x') }, [E('stop', 'expected at most 16 items, received 17')]],
    ['a bad tool_choice', { tool_choice: 'sometimes' }, [E('tool_choice', 'expected one of "none", "auto", "required", received "sometimes"')]],
    ['a tool_choice of the wrong kind', { tool_choice: 1 }, [E('tool_choice', 'expected one of "none", "auto", "required" or object, received number')]],
    ['rules across fields', { stream_options: { include_usage: true }, top_logprobs: 2, tool_choice: 'required' }, [
      E('stream_options', 'stream_options is only allowed with stream: true'),
      E('tool_choice', 'tool_choice "required" needs at least one tool'),
      E('top_logprobs', 'top_logprobs requires logprobs: true'),
    ]],
    ['duplicate tools and a missing forced one', { tools: [tool('a'), tool('b'), tool('a')], tool_choice: { type: 'function', function: { name: 'c' } } }, [
      E('tool_choice.function.name', 'no tool named "c" in tools'),
      E('tools.2.function.name', 'duplicate tool name "a"'),
    ]],
  ])('%s', (_name, fields, expected) => {
    const value = { ...base, ...fields }; // a spread keeps an own "__proto__" key as a key
    const error = thrown(() => parseOrThrow(chatRequestSchema, value, ''));
    expect(error.issues.map((issue) => [issue.path, issue.message])).toEqual(expected);
  });

  it('accepts a replayed assistant message with extra fields, as it is', () => {
    const request = { model: 'm', messages: [user, { role: 'assistant', content: 'Hi', refusal: null, annotations: [] }] };
    expect(parseOrThrow(chatRequestSchema, request, '')).toBe(request);
  });

  it('request options and config', () => {
    const options = { timeoutMs: 5, signal: new AbortController().signal, strategy: () => [] };
    expect(parseOrThrow(requestOptionsSchema, options, 'options')).toBe(options);
    expect(thrown(() => parseOrThrow(requestOptionsSchema, { signal: {}, strategy: 1 }, 'options')).issues).toEqual([
      { path: 'options.signal', message: 'expected an AbortSignal, received object' },
      { path: 'options.strategy', message: 'expected a strategy name or a function, received number' },
    ]);
    expect(thrown(() => parseOrThrow(gatewayConfigSchema, { routing: { strategy: 'fastest' }, models: { a: [] } }, 'config')).issues).toEqual([
      { path: 'config.models.a', message: 'expected at least 1 item' },
      { path: 'config.routing.strategy', message: 'expected one of "fallback", "cost", "latency", "weighted", "least-busy", "usage", received "fastest"' },
    ]);
  });
});

function tool(name: string): FunctionTool {
  return { type: 'function', function: { name } };
}

// ---------------------------------------------------------------------------------------------
// Properties

/** Keys without `.` (so paths split back into keys) and never `__proto__`. */
const key = fc.stringMatching(/^[a-zA-Z0-9_-]{1,8}$/);
const text = fc.string({ maxLength: 12 });
const nonEmpty = fc.string({ minLength: 1, maxLength: 12 });
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const maybeNull = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null | undefined> => fc.oneof(fc.constant(undefined), fc.constant(null), arb);
/** Drops the keys whose value is undefined, or keeps them (both are valid). */
function defined<T extends object>(value: T, keep: boolean): T {
  return keep ? value : (Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T);
}
const json = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

const textPart: fc.Arbitrary<TextContentPart> = fc.record(
  { type: fc.constant('text' as const), text, cache_control: fc.record({ type: fc.constant('ephemeral' as const), ttl: fc.constantFrom('5m' as const, '1h' as const) }, { requiredKeys: ['type'] }) },
  { requiredKeys: ['type', 'text'] },
);
const userPart: fc.Arbitrary<UserContentPart> = fc.oneof(
  textPart,
  fc.record({ type: fc.constant('image_url' as const), image_url: fc.record({ url: nonEmpty, detail: fc.constantFrom('auto' as const, 'low' as const, 'high' as const) }, { requiredKeys: ['url'] }) }),
  fc.record({ type: fc.constant('input_audio' as const), input_audio: fc.record({ data: text, format: fc.constantFrom('wav' as const, 'mp3' as const) }) }),
  fc.record({ type: fc.constant('file' as const), file: fc.record({ file_id: text, filename: text, file_data: text }, { requiredKeys: [] }) }),
);
const textContent = fc.oneof(text, fc.array(textPart, { maxLength: 3 }));
const toolCall = fc.record({ id: nonEmpty, type: fc.constant('function' as const), function: fc.record({ name: nonEmpty, arguments: text }) });
const message: fc.Arbitrary<ChatMessage> = fc.oneof(
  fc.record({ role: fc.constant('system' as const), content: textContent, name: text }, { requiredKeys: ['role', 'content'] }),
  fc.record({ role: fc.constant('developer' as const), content: textContent }),
  fc.record({ role: fc.constant('user' as const), content: fc.oneof(text, fc.array(userPart, { maxLength: 4 })), name: text }, { requiredKeys: ['role', 'content'] }),
  fc.record({ role: fc.constant('tool' as const), content: textContent, tool_call_id: nonEmpty }),
  fc
    .record({
      role: fc.constant('assistant' as const),
      content: maybeNull(textContent),
      tool_calls: fc.array(toolCall, { maxLength: 2 }),
      refusal: maybeNull(text),
      reasoning_content: maybeNull(text),
      reasoning_details: fc.array(
        fc.oneof(
          fc.record({ type: fc.constant('reasoning.text' as const), text, signature: maybeNull(text) }),
          fc.record({ type: fc.constant('reasoning.summary' as const), summary: text }),
          fc.record({ type: fc.constant('reasoning.encrypted' as const), data: text }),
        ),
        { maxLength: 2 },
      ),
      keep: fc.boolean(),
    })
    .map(({ keep, ...m }) => defined(m, keep))
    .filter((m) => (m.content !== undefined && m.content !== null) || m.tool_calls.length > 0 || typeof m.refusal === 'string'),
);
const toolName = fc.stringMatching(/^[a-zA-Z0-9_-]{1,10}$/);
const tools = fc.uniqueArray(toolName, { maxLength: 3 }).chain((names) =>
  fc.tuple(
    fc.constant(names),
    fc.tuple(...names.map((name) => fc.record({ type: fc.constant('function' as const), function: fc.record({ name: fc.constant(name), description: text, parameters: fc.dictionary(key, json, { maxKeys: 2 }), strict: maybeNull(fc.boolean()) }, { requiredKeys: ['name'] }) }))),
  ),
);

const validRequest: fc.Arbitrary<ChatCompletionCreateParams> = fc
  .record({
    model: nonEmpty,
    messages: fc.array(message, { minLength: 1, maxLength: 4 }),
    models: maybe(fc.array(nonEmpty, { maxLength: 2 })),
    stream: maybeNull(fc.boolean()),
    max_tokens: maybeNull(fc.integer({ min: 1 })),
    max_completion_tokens: maybeNull(fc.integer({ min: 1 })),
    temperature: maybeNull(fc.double({ min: 0, max: 2, noNaN: true })),
    top_p: maybeNull(fc.double({ min: 0, max: 1, noNaN: true })),
    n: maybeNull(fc.integer({ min: 1, max: 128 })),
    stop: maybeNull(fc.oneof(text, fc.array(text, { maxLength: 16 }))),
    seed: maybeNull(fc.integer()),
    presence_penalty: maybeNull(fc.double({ min: -2, max: 2, noNaN: true })),
    frequency_penalty: maybeNull(fc.double({ min: -2, max: 2, noNaN: true })),
    logit_bias: maybeNull(fc.dictionary(key, fc.integer({ min: -100, max: 100 }), { maxKeys: 3 })),
    logprobs: maybeNull(fc.boolean()),
    top_logprobs: maybeNull(fc.integer({ min: 0, max: 20 })),
    user: maybe(text),
    tools: maybe(tools),
    toolChoice: fc.nat(3),
    parallel_tool_calls: maybe(fc.boolean()),
    response_format: maybe(
      fc.oneof(
        fc.constant({ type: 'text' as const }),
        fc.constant({ type: 'json_object' as const }),
        fc.record({ type: fc.constant('json_schema' as const), json_schema: fc.record({ name: nonEmpty, description: text, schema: fc.dictionary(key, json, { maxKeys: 2 }), strict: maybeNull(fc.boolean()) }, { requiredKeys: ['name'] }) }),
      ),
    ),
    reasoning_effort: maybeNull(fc.constantFrom('none' as const, 'minimal' as const, 'low' as const, 'medium' as const, 'high' as const, 'xhigh' as const)),
    service_tier: maybeNull(text),
    store: maybeNull(fc.boolean()),
    metadata: maybeNull(fc.dictionary(key, text, { maxKeys: 3 })),
    prediction: maybe(json),
    verbosity: maybeNull(fc.constantFrom('low' as const, 'medium' as const, 'high' as const)),
    providerOptions: maybe(fc.dictionary(key, fc.dictionary(key, json, { maxKeys: 2 }), { maxKeys: 2 })),
    includeUsage: maybe(fc.boolean()),
    keep: fc.boolean(),
  })
  .map(({ tools: named, toolChoice, includeUsage, keep, ...fields }) => {
    const request: Record<string, unknown> = { ...fields };
    if (named !== undefined) request.tools = named[1];
    const names = named?.[0] ?? [];
    request.tool_choice = [undefined, 'none', 'auto', names.length > 0 ? 'required' : undefined][toolChoice];
    if (toolChoice === 3 && names.length > 0) request.tool_choice = { type: 'function', function: { name: names[names.length - 1] } };
    if (request.stream === true && includeUsage !== undefined) request.stream_options = { include_usage: includeUsage };
    if (request.top_logprobs !== undefined && request.top_logprobs !== null) request.logprobs = true;
    return defined(request, keep) as unknown as ChatCompletionCreateParams;
  });

function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return Array.isArray(value) || proto === Object.prototype || proto === null;
}

/** A copy of the plain objects and arrays in `value` (generated values are shared between runs). */
function copy(value: unknown): unknown {
  if (!isPlain(value)) return value;
  if (Array.isArray(value)) return value.map(copy);
  const out = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: copy(v), enumerable: true, writable: true, configurable: true });
  return out;
}

/** Every plain object and array in `value`, with its path. */
function containers(value: unknown, path: Array<string | number> = [], out: Array<{ path: Array<string | number>; node: object }> = []) {
  if (!isPlain(value)) return out;
  out.push({ path, node: value });
  if (Array.isArray(value)) value.forEach((item, i) => containers(item, [...path, i], out));
  else for (const [k, item] of Object.entries(value)) containers(item, [...path, k], out);
  return out;
}

/** An issue's path leads through the value: every key but the last is there (keys have no dots here). */
function pathLeadsIn(value: unknown, path: string): boolean {
  if (path === '') return true;
  let node: unknown = value;
  const keys = path.split('.');
  for (const k of keys.slice(0, -1)) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, k)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  return true;
}

const weird = fc.oneof(
  fc.anything({ key: fc.oneof(key, fc.constantFrom('__proto__', 'constructor', '')), maxDepth: 2, withNullPrototype: true, withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true }),
  fc.constantFrom(undefined, null, Number.NaN, Number.POSITIVE_INFINITY, -1, 1.5, '', 'text', 'user', 'function', [], {}, () => 1),
);

describe('properties', () => {
  it('a valid request is accepted as it is (the same reference), without issues', () => {
    fc.assert(
      fc.property(validRequest, (request) => {
        const issues: Issue[] = [];
        expect(chatRequestSchema(request, issues)).toBe(true);
        expect(issues).toEqual([]);
        expect(parseOrThrow(chatRequestSchema, request, '')).toBe(request);
      }),
      { numRuns: 400 },
    );
  });

  it('a mutated request is accepted as it is, or a ValidationError whose paths lead into it; never a crash', () => {
    const mutation = fc.record({ at: fc.nat(), op: fc.constantFrom('set', 'delete', 'add'), value: weird, name: fc.oneof(key, fc.constantFrom('__proto__', 'constructor', 'role', 'type', 'toString')) });
    fc.assert(
      fc.property(validRequest, fc.array(mutation, { minLength: 1, maxLength: 3 }), (request, mutations) => {
        const value = copy(request);
        for (const m of mutations) {
          const all = containers(value);
          const { path, node } = all[m.at % all.length]!;
          if (m.op === 'add' && !Array.isArray(node)) {
            Object.defineProperty(node, m.name, { value: copy(m.value), enumerable: true, writable: true, configurable: true });
          } else if (path.length > 0) {
            let parent = value as Record<string | number, unknown>;
            for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
            const last = path[path.length - 1]!;
            if (m.op === 'delete') delete parent[last];
            else parent[last] = copy(m.value);
          }
        }
        let result: unknown;
        try {
          result = parseOrThrow(chatRequestSchema, value, '');
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          const { issues, field } = error as ValidationError;
          expect(issues.length).toBeGreaterThan(0);
          expect(field).toBe(issues[0]!.path);
          for (const issue of issues) {
            expect(typeof issue.message).toBe('string');
            expect(issue.message.length).toBeGreaterThan(0);
            expect(pathLeadsIn(value, issue.path), issue.path).toBe(true);
          }
          return;
        }
        expect(result).toBe(value);
      }),
      { numRuns: 400 },
    );
  });

  it('a JSON "__proto__" key anywhere never pollutes; in a strict object or a map it is an issue at its path', () => {
    // Where the key is reported: strict objects and maps. Elsewhere (loose objects, data under
    // `prediction` or inside a tool's parameters) it is allowed.
    const reported = [
      /^$/,
      /^stream_options$/,
      /^messages\.\d+\.content\.\d+\.cache_control$/,
      /^(logit_bias|metadata)$/,
      /^providerOptions(\.[^.]+)?$/,
      /^tools\.\d+\.function\.parameters$/,
      /^response_format\.json_schema\.schema$/,
    ];
    fc.assert(
      fc.property(validRequest, fc.nat(), json, (request, at, inserted) => {
        const all = containers(request).filter(({ node }) => !Array.isArray(node));
        const { path, node } = all[at % all.length]!;
        Object.defineProperty(node, '__marker__', { value: inserted, enumerable: true, writable: true, configurable: true });
        const parsed = JSON.parse(JSON.stringify(request).replace('"__marker__"', '"__proto__"')) as Record<string, unknown>;
        delete (node as Record<string, unknown>).__marker__;
        const where = path.join('.');
        const isReported = reported.some((re) => re.test(where));
        let issues: ValidationIssue[] = [];
        try {
          expect(parseOrThrow(chatRequestSchema, parsed, '')).toBe(parsed);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          issues = (error as ValidationError).issues;
        }
        const keyPath = where ? `${where}.__proto__` : '__proto__';
        if (isReported) expect(issues.map((issue) => issue.path)).toEqual([keyPath]);
        else expect(issues).toEqual([]);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('anything at all, as a request, options or config: a ValidationError or the value itself, never a crash', () => {
    fc.assert(
      fc.property(weird, (value) => {
        for (const [check, root] of [
          [chatRequestSchema, ''],
          [requestOptionsSchema, 'options'],
          [gatewayConfigSchema, 'config'],
        ] as const) {
          try {
            expect(parseOrThrow(check as Check<unknown>, value, root)).toBe(value);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            expect((error as ValidationError).field.startsWith(root)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
