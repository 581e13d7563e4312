/**
 * Deterministic tool-call id rewriting, for providers that only accept ids of a fixed shape
 * (Mistral: exactly 9 characters of `[a-zA-Z0-9]`). The same input id always gives the same output
 * id, so an assistant tool call and the tool message answering it stay paired without any state.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 32-bit hash of `text` (FNV-1a with a seed, then a murmur3 finalizer). */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Rewrites `id` to `length` alphanumeric characters. An id that already has that shape is kept,
 * so ids the provider issued itself round-trip unchanged.
 */
export function toAlphanumericId(id: string, length: number): string {
  if (id.length === length && /^[a-zA-Z0-9]+$/.test(id)) return id;
  let out = '';
  // Five base-62 digits per 32-bit word (62^5 < 2^32); a new seeded word for each five.
  for (let word = 0; out.length < length; word++) {
    let h = hash32(id, word * 0x9e3779b1);
    for (let i = 0; i < 5 && out.length < length; i++) {
      out += ALPHABET.charAt(h % 62);
      h = Math.floor(h / 62);
    }
  }
  return out;
}

/** Mistral's tool-call id shape: `^[a-zA-Z0-9]{9}$`. */
export function toMistralToolCallId(id: string): string {
  return toAlphanumericId(id, 9);
}
