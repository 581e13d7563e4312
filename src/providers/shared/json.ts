/**
 * JSON helpers for provider payloads: safe parsing (errors never echo the payload) and typed
 * readers that never trust the shape of what a provider sent.
 */

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string value, or `undefined`. */
export function readString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A finite number, or `undefined`. */
export function readNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A token count: a non-negative finite number (rounded), or `undefined`. */
export function readCount(value: unknown): number | undefined {
  // Above 2^53 a number is no token count (and sums of such would overflow to Infinity).
  return typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER ? Math.round(value) : undefined;
}

/**
 * `JSON.stringify` of a value parsed from a provider's payload, or `undefined` when it cannot be
 * written: JSON.parse accepts nesting far deeper than JSON.stringify's recursion can handle.
 */
export function stringifyJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Parses JSON. On failure the message gives the text's size and the error position, never the
 * text itself (it may hold user data or an echoed secret).
 */
export function parseJson(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const raw = error instanceof Error ? error.message : '';
    const match = /position (\d+)/.exec(raw);
    const position = match ? Number(match[1]) : /end of (JSON|data)/i.test(raw) ? text.length : undefined;
    const where = position === undefined ? '' : `, error at position ${position}`;
    return { ok: false, message: `not valid JSON (${text.length} characters${where})` };
  }
}

/**
 * A short, single-line excerpt of a non-JSON body (an HTML error page, a proxy's text), at most
 * `max` characters. HTML tags are removed.
 */
export function excerpt(text: string, max = 200): string {
  // `[^<>]`, not `[^>]`: a run of `<` without `>` would rescan the rest of the text from each one.
  const plain = text.trimStart().startsWith('<') ? text.replace(/<[^<>]*>/g, ' ') : text;
  const line = plain.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
