import { registerSecret } from './redact.js';

/** Headers whose values are credentials: registered for redaction wherever they come from. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
]);

/**
 * Header names lower-cased (a later duplicate, by case-insensitive name, wins); the value of every
 * credential header is registered for redaction, with and without its `Bearer ` prefix.
 */
export function normalizeHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (typeof value !== 'string') continue;
    const lower = name.toLowerCase();
    if (CREDENTIAL_HEADERS.has(lower)) {
      registerSecret(value);
      registerSecret(value.replace(/^bearer\s+/i, ''));
    }
    out[lower] = value;
  }
  return out;
}
