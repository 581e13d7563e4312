/**
 * Shared machinery of the fuzz suite.
 *
 * - JSON generators that write their own text, so that `__proto__`, `constructor`, … are OWN keys
 *   once the text goes through `JSON.parse` (as they would be in a provider's payload), and raw
 *   number tokens such as `1e999` (which parses to Infinity) survive;
 * - structure-aware mutation of parsed fixtures (drop, retype, huge numbers, deep nesting,
 *   prototype keys, duplicated and reordered array items), rendered back to JSON text;
 * - the oracle: a result, or a thrown `ModelmuxError`; any other throw is a bug and is rethrown,
 *   so fast-check shrinks and reports it;
 * - prototype-pollution checks and the OpenAI-shape invariants of completions, chunks and usage.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ModelmuxError } from '../../src/errors/index.js';
import type { StreamEvent } from '../../src/providers/adapter.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const FIXTURES = new URL('../fixtures/', import.meta.url);

export function fixtureText(path: string): string {
  return readFileSync(new URL(path, FIXTURES), 'utf8');
}

/** Fixture file names of a folder (relative to test/fixtures/) matching `pattern`, sorted. */
export function fixtureNames(folder: string, pattern: RegExp): string[] {
  return readdirSync(new URL(`${folder}/`, FIXTURES))
    .filter((name) => pattern.test(name))
    .sort();
}

/** The events of an SSE transcript, split the simple way (fixtures use `\n` line ends). */
export function sseFixtureEvents(text: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const block of text.split(/\n\n+/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || line === '') continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// JSON text generation

/** Keys that are dangerous as own properties of parsed JSON. */
export const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'toJSON', '__defineGetter__'];

/** A JSON value as text-to-be: own keys, duplicated keys and raw number tokens are all expressible. */
export type JsonAst =
  | { t: 'raw'; text: string }
  | { t: 'arr'; items: JsonAst[] }
  | { t: 'obj'; entries: Array<[string, JsonAst]> }
  | { t: 'deep'; depth: number; kind: 'arr' | 'obj' };

/** What a provider's payloads talk about: field names and enum-like string values. */
export interface Vocabulary {
  keys: readonly string[];
  strings: readonly string[];
}

const NUMBER_TOKENS = [
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '-2.5',
  '1e999',
  '-1e999',
  '1e-400',
  '1.7976931348623157e308',
  '9007199254740993',
  '123456789012345678901234567890',
  '4294967296',
  '2147483648',
];
const STRING_TOKENS = ['', 'NaN', 'Infinity', '-Infinity', '-1', '1e999', '0x10', ' 12 ', 'null', 'undefined', '[object Object]', '\ud800', '\u0000', 'é€😀'];

const rawToken = (text: string): JsonAst => ({ t: 'raw', text });
const str = (value: string): JsonAst => rawToken(JSON.stringify(value));

export function leafArbitrary(vocab: Vocabulary): fc.Arbitrary<JsonAst> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...vocab.strings, ...vocab.keys, ...PROTO_KEYS).map(str) },
    { weight: 2, arbitrary: fc.constantFrom(...STRING_TOKENS).map(str) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }).map(str) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map(str) },
    { weight: 3, arbitrary: fc.constantFrom(...NUMBER_TOKENS).map(rawToken) },
    { weight: 2, arbitrary: fc.integer({ min: -5, max: 100_000 }).map((n) => rawToken(String(n))) },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => rawToken(JSON.stringify(n))) },
    { weight: 2, arbitrary: fc.constantFrom('true', 'false', 'null').map(rawToken) },
  );
}

export function keyArbitrary(vocab: Vocabulary): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...vocab.keys) },
    { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  );
}

const DEPTHS = [50, 3_000, 20_000];

export function deepArbitrary(): fc.Arbitrary<JsonAst> {
  return fc.record({ t: fc.constant('deep' as const), depth: fc.constantFrom(...DEPTHS), kind: fc.constantFrom('arr' as const, 'obj' as const) });
}

/** Any JSON value, biased towards the provider's vocabulary. */
export function jsonAst(vocab: Vocabulary, maxDepth = 4): fc.Arbitrary<JsonAst> {
  const leaf = leafArbitrary(vocab);
  const key = keyArbitrary(vocab);
  const { value } = fc.letrec<{ value: JsonAst }>((tie) => ({
    value: fc.oneof(
      { maxDepth, depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: leaf },
      { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }).map((items): JsonAst => ({ t: 'arr', items })) },
      { weight: 3, arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }).map((entries): JsonAst => ({ t: 'obj', entries })) },
      { weight: 1, arbitrary: deepArbitrary() },
    ),
  }));
  return value;
}

/** Deeply nested JSON text: `[[[…]]]` or `{"a":{"a":…1}}`. */
export function deepText(depth: number, kind: 'arr' | 'obj'): string {
  return kind === 'arr' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export function astText(ast: JsonAst): string {
  switch (ast.t) {
    case 'raw':
      return ast.text;
    case 'arr':
      return `[${ast.items.map(astText).join(',')}]`;
    case 'obj':
      return `{${ast.entries.map(([k, v]) => `${JSON.stringify(k)}:${astText(v)}`).join(',')}}`;
    case 'deep':
      return deepText(ast.depth, ast.kind);
  }
}

/** Parses generated text: the value a mapper would get from the core. */
export function astValue(ast: JsonAst): unknown {
  return JSON.parse(astText(ast)) as unknown;
}

// ---------------------------------------------------------------------------------------------
// Structure-aware mutation of parsed values

/**
 * A tree being mutated. Values that JSON.stringify cannot write back as they are (raw number tokens
 * such as `1e999`, deep nesting) are held as placeholder strings and substituted in `render`.
 */
export class MutableJson {
  root: unknown;
  private readonly placeholders: string[] = [];

  constructor(value: unknown) {
    this.root = value;
  }

  /** A value to insert for `ast`, with own keys and placeholders as needed. */
  fromAst(ast: JsonAst): unknown {
    switch (ast.t) {
      case 'raw': {
        const value: unknown = JSON.parse(ast.text);
        return JSON.stringify(value) === ast.text ? value : this.placeholder(ast.text);
      }
      case 'arr':
        return ast.items.map((item) => this.fromAst(item));
      case 'obj': {
        const out: Record<string, unknown> = {};
        for (const [k, v] of ast.entries) setOwn(out, k, this.fromAst(v));
        return out;
      }
      case 'deep':
        return this.placeholder(deepText(ast.depth, ast.kind));
    }
  }

  placeholder(text: string): string {
    this.placeholders.push(text);
    return `\u0000\u0001FUZZ${this.placeholders.length - 1}\u0001\u0000`;
  }

  render(): string {
    const text = JSON.stringify(this.root) ?? 'null';
    return text.replace(/"\\u0000\\u0001FUZZ(\d+)\\u0001\\u0000"/g, (_match, i: string) => this.placeholders[Number(i)]!);
  }
}

/** Sets an own data property, even for `__proto__` (plain assignment would change the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

type Path = Array<string | number>;

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

/** Every path in the tree, root first (at most `limit`). */
function paths(root: unknown, limit = 400): Path[] {
  const out: Path[] = [[]];
  const queue: Array<[unknown, Path]> = [[root, []]];
  for (let head = 0; head < queue.length && out.length < limit; head++) {
    const [value, path] = queue[head]!;
    if (!isContainer(value)) continue;
    const keys: Array<string | number> = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
    for (const key of keys) {
      const child = (value as Record<string | number, unknown>)[key];
      const childPath = [...path, key];
      out.push(childPath);
      queue.push([child, childPath]);
    }
  }
  return out;
}

function getAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}

function setAt(tree: MutableJson, path: Path, value: unknown): void {
  if (path.length === 0) {
    tree.root = value;
    return;
  }
  const parent = getAt(tree.root, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[key as number] = value;
  else setOwn(parent as Record<string, unknown>, key as string, value);
}

function dropAt(tree: MutableJson, path: Path): void {
  if (path.length === 0) {
    tree.root = null;
    return;
  }
  const parent = getAt(tree.root, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete parent[key];
}

export type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'set'; at: number; value: JsonAst }
  | { op: 'retype'; at: number; to: number }
  | { op: 'number'; at: number; token: string }
  | { op: 'deep'; at: number; depth: number; kind: 'arr' | 'obj' }
  | { op: 'protoKey'; at: number; key: string; value: JsonAst }
  | { op: 'duplicate'; at: number; item: number }
  | { op: 'swap'; at: number; i: number; j: number }
  | { op: 'long'; at: number; length: number };

export function mutationArbitrary(vocab: Vocabulary): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('drop' as const), at }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), at, value: jsonAst(vocab, 2) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('retype' as const), at, to: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('number' as const), at, token: fc.constantFrom(...NUMBER_TOKENS) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('deep' as const), at, depth: fc.constantFrom(...DEPTHS), kind: fc.constantFrom('arr' as const, 'obj' as const) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('protoKey' as const), at, key: fc.constantFrom(...PROTO_KEYS), value: jsonAst(vocab, 2) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at, item: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('swap' as const), at, i: fc.nat(), j: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('long' as const), at, length: fc.constantFrom(1_000, 70_000) }) },
  );
}

/** The type-changing replacements of `retype`: string↔number↔null↔array↔object↔boolean. */
function retyped(tree: MutableJson, current: unknown, to: number): unknown {
  const options: Array<() => unknown> = [
    () => (typeof current === 'string' ? 42 : show(current)),
    () => null,
    () => (typeof current === 'number' ? `${current}` : -1),
    () => [current],
    () => ({ value: current }),
    () => [],
    () => ({}),
    () => true,
    () => tree.placeholder('1e999'),
    () => 'NaN',
    () => (Array.isArray(current) ? Object.fromEntries(current.map((v, i) => [String(i), v])) : current),
  ];
  return options[to % options.length]!();
}

export function applyMutation(tree: MutableJson, m: Mutation): void {
  const all = paths(tree.root);
  const pick = (list: Path[]): Path | undefined => (list.length === 0 ? undefined : list[m.at % list.length]);
  switch (m.op) {
    case 'drop': {
      const path = pick(all.slice(1));
      if (path !== undefined) dropAt(tree, path);
      return;
    }
    case 'set':
      setAt(tree, pick(all)!, tree.fromAst(m.value));
      return;
    case 'retype': {
      const path = pick(all)!;
      setAt(tree, path, retyped(tree, getAt(tree.root, path), m.to));
      return;
    }
    case 'number': {
      const numeric = all.filter((p) => typeof getAt(tree.root, p) === 'number');
      const path = pick(numeric.length > 0 ? numeric : all)!;
      setAt(tree, path, tree.fromAst(rawToken(m.token)));
      return;
    }
    case 'deep':
      setAt(tree, pick(all)!, tree.placeholder(deepText(m.depth, m.kind)));
      return;
    case 'protoKey': {
      const objects = all.filter((p) => {
        const v = getAt(tree.root, p);
        return isContainer(v) && !Array.isArray(v);
      });
      const path = pick(objects);
      if (path !== undefined) setOwn(getAt(tree.root, path) as Record<string, unknown>, m.key, tree.fromAst(m.value));
      return;
    }
    case 'duplicate':
    case 'swap': {
      const arrays = all.filter((p) => Array.isArray(getAt(tree.root, p)) && (getAt(tree.root, p) as unknown[]).length > 0);
      const path = pick(arrays);
      if (path === undefined) return;
      const list = getAt(tree.root, path) as unknown[];
      if (m.op === 'duplicate') {
        const i = m.item % list.length;
        list.splice(i, 0, structuredClone(list[i]));
      } else {
        const i = m.i % list.length;
        const j = m.j % list.length;
        [list[i], list[j]] = [list[j], list[i]];
      }
      return;
    }
    case 'long': {
      const strings = all.filter((p) => typeof getAt(tree.root, p) === 'string');
      const path = pick(strings);
      if (path !== undefined) setAt(tree, path, 'x'.repeat(m.length));
      return;
    }
  }
}

/** The JSON text of `value` after `mutations`. */
export function mutateJson(value: unknown, mutations: readonly Mutation[]): string {
  const tree = new MutableJson(structuredClone(value));
  for (const m of mutations) applyMutation(tree, m);
  return tree.render();
}

// ---------------------------------------------------------------------------------------------
// Stream-level mutation: events dropped, duplicated, reordered, renamed, cut, mutated, inserted

export type StreamOp =
  | { op: 'mutate'; at: number; mutations: Mutation[] }
  | { op: 'truncate'; at: number; cut: number }
  | { op: 'drop'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'swap'; at: number; other: number }
  | { op: 'rename'; at: number; name: string | undefined }
  | { op: 'insert'; at: number; event: StreamEvent };

/** An event made of anything: generated JSON, random text, or a keyword. */
export function arbitraryEvent(vocab: Vocabulary, names: readonly string[]): fc.Arbitrary<StreamEvent> {
  const data = fc.oneof(
    { weight: 5, arbitrary: jsonAst(vocab).map(astText) },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '[DONE]', 'null', '{}', '[]', '{"', '{"type":"__proto__"}') },
  );
  const name = fc.option(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 8 })), { nil: undefined });
  return fc.record({ event: name, data });
}

export function streamOpArbitrary(vocab: Vocabulary, names: readonly string[]): fc.Arbitrary<StreamOp> {
  const at = fc.nat();
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('mutate' as const), at, mutations: fc.array(mutationArbitrary(vocab), { minLength: 1, maxLength: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at, cut: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('drop' as const), at }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('swap' as const), at, other: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('rename' as const), at, name: fc.option(fc.constantFrom(...names), { nil: undefined }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at, event: arbitraryEvent(vocab, names) }) },
  );
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function applyStreamOps(events: readonly StreamEvent[], ops: readonly StreamOp[]): StreamEvent[] {
  const out = events.map((e) => ({ ...e }));
  for (const op of ops) {
    if (op.op === 'insert') {
      out.splice(op.at % (out.length + 1), 0, op.event);
      continue;
    }
    if (out.length === 0) continue;
    const i = op.at % out.length;
    const event = out[i]!;
    switch (op.op) {
      case 'mutate': {
        const value = parseOrUndefined(event.data);
        if (value === undefined) break;
        try {
          out[i] = { ...event, data: mutateJson(value, op.mutations) };
        } catch (error) {
          // An event already nested too deeply for the test's own cloning: left as it is.
          if (!(error instanceof RangeError)) throw error;
        }
        break;
      }
      case 'truncate':
        out[i] = { ...event, data: event.data.slice(0, op.cut % (event.data.length + 1)) };
        break;
      case 'drop':
        out.splice(i, 1);
        break;
      case 'duplicate':
        out.splice(i, 0, { ...event });
        break;
      case 'swap': {
        const j = op.other % out.length;
        [out[i], out[j]] = [out[j]!, out[i]!];
        break;
      }
      case 'rename':
        out[i] = { ...event, event: op.name };
        break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The oracle

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ModelmuxError };

/** Runs `fn`: its result, or the typed error it threw. Any other throw is rethrown (a bug). */
export function typed<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (!ModelmuxError.isInstance(error) || !(error instanceof ModelmuxError)) throw error;
    checkTypedError(error);
    return { ok: false, error };
  }
}

/** A short description of a value that never runs the value's own code (no toString). */
export function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant: ${message}`);
}

const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isStringOrNullish = (value: unknown): boolean => value === undefined || value === null || typeof value === 'string';
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A typed error is usable: string message and code, serializable, a sane retry hint. */
export function checkTypedError(error: ModelmuxError): void {
  check(typeof error.message === 'string' && typeof error.code === 'string', 'error message and code are strings');
  check(error.status === undefined || (typeof error.status === 'number' && Number.isFinite(error.status)), `error status ${show(error.status)}`);
  const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
  check(retryAfterMs === undefined || isCount(retryAfterMs), `retryAfterMs is undefined or finite and >= 0 (got ${show(retryAfterMs)})`);
  check(typeof JSON.stringify(error.toJSON()) === 'string', 'error.toJSON() serializes');
  check(typeof String(error) === 'string', 'error converts to a string');
}

// ---------------------------------------------------------------------------------------------
// Prototype pollution

const PROTOTYPES: ReadonlyArray<[string, object]> = [
  ['Object', Object.prototype],
  ['Array', Array.prototype],
  ['Function', Function.prototype],
  ['String', String.prototype],
  ['Number', Number.prototype],
  ['Map', Map.prototype],
  ['Error', Error.prototype],
];
const baseline = new Map(PROTOTYPES.map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String).sort().join(',')]));

/** Object.prototype (and the other built-in prototypes) have exactly the keys they started with. */
export function checkNoPollution(): void {
  for (const [name, proto] of PROTOTYPES) {
    const keys = Reflect.ownKeys(proto).map(String).sort().join(',');
    check(keys === baseline.get(name), `${name}.prototype gained keys: ${keys}`);
  }
  const probe = {} as Record<string, unknown>;
  check(probe.polluted === undefined && probe.input_tokens === undefined && probe.type === undefined, 'a fresh object inherits no injected field');
  check(Object.getPrototypeOf(Object.prototype) === null, 'Object.prototype has no prototype');
}

/**
 * Every object reachable from `value` is a plain data object: prototype `Object.prototype` (or
 * null) and `Array.prototype` for arrays, no accessors. An own `__proto__` key is fine as data;
 * one that changed an object's prototype is caught here. Iterative: outputs may be deeply nested.
 */
export function checkPlainData(value: unknown, what: string): void {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    const proto: unknown = Object.getPrototypeOf(v);
    if (Array.isArray(v)) check(proto === Array.prototype, `${what}: an array with a foreign prototype`);
    else check(proto === Object.prototype || proto === null, `${what}: an object whose prototype was changed`);
    for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(v))) {
      check(descriptor.get === undefined && descriptor.set === undefined, `${what}: accessor property ${key}`);
      stack.push(descriptor.value);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// OpenAI-shape invariants

const FINISH_REASONS = new Set(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

export function checkUsage(usage: unknown, what: string): void {
  check(isRecord(usage), `${what}: usage is an object`);
  for (const key of ['prompt_tokens', 'completion_tokens', 'total_tokens'] as const) {
    check(isCount(usage[key]), `${what}: usage.${key} is finite and >= 0 (got ${show(usage[key])})`);
  }
  check(usage.total_tokens === (usage.prompt_tokens as number) + (usage.completion_tokens as number), `${what}: total = prompt + completion`);
  check(usage.cost === null || usage.cost === undefined || isCount(usage.cost), `${what}: usage.cost is null or finite >= 0`);
  for (const group of ['prompt_tokens_details', 'completion_tokens_details'] as const) {
    const details = usage[group];
    if (details === undefined) continue;
    check(isRecord(details), `${what}: usage.${group} is an object`);
    for (const [key, count] of Object.entries(details)) check(isCount(count), `${what}: usage.${group}.${key} is finite and >= 0`);
  }
}

function checkReasoningDetails(details: unknown, what: string): void {
  if (details === undefined) return;
  check(Array.isArray(details), `${what}: reasoning_details is an array`);
  for (const detail of details) check(isRecord(detail), `${what}: each reasoning detail is an object`);
}

function checkLogprobs(logprobs: unknown, what: string): void {
  check(logprobs === undefined || logprobs === null || isRecord(logprobs), `${what}: logprobs is null or an object`);
}

export function checkCompletion(value: unknown): void {
  check(isRecord(value), 'completion is an object');
  check(value.object === 'chat.completion', 'object is chat.completion');
  check(typeof value.id === 'string', 'id is a string');
  check(typeof value.model === 'string', 'model is a string');
  check(typeof value.provider === 'string', 'provider is a string');
  check(typeof value.created === 'number' && Number.isFinite(value.created), 'created is a finite number');
  check(Array.isArray(value.choices), 'choices is an array');
  value.choices.forEach((choice: unknown, i) => {
    const what = `choices[${i}]`;
    check(isRecord(choice), `${what} is an object`);
    check(typeof choice.index === 'number' && Number.isFinite(choice.index), `${what}.index is a finite number`);
    check(FINISH_REASONS.has(choice.finish_reason as string), `${what}.finish_reason is a finish reason (got ${typeof choice.finish_reason})`);
    checkLogprobs(choice.logprobs, what);
    const message = choice.message;
    check(isRecord(message), `${what}.message is an object`);
    check(message.role === 'assistant', `${what}.message.role is assistant`);
    check(message.content === null || typeof message.content === 'string', `${what}.message.content is string | null`);
    check(message.refusal === null || typeof message.refusal === 'string', `${what}.message.refusal is string | null`);
    check(isStringOrNullish(message.reasoning_content), `${what}.message.reasoning_content is a string`);
    checkReasoningDetails(message.reasoning_details, `${what}.message`);
    if (message.annotations !== undefined) check(Array.isArray(message.annotations), `${what}.message.annotations is an array`);
    if (message.tool_calls !== undefined) {
      check(Array.isArray(message.tool_calls), `${what}.message.tool_calls is an array`);
      for (const call of message.tool_calls) {
        check(isRecord(call) && typeof call.id === 'string' && call.type === 'function', `${what}: a tool call has an id and type function`);
        check(isRecord(call.function), `${what}: a tool call has a function`);
        check(typeof call.function.name === 'string' && typeof call.function.arguments === 'string', `${what}: tool call name and arguments are strings`);
      }
    }
  });
  checkUsage(value.usage, 'completion');
}

export function checkChunk(value: unknown): void {
  check(isRecord(value), 'chunk is an object');
  check(value.object === 'chat.completion.chunk', `object is chat.completion.chunk (got ${show(value.object)})`);
  check(typeof value.id === 'string', 'chunk id is a string');
  check(typeof value.model === 'string', 'chunk model is a string');
  check(typeof value.provider === 'string', 'chunk provider is a string');
  check(typeof value.created === 'number' && Number.isFinite(value.created), 'chunk created is a finite number');
  check(value.usage === undefined || value.usage === null, 'mappers never emit usage on a chunk');
  check(Array.isArray(value.choices), 'chunk choices is an array');
  value.choices.forEach((choice: unknown, i) => {
    const what = `chunk.choices[${i}]`;
    check(isRecord(choice), `${what} is an object`);
    check(typeof choice.index === 'number' && Number.isFinite(choice.index), `${what}.index is a finite number`);
    check(choice.finish_reason === null || FINISH_REASONS.has(choice.finish_reason as string), `${what}.finish_reason is null or a finish reason`);
    checkLogprobs(choice.logprobs, what);
    const delta = choice.delta;
    check(isRecord(delta), `${what}.delta is an object`);
    check(delta.role === undefined || delta.role === null || delta.role === 'assistant', `${what}.delta.role is assistant`);
    check(isStringOrNullish(delta.content), `${what}.delta.content is string | null`);
    check(isStringOrNullish(delta.refusal), `${what}.delta.refusal is string | null`);
    check(isStringOrNullish(delta.reasoning_content), `${what}.delta.reasoning_content is string | null`);
    checkReasoningDetails(delta.reasoning_details, `${what}.delta`);
    if (delta.tool_calls === undefined) return;
    check(Array.isArray(delta.tool_calls), `${what}.delta.tool_calls is an array (got ${show(delta.tool_calls)})`);
    for (const call of delta.tool_calls) {
      check(isRecord(call), `${what}: each tool call delta is an object`);
      check(typeof call.index === 'number' && Number.isFinite(call.index), `${what}: a tool call delta has a finite index`);
      check(isStringOrNullish(call.id), `${what}: tool call id is a string`);
      check(call.type === undefined || call.type === null || call.type === 'function', `${what}: tool call type is function`);
      if (call.function === undefined || call.function === null) continue;
      check(isRecord(call.function), `${what}: tool call function is an object`);
      check(isStringOrNullish(call.function.name), `${what}: tool call name is a string`);
      check(isStringOrNullish(call.function.arguments), `${what}: tool call arguments is a string`);
    }
  });
}

export function checkMeta(meta: unknown): void {
  check(isRecord(meta), 'meta is an object');
  check(typeof meta.id === 'string' && typeof meta.model === 'string', 'meta id and model are strings');
  check(typeof meta.created === 'number' && Number.isFinite(meta.created), 'meta created is a finite number');
}

/** What every stream mapper exposes, checked after a run. */
export interface MapperLike {
  push(event: StreamEvent, out: unknown[]): void;
  readonly complete: boolean;
  readonly usage: unknown;
  readonly meta: unknown;
  isKeepAlive?(event: StreamEvent): boolean;
}

/**
 * Feeds `events` to a mapper as the core does (stopping at the first throw), checking that every
 * throw is typed and every chunk, the usage and the meta are well formed. Returns the chunks.
 */
export function runMapper(mapper: MapperLike, events: readonly StreamEvent[]): { chunks: unknown[]; error: ModelmuxError | undefined } {
  const chunks: unknown[] = [];
  let error: ModelmuxError | undefined;
  for (const event of events) {
    if (mapper.isKeepAlive !== undefined) check(typeof mapper.isKeepAlive(event) === 'boolean', 'isKeepAlive returns a boolean');
    const outcome = typed(() => mapper.push(event, chunks));
    if (!outcome.ok) {
      error = outcome.error;
      break;
    }
  }
  for (const chunk of chunks) checkChunk(chunk);
  check(typeof mapper.complete === 'boolean', 'complete is a boolean');
  if (mapper.usage !== undefined) checkUsage(mapper.usage, 'mapper.usage');
  checkMeta(mapper.meta);
  checkPlainData(chunks, 'chunks');
  if (mapper.usage !== undefined) checkPlainData(mapper.usage, 'usage');
  checkNoPollution();
  return { chunks, error };
}

/** Maps a whole body with `parse`, checking the typed-or-well-formed property. */
export function runParse(parse: () => unknown): Outcome<unknown> {
  const outcome = typed(parse);
  if (outcome.ok) {
    checkCompletion(outcome.value);
    checkPlainData(outcome.value, 'completion');
  }
  checkNoPollution();
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Bytes

/** Cuts `bytes` at the given points (taken modulo the length); the pieces concatenate back to `bytes`. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(start, p));
    start = p;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A full garbage collection, when one can be had: `global.gc` (node --expose-gc), else V8's flag
 * set at run time. `undefined` when neither works (heap checks are then skipped).
 */
export async function gcFunction(): Promise<(() => void) | undefined> {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  try {
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    v8.setFlagsFromString('--expose-gc');
    const gc: unknown = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export function heapUsedAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
