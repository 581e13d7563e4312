import type { ChatCompletionCreateParams } from '../../request/types.js';
import type { AdapterContext } from '../adapter.js';
import type { JsonRecord } from './json.js';

/** Keys that would reach an object's prototype: never copied from `providerOptions`. */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Merges `providerOptions[ctx.provider]` into `body`, last: the documented escape hatch for
 * provider-only fields. A key in `protectedKeys` (or a prototype key) is ignored with a warning;
 * `place` may put a key somewhere else than the top of the body (it returns true when it did).
 */
export function mergeProviderOptions(
  body: JsonRecord,
  params: ChatCompletionCreateParams,
  ctx: AdapterContext,
  protectedKeys: ReadonlySet<string>,
  place?: (key: string, value: unknown) => boolean,
): void {
  const extra = params.providerOptions?.[ctx.provider];
  if (extra === undefined) return;
  for (const key of Object.keys(extra)) {
    const value = extra[key];
    if (protectedKeys.has(key) || UNSAFE.has(key)) {
      ctx.warn(`providerOptions.${ctx.provider}.${key} cannot be overridden; it was ignored`);
      continue;
    }
    if (place?.(key, value) === true) continue;
    body[key] = value;
  }
}
