/**
 * A tiny validator for requests and config.
 *
 * A `Check<T>` is a type guard that also reports: `check(value, issues)` returns `true` when
 * `value` is a valid `T`, and otherwise pushes at least one issue and returns `false`. Checks never
 * copy or transform: a valid value is used as it is. Issue paths are relative to the value being
 * checked and are built while the stack unwinds (a container prefixes its key onto the issues its
 * child pushed), so the success path pushes nothing, allocates nothing and builds no strings.
 *
 * Issues are *fatal* (the value is not even of the expected kind: wrong type, literal or enum,
 * a failed custom check, an unknown discriminator) or not (a constraint: a bound, a length, a
 * pattern, an unknown key, a refinement). This decides what is reported:
 * - a union reports the issues of its one branch that failed without a fatal issue, when there is
 *   exactly one (`[]` for "a non-empty list or a group": `expected at least 1 item`); otherwise one
 *   issue at the union's own path;
 * - a refinement runs only when its value had no fatal issue.
 * All issues are collected, not only the first.
 */

/** An issue found by a check. `path` is dotted, relative to the checked value (`''`: the value itself). */
export interface Issue {
  path: string;
  message: string;
  fatal: boolean;
}

/** Kinds of JavaScript value, as bits: a union tries only the branches that accept the value's kind. */
const K_UNDEFINED = 1;
const K_NULL = 2;
const K_STRING = 4;
const K_NUMBER = 8;
const K_BOOLEAN = 16;
const K_ARRAY = 32;
const K_OBJECT = 64;
const K_FUNCTION = 128;
const K_OTHER = 256;
const K_ANY = 511;

function kindOf(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return K_STRING;
    case 'number':
      return K_NUMBER;
    case 'boolean':
      return K_BOOLEAN;
    case 'undefined':
      return K_UNDEFINED;
    case 'function':
      return K_FUNCTION;
    case 'object':
      return value === null ? K_NULL : Array.isArray(value) ? K_ARRAY : K_OBJECT;
    default:
      return K_OTHER;
  }
}

export interface Check<T> {
  (value: unknown, issues: Issue[]): value is T;
  /** What the check expects, for messages: `string`, `array`, `"text"`, `a function`. */
  readonly expected: string;
  /** The kinds of value it can accept (bits). */
  readonly kinds: number;
  /** `undefined` is valid: an object may omit the key. */
  readonly optional: boolean;
}

/** The type a check accepts. */
export type Infer<C> = C extends Check<infer T> ? T : never;

/**
 * `true` when a check's type and a public type have the same keys. A strict object check names
 * every key it allows, so `const _: SameKeys<Infer<typeof shape>, PublicType> = true` (or a type
 * alias constrained to `true`) keeps the two from drifting apart: a field added to one only fails
 * the typecheck.
 */
export type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;

type AnyCheck = Check<unknown>;
type Shape = Readonly<Record<string, AnyCheck>>;
type Flatten<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
/** The object type of a shape: keys whose check accepts `undefined` are optional. */
export type ObjectOf<S extends Shape> = Flatten<
  { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { -readonly [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

function define<T>(expected: string, kinds: number, fn: (value: unknown, issues: Issue[]) => boolean): Check<T> {
  const check = fn as Check<T> & { expected: string; kinds: number; optional: boolean };
  check.expected = expected;
  check.kinds = kinds;
  check.optional = (kinds & K_UNDEFINED) !== 0;
  return check;
}

// ---------------------------------------------------------------------------------------------
// Issues

/** How a value is named in a message: its kind, or the value itself for a short primitive. */
function received(value: unknown, literal = false): string {
  switch (typeof value) {
    case 'string':
      return literal ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : 'string';
    case 'number':
      return Number.isNaN(value) ? 'NaN' : !Number.isFinite(value) || literal ? String(value) : 'number';
    case 'boolean':
      return literal ? String(value) : 'boolean';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return 'array';
      const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
      const name = proto === null || proto === Object.prototype ? undefined : proto.constructor?.name;
      return typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'object';
    }
    default:
      return typeof value;
  }
}

function fail(issues: Issue[], message: string, fatal: boolean, path = ''): false {
  issues.push({ path, message, fatal });
  return false;
}

function mismatch(issues: Issue[], expected: string, value: unknown, literal = false): false {
  return fail(issues, `expected ${expected}, received ${received(value, literal)}`, true);
}

/** Adds a (non-fatal) issue at `path`, relative to the checked value: for refinements. */
export function report(issues: Issue[], path: string, message: string): void {
  issues.push({ path, message, fatal: false });
}

/** Prefixes `key` onto the paths of the issues pushed since `start`. */
function prefix(issues: Issue[], start: number, key: string | number): void {
  for (let i = start; i < issues.length; i++) {
    const issue = issues[i]!;
    issue.path = issue.path === '' ? String(key) : `${key}.${issue.path}`;
  }
}

function hasFatal(issues: Issue[], start: number): boolean {
  for (let i = start; i < issues.length; i++) if (issues[i]!.fatal) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// Primitives

export interface StringOptions {
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** Replaces the message of a failed min, max or pattern. */
  message?: string;
}

export function string(options: StringOptions = {}): Check<string> {
  const { min, max, pattern, message } = options;
  if (min === undefined && max === undefined && pattern === undefined) {
    return define('string', K_STRING, (value, issues) => typeof value === 'string' || mismatch(issues, 'string', value));
  }
  return define('string', K_STRING, (value, issues) => {
    if (typeof value !== 'string') return mismatch(issues, 'string', value);
    let ok = true;
    if (min !== undefined && value.length < min) {
      ok = fail(issues, message ?? (min === 1 ? 'expected a non-empty string' : `expected at least ${min} characters, received ${value.length}`), false);
    }
    if (max !== undefined && value.length > max) ok = fail(issues, message ?? `expected at most ${max} characters, received ${value.length}`, false);
    if (pattern !== undefined && !pattern.test(value)) ok = fail(issues, message ?? `expected a string matching ${pattern}`, false);
    return ok;
  });
}

export interface NumberOptions {
  /** A safe integer. */
  int?: boolean;
  /** Exclusive lower bound. */
  gt?: number;
  min?: number;
  max?: number;
  /** Replaces the message of a failed max. */
  maxMessage?: string;
}

/** A finite number (never NaN or ±Infinity). */
export function number(options: NumberOptions = {}): Check<number> {
  const { int, gt, min, max, maxMessage } = options;
  if (!int && gt === undefined && min === undefined && max === undefined) {
    return define('number', K_NUMBER, (value, issues) => (typeof value === 'number' && Number.isFinite(value)) || mismatch(issues, 'number', value));
  }
  return define('number', K_NUMBER, (value, issues) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return mismatch(issues, 'number', value);
    let ok = true;
    if (int && !Number.isSafeInteger(value)) ok = fail(issues, `expected ${Number.isInteger(value) ? 'a safe integer' : 'an integer'}, received ${value}`, false);
    if (gt !== undefined && !(value > gt)) ok = fail(issues, `expected a number > ${gt}, received ${value}`, false);
    if (min !== undefined && value < min) ok = fail(issues, `expected a number >= ${min}, received ${value}`, false);
    if (max !== undefined && value > max) ok = fail(issues, maxMessage ?? `expected a number <= ${max}, received ${value}`, false);
    return ok;
  });
}

export function boolean(): Check<boolean> {
  return define('boolean', K_BOOLEAN, (value, issues) => typeof value === 'boolean' || mismatch(issues, 'boolean', value));
}

/** Anything, `undefined` included. */
export function unknown(): Check<unknown> {
  return define('anything', K_ANY, () => true);
}

type Primitive = string | number | boolean | null;

export function literal<const T extends Primitive>(expected: T): Check<T> {
  const label = JSON.stringify(expected);
  return define(label, kindOf(expected), (value, issues) => value === expected || mismatch(issues, label, value, true));
}

/** One of a few primitives (an enum). */
export function oneOf<const T extends readonly Primitive[]>(values: T): Check<T[number]> {
  const label = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  let kinds = 0;
  for (const v of values) kinds |= kindOf(v);
  return define(label, kinds, (value, issues) => values.includes(value as Primitive) || mismatch(issues, label, value, true));
}

/**
 * A custom check: `test(value)` says whether `value` is a `T`. `label` names what is expected
 * (`a function`); `message` replaces `expected <label>, received <kind>`. A failure is fatal.
 */
export function is<T>(test: (value: unknown) => boolean, label: string, message?: string, kinds = K_ANY & ~K_UNDEFINED): Check<T> {
  return define(label, kinds, (value, issues) => test(value) || (message === undefined ? mismatch(issues, label, value) : fail(issues, message, true)));
}

const isFunction = (value: unknown): boolean => typeof value === 'function';

/** A function (typed as `T`, which the check cannot verify beyond `typeof`). */
export function func<T extends Function>(message?: string): Check<T> {
  return is<T>(isFunction, 'a function', message, K_FUNCTION);
}

// ---------------------------------------------------------------------------------------------
// Modifiers

/** Also accepts `undefined`; an object may omit the key. */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return define(check.expected, check.kinds | K_UNDEFINED, (value, issues) => value === undefined || check(value, issues));
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return define(check.expected, check.kinds | K_NULL, (value, issues) => value === null || check(value, issues));
}

/** `null`, `undefined` or a `T`. */
export function nullish<T>(check: Check<T>): Check<T | null | undefined> {
  return define(check.expected, check.kinds | K_NULL | K_UNDEFINED, (value, issues) => value === null || value === undefined || check(value, issues));
}

/**
 * Adds rules across fields: `rule(value, issues)` reports with `report(issues, path, message)`.
 * It runs unless the value had a fatal issue (it may run on a value with a bad bound or an
 * unknown key), so it must only rely on the types.
 */
export function refine<T>(check: Check<T>, rule: (value: T, issues: Issue[]) => void): Check<T> {
  return define(check.expected, check.kinds, (value, issues) => {
    const start = issues.length;
    const ok = check(value, issues);
    if (!ok && hasFatal(issues, start)) return false;
    const before = issues.length;
    rule(value as T, issues);
    return ok && issues.length === before;
  });
}

// ---------------------------------------------------------------------------------------------
// Containers

export interface ArrayOptions {
  min?: number;
  /** Checked first: a longer array is not looked into (a fatal issue). */
  max?: number;
  /** Replaces the message of a failed min. */
  message?: string;
}

const items = (n: number): string => (n === 1 ? '1 item' : `${n} items`);

export function array<T>(element: Check<T>, options: ArrayOptions = {}): Check<T[]> {
  const { min, max, message } = options;
  return define('array', K_ARRAY, (value, issues) => {
    if (!Array.isArray(value)) return mismatch(issues, 'array', value);
    const n = value.length;
    if (max !== undefined && n > max) return fail(issues, `expected at most ${items(max)}, received ${n}`, true);
    let ok = true;
    for (let i = 0; i < n; i++) {
      const start = issues.length;
      if (!element(value[i], issues)) {
        ok = false;
        prefix(issues, start, i);
      }
    }
    if (min !== undefined && n < min) ok = fail(issues, message ?? `expected at least ${items(min)}`, false);
    return ok;
  });
}

export interface ObjectOptions {
  /** Unknown keys are allowed (and kept). Default: strict, an unknown key is an issue naming it. */
  loose?: boolean;
}

/**
 * An object (not null, not an array) with these keys. Strict by default: every other enumerable
 * key, `__proto__` included, is an issue `unknown field "<key>"` at the key's path.
 */
export function object<const S extends Shape>(shape: S, options: ObjectOptions = {}): Check<ObjectOf<S>> {
  const keys = Object.keys(shape);
  const checks = keys.map((key) => shape[key]!);
  const optional = checks.map((check) => check.optional);
  const index = new Map(keys.map((key, i) => [key, i]));
  const required = optional.filter((o) => !o).length;
  const strict = options.loose !== true;
  const n = keys.length;

  /** Every field in declared order, then the unknown keys: the issues, in a stable order. */
  function slow(record: Record<string, unknown>, issues: Issue[]): boolean {
    let ok = true;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const field = record[key];
      if (field === undefined && optional[i]) continue;
      const start = issues.length;
      if (!checks[i]!(field, issues)) {
        ok = false;
        prefix(issues, start, key);
      }
    }
    if (strict) {
      for (const key in record) {
        if (!index.has(key)) ok = fail(issues, `unknown field "${key}"`, false, key);
      }
    }
    return ok;
  }

  return define('object', K_OBJECT, (value, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return mismatch(issues, 'object', value);
    const record = value as Record<string, unknown>;
    // Fast pass over the keys the value has (a request sets a few of its ~30 fields); at the
    // first problem, start over in declared order to report every issue.
    const start = issues.length;
    let found = 0;
    for (const key in record) {
      const i = index.get(key);
      if (i === undefined) {
        if (strict) return slowAfter(record, issues, start);
        continue;
      }
      const field = record[key];
      if (!optional[i]) found++;
      else if (field === undefined) continue;
      if (!checks[i]!(field, issues)) return slowAfter(record, issues, start);
    }
    return found === required || slowAfter(record, issues, start);
  });

  function slowAfter(record: Record<string, unknown>, issues: Issue[], start: number): boolean {
    issues.length = start;
    return slow(record, issues);
  }
}

/** Whether `value` is a plain object: `{…}`, `Object.create(null)`, or one from another realm. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/**
 * A plain object used as a map: every own key passes `key` and its value passes `value`. A
 * `__proto__` key (from `JSON.parse`) is an issue: it would set a prototype if copied.
 */
export function record<V>(value: Check<V>, key?: Check<string>): Check<Record<string, V>> {
  return define('object', K_OBJECT, (input, issues) => {
    if (!isPlainObject(input)) return mismatch(issues, 'object', input);
    let ok = true;
    for (const k in input) {
      if (!Object.hasOwn(input, k)) continue;
      if (k === '__proto__') {
        ok = fail(issues, '"__proto__" is not allowed as a key', false, k);
        continue;
      }
      let start = issues.length;
      if (key !== undefined && !key(k, issues)) {
        const first = issues[start]!.message;
        issues.length = start;
        ok = fail(issues, `invalid key: ${first}`, true, k);
        continue;
      }
      start = issues.length;
      if (!value(input[k], issues)) {
        ok = false;
        prefix(issues, start, k);
      }
    }
    return ok;
  });
}

/** `a`, `a or b`, `a, b or c`. */
function either(labels: string[]): string {
  return labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
}

/**
 * The first branch that accepts the value. Only the branches that accept the value's kind are
 * tried; on failure, a union reports the issues of its one branch without a fatal issue, when
 * there is exactly one, and otherwise one fatal issue at its own path.
 */
export function union<const C extends readonly AnyCheck[]>(branches: C, expected?: string): Check<Infer<C[number]>> {
  const label = expected ?? either(branches.map((b) => b.expected));
  const kinds = branches.map((b) => b.kinds);
  let all = 0;
  for (const k of kinds) all |= k;
  const n = branches.length;
  return define(label, all, (value, issues) => {
    const kind = kindOf(value);
    const start = issues.length;
    let tried = 0;
    for (let i = 0; i < n; i++) {
      if ((kinds[i]! & kind) === 0) continue;
      tried++;
      if (branches[i]!(value, issues)) {
        issues.length = start;
        return true;
      }
    }
    if (tried === 0) return mismatch(issues, label, value);
    return unionFailure(issues, start, label, value, branches, kinds, kind);
  });
}

/** The failure path of a union: rerun the tried branches one by one to sort their issues out. */
function unionFailure(issues: Issue[], start: number, label: string, value: unknown, branches: readonly AnyCheck[], kinds: number[], kind: number): false {
  issues.length = start;
  let kept: Issue[] | undefined;
  let nonFatal = 0;
  let deepest: Issue | undefined;
  for (let i = 0; i < branches.length; i++) {
    if ((kinds[i]! & kind) === 0) continue;
    const own: Issue[] = [];
    branches[i]!(value, own);
    if (!hasFatal(own, 0)) {
      nonFatal++;
      kept = own;
    } else {
      const first = own.find((issue) => issue.fatal)!;
      if (deepest === undefined || first.path.length > deepest.path.length) deepest = first;
    }
  }
  if (nonFatal === 1 && kept !== undefined) {
    for (const issue of kept) issues.push(issue);
    return false;
  }
  if (deepest === undefined) return mismatch(issues, label, value, true);
  return fail(issues, deepest.path === '' ? deepest.message : `at ${deepest.path}: ${deepest.message}`, true);
}

/**
 * A union of objects told apart by the string at `key` (`role`, `type`): the branch of that
 * value, or an issue at `key` naming the allowed values.
 */
export function variants<const M extends Readonly<Record<string, AnyCheck>>>(key: string, branches: M): Check<Infer<M[keyof M]>> {
  const table = new Map<unknown, AnyCheck>(Object.entries(branches));
  const label = `one of ${Object.keys(branches)
    .map((v) => JSON.stringify(v))
    .join(', ')}`;
  return define('object', K_OBJECT, (value, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return mismatch(issues, 'object', value);
    const tag = (value as Record<string, unknown>)[key];
    const branch = table.get(tag);
    if (branch === undefined) return fail(issues, `expected ${label}, received ${received(tag, true)}`, true, key);
    return branch(value, issues);
  });
}
