/**
 * How long a provider asked us to wait, in ms: `retry-after-ms` (0 allowed) first, then
 * `retry-after` as seconds or an HTTP date. `undefined` when absent or unparseable.
 * Caps are applied by the retry loop, not here.
 */
export function parseRetryAfter(header: (name: string) => string | null, now: number = Date.now()): number | undefined {
  const ms = header('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const after = header('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(after);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Parses a Go-style duration such as `"34s"`, `"1.5s"`, `"210ms"`, `"6m0s"` into ms. */
export function parseDuration(text: string): number | undefined {
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const match of text.trim().matchAll(pattern)) {
    const value = Number(match[1]);
    const unit = match[2];
    total += unit === 'h' ? value * 3_600_000 : unit === 'm' ? value * 60_000 : unit === 's' ? value * 1000 : value;
    matched += match[0];
  }
  // Digits enough to overflow (`"1e400s"` is no match, but 400 nines are) are no duration either.
  return matched.length > 0 && matched === text.trim() && Number.isFinite(total) ? Math.round(total) : undefined;
}
