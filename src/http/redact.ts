/**
 * Secret redaction for every sink an error can reach (message, stack, cause, toJSON, inspect).
 *
 * Every API key modelmux loads is registered here, so that a provider echoing the key back in
 * its error text cannot leak it. Known key shapes are redacted too, whether registered or not.
 */

const REDACTED = '[REDACTED]';
const MIN_SECRET_LENGTH = 6;

const secrets = new Set<string>();
let secretPattern: RegExp | null = null;

// sk-…, sk-proj-…, sk-ant-…, sk-or-v1-…, Google AIza…, AWS access key ids, bearer tokens in text.
// The bearer prefix is matched forward and kept (group 1): a lookbehind `(?<=[Bb]earer\s+)` is
// tried at every position and scans back over whitespace, quadratic on a long run of spaces.
const KEY_SHAPES =
  /\b(?:sk-[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{30,}|(?:AKIA|ASIA)[0-9A-Z]{16}|gsk_[A-Za-z0-9]{20,}|xai-[A-Za-z0-9]{20,})\b|([Bb]earer\s+)[A-Za-z0-9._~+/=-]{12,}/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Registers a secret so that it is redacted from every error modelmux produces. */
export function registerSecret(secret: string | undefined | null): void {
  if (!secret || secret.length < MIN_SECRET_LENGTH || secrets.has(secret)) return;
  secrets.add(secret);
  const forms = new Set<string>();
  for (const value of secrets) {
    forms.add(escapeRegExp(value));
    const encoded = encodeURIComponent(value);
    if (encoded !== value) forms.add(escapeRegExp(encoded));
  }
  // Longest first so that a secret containing another is redacted whole.
  const alternatives = [...forms].sort((a, b) => b.length - a.length);
  secretPattern = new RegExp(alternatives.join('|'), 'g');
}

/** Replaces every registered secret and every well-known key shape in `text`. */
export function redact(text: string): string {
  let out = text;
  if (secretPattern) out = out.replace(secretPattern, REDACTED);
  return out.replace(KEY_SHAPES, (_match, bearer: string | undefined) => (bearer === undefined ? REDACTED : `${bearer}${REDACTED}`));
}

/** Redacts a value of unknown type into a safe string (for causes that are not errors). */
export function redactUnknown(value: unknown): string {
  if (typeof value === 'string') return redact(value);
  try {
    return redact(JSON.stringify(value) ?? String(value));
  } catch {
    return redact(String(value));
  }
}
