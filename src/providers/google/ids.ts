const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random base-62 characters from the platform's CSPRNG (Node 20, browsers, edge runtimes). */
export function randomId(length: number): string {
  const bytes = new Uint8Array(length);
  globalThis.crypto.getRandomValues(bytes);
  let out = '';
  // 248 = 4 × 62: rejecting bytes ≥ 248 keeps every character equally likely.
  for (let i = 0; i < length; i++) {
    let byte = bytes[i] as number;
    while (byte >= 248) {
      const one = new Uint8Array(1);
      globalThis.crypto.getRandomValues(one);
      byte = one[0] as number;
    }
    out += ALPHABET.charAt(byte % 62);
  }
  return out;
}

/**
 * A tool-call id for a Gemini function call that came without one: `call_` + 24 random base-62
 * characters (~143 bits), so ids are unique within a response and across turns without state.
 */
export function newToolCallId(): string {
  return `call_${randomId(24)}`;
}

/** A completion id for an answer without `responseId`. */
export function newCompletionId(): string {
  return `chatcmpl-${randomId(24)}`;
}
