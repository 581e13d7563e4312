import { ValidationError } from '../../errors/classes.js';
import { isRecord, type JsonRecord } from '../shared/json.js';

/**
 * JSON Schema → the OpenAPI-3.0 subset Gemini's `Schema` accepts (function `parameters` and
 * `responseSchema`). Rules:
 * - only the keywords in `GEMINI_SCHEMA_KEYWORDS` are kept; everything else is dropped
 *   (`additionalProperties`, `$schema`, `$id`, `$comment`, `default`, `examples`, `pattern`,
 *   `not`, `if`/`then`/`else`, `exclusiveMinimum`, `multipleOf`, `uniqueItems`, …);
 * - `$ref` (`#`, `#/$defs/…`, `#/definitions/…`, any local JSON pointer) is inlined, keywords next
 *   to it win over the target's; a recursive `$ref` or a non-local one is a `ValidationError`;
 * - `type: [T, 'null']` → `type: T, nullable: true`; several non-null types → `anyOf`;
 * - `anyOf`/`oneOf` with a `{type:'null'}` branch → `nullable: true` (a single branch left is
 *   inlined); `oneOf` becomes `anyOf`; `allOf` is merged (properties and required united);
 * - `const` → a one-value `enum`; `enum` is kept when every value is a string (`null` in it →
 *   `nullable`); a non-string enum is dropped with a warning (Gemini enums are strings);
 * - `format` only where Gemini supports it: `enum`/`date-time` on strings, `float`/`double` on
 *   numbers, `int32`/`int64` on integers;
 * - `required` keeps the names that exist in `properties`; an object schema without properties
 *   loses its empty `properties` (Gemini rejects `properties: {}`); at the root it is omitted
 *   altogether (`toGeminiSchema` returns `undefined`): a no-argument tool has no `parameters`.
 */

/** The keywords kept in a reduced schema node. */
export const GEMINI_SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'properties',
  'required',
  'items',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'anyOf',
  'propertyOrdering',
]);

const FORMATS: Readonly<Record<string, ReadonlySet<string>>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

const MAX_DEPTH = 64;

/** Sets an own property, also for names such as `__proto__` (property names are the caller's). */
function setOwn(target: JsonRecord, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
const MAX_NODES = 10_000;

export interface SchemaContext {
  provider: string;
  model: string;
  warn(message: string): void;
}

class Reducer {
  private nodes = 0;
  private warnedEnum = false;

  constructor(
    private readonly root: JsonRecord,
    private readonly ctx: SchemaContext,
  ) {}

  fail(path: string, message: string): ValidationError {
    return new ValidationError([{ path, message }], { provider: this.ctx.provider, model: this.ctx.model });
  }

  /** Follows `$ref`s (keywords beside a `$ref` win); returns the node and the refs entered. */
  deref(node: JsonRecord, path: string, refs: readonly string[]): { node: JsonRecord; refs: readonly string[] } {
    let current = node;
    let stack = refs;
    while (typeof current.$ref === 'string') {
      const ref = current.$ref;
      if (stack.includes(ref)) throw this.fail(`${path}.$ref`, `recursive $ref "${ref}" is not supported by Gemini schemas`);
      const target = this.resolve(ref, `${path}.$ref`);
      const siblings: JsonRecord = {};
      for (const key of Object.keys(current)) if (key !== '$ref') setOwn(siblings, key, current[key]);
      current = { ...target, ...siblings };
      stack = [...stack, ref];
    }
    return { node: current, refs: stack };
  }

  private resolve(ref: string, path: string): JsonRecord {
    if (ref !== '#' && !ref.startsWith('#/')) throw this.fail(path, `only local $ref ("#/…") can be inlined, got "${ref}"`);
    let target: unknown = this.root;
    if (ref !== '#') {
      for (const raw of ref.slice(2).split('/')) {
        const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
        target = isRecord(target) && Object.hasOwn(target, key) ? target[key] : undefined;
      }
    }
    if (target === true || (isRecord(target) && Object.keys(target).length === 0)) return {};
    if (!isRecord(target)) throw this.fail(path, `$ref "${ref}" does not point to a schema`);
    return target;
  }

  reduce(raw: unknown, path: string, refs: readonly string[], depth: number): JsonRecord {
    if (depth > MAX_DEPTH) throw this.fail(path, `schema nested deeper than ${MAX_DEPTH} levels`);
    if (++this.nodes > MAX_NODES) throw this.fail(path, `schema has more than ${MAX_NODES} nodes once $refs are inlined`);
    if (raw === true || raw === undefined) return {};
    if (raw === false) throw this.fail(path, 'a schema that accepts nothing (false) cannot be expressed for Gemini');
    if (!isRecord(raw)) throw this.fail(path, 'expected a JSON schema object');
    const entered = this.deref(raw, path, refs);
    const node = this.mergeAllOf(entered.node, path, entered.refs);
    return this.reduceNode(node, path, entered.refs, depth);
  }

  /** `allOf` merged into the node: properties and required united, other keywords first-wins. */
  private mergeAllOf(node: JsonRecord, path: string, refs: readonly string[]): JsonRecord {
    if (!Array.isArray(node.allOf)) return node;
    const merged: JsonRecord = {};
    for (const key of Object.keys(node)) if (key !== 'allOf') setOwn(merged, key, node[key]);
    node.allOf.forEach((sub, i) => {
      if (sub === true) return;
      if (!isRecord(sub)) throw this.fail(`${path}.allOf.${i}`, 'expected a JSON schema object');
      const entered = this.deref(sub, `${path}.allOf.${i}`, refs);
      const resolved = this.mergeAllOf(entered.node, `${path}.allOf.${i}`, entered.refs);
      for (const key of Object.keys(resolved)) {
        const value = resolved[key];
        if (key === 'properties' && isRecord(value)) merged.properties = { ...(isRecord(merged.properties) ? merged.properties : {}), ...value };
        else if (key === 'required' && Array.isArray(value)) merged.required = [...(Array.isArray(merged.required) ? merged.required : []), ...value];
        else if (!Object.hasOwn(merged, key)) setOwn(merged, key, value);
      }
    });
    return merged;
  }

  private isNullBranch(branch: unknown, path: string, refs: readonly string[]): boolean {
    if (!isRecord(branch)) return false;
    const node = this.deref(branch, path, refs).node;
    return node.type === 'null' || (Array.isArray(node.type) && node.type.length === 1 && node.type[0] === 'null');
  }

  private reduceNode(node: JsonRecord, path: string, refs: readonly string[], depth: number): JsonRecord {
    const out: JsonRecord = {};
    let nullable = node.nullable === true;
    const types = (Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]).filter(
      (t): t is string => typeof t === 'string',
    );
    if (types.includes('null')) nullable = true;
    const nonNull = [...new Set(types.filter((t) => t !== 'null'))];

    // anyOf / oneOf, null branches folded into `nullable`.
    const branchKey = Array.isArray(node.anyOf) ? 'anyOf' : Array.isArray(node.oneOf) ? 'oneOf' : undefined;
    let branches: JsonRecord[] = [];
    if (branchKey !== undefined) {
      const list = node[branchKey] as unknown[];
      list.forEach((branch, i) => {
        const at = `${path}.${branchKey}.${i}`;
        if (this.isNullBranch(branch, at, refs)) nullable = true;
        else branches.push(this.reduce(branch, at, refs, depth + 1));
      });
    }

    if (typeof node.title === 'string') out.title = node.title;
    if (typeof node.description === 'string') out.description = node.description;

    if (branches.length === 1 && nonNull.length === 0 && node.properties === undefined && node.items === undefined) {
      // A single branch left: inlined; the node's own title/description win.
      const only = branches[0] as JsonRecord;
      branches = [];
      for (const key of Object.keys(only)) if (!Object.hasOwn(out, key)) setOwn(out, key, only[key]);
      if (only.nullable === true) nullable = true;
    }

    if (nonNull.length === 1) out.type = nonNull[0];
    else if (nonNull.length > 1 && branches.length === 0) branches = nonNull.map((type) => ({ type }));
    const type = typeof out.type === 'string' ? out.type : undefined;

    const format = node.format;
    if (typeof format === 'string' && type !== undefined && Object.hasOwn(FORMATS, type) && FORMATS[type]?.has(format) === true) out.format = format;

    this.copyEnum(node, out, path, (isNull) => {
      if (isNull) nullable = true;
    });
    if (typeof out.type !== 'string' && Array.isArray(out.enum)) out.type = 'string';

    if (isRecord(node.properties)) {
      const properties: JsonRecord = {};
      for (const name of Object.keys(node.properties)) {
        setOwn(properties, name, this.reduce(node.properties[name], `${path}.properties.${name}`, refs, depth + 1));
      }
      if (Object.keys(properties).length > 0) {
        out.properties = properties;
        if (Array.isArray(node.required)) {
          const required = [...new Set(node.required.filter((n): n is string => typeof n === 'string' && Object.hasOwn(properties, n)))];
          if (required.length > 0) out.required = required;
        }
        if (Array.isArray(node.propertyOrdering)) {
          const ordering = node.propertyOrdering.filter((n): n is string => typeof n === 'string' && Object.hasOwn(properties, n));
          if (ordering.length > 0) out.propertyOrdering = ordering;
        }
      }
    }

    const items = Array.isArray(node.items) ? node.items : Array.isArray(node.prefixItems) ? node.prefixItems : node.items;
    if (Array.isArray(items)) {
      const reduced = items.map((item, i) => this.reduce(item, `${path}.items.${i}`, refs, depth + 1));
      if (reduced.length === 1) out.items = reduced[0];
      else if (reduced.length > 1) out.items = { anyOf: reduced };
    } else if (items !== undefined) {
      out.items = this.reduce(items, `${path}.items`, refs, depth + 1);
    }

    for (const key of ['minItems', 'maxItems', 'minimum', 'maximum'] as const) {
      if (typeof node[key] === 'number' && Number.isFinite(node[key])) out[key] = node[key];
    }
    if (branches.length > 0) out.anyOf = branches;
    if (nullable) out.nullable = true;
    return out;
  }

  private copyEnum(node: JsonRecord, out: JsonRecord, path: string, onNull: (isNull: boolean) => void): void {
    const values: unknown[] | undefined = 'const' in node ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined;
    if (values === undefined) return;
    const kept = values.filter((value) => value !== null);
    if (kept.length < values.length) onNull(true);
    if (kept.length === 0) return;
    if (kept.every((value): value is string => typeof value === 'string')) {
      out.enum = [...new Set(kept)];
      return;
    }
    if (!this.warnedEnum) {
      this.warnedEnum = true;
      this.ctx.warn(`${this.ctx.provider}: Gemini schemas only take string enums; a non-string enum/const at ${path} was dropped`);
    }
  }
}

/**
 * Reduces a JSON schema to Gemini's subset. `undefined` for a schema with nothing to say at the
 * root (`{}`, or an object schema without properties): omit `parameters` / `responseSchema`.
 * Throws `ValidationError` naming `path` for a recursive or non-local `$ref`.
 */
export function toGeminiSchema(schema: Record<string, unknown> | undefined, path: string, ctx: SchemaContext): JsonRecord | undefined {
  if (schema === undefined) return undefined;
  const reduced = new Reducer(schema, ctx).reduce(schema, path, [], 0);
  const keys = Object.keys(reduced);
  const emptyObject = keys.every((key) => key === 'type' || key === 'description' || key === 'title') && (reduced.type === undefined || reduced.type === 'object');
  return emptyObject ? undefined : reduced;
}
