import { registerSecret } from '../../http/redact.js';

/** Header names lower-cased; later duplicates (by case-insensitive name) win. */
export function lowerCaseHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (typeof value === 'string') out[name.toLowerCase()] = value;
  }
  return out;
}

/**
 * Whether the user's own headers authenticate (`authorization`, or the preset's key header such
 * as Azure `api-key`). Their credential is registered for redaction.
 */
export function userAuthenticates(headers: Record<string, string>, authHeader: string): boolean {
  let found = false;
  for (const name of new Set(['authorization', authHeader])) {
    const value = headers[name];
    if (value === undefined) continue;
    found = true;
    registerSecret(value.replace(/^bearer\s+/i, ''));
  }
  return found;
}
