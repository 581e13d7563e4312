/** Reading a whole (non-streaming) response body, bounded. Web-standard APIs only: used on edge runtimes too. */
import type { ErrorDetails } from '../errors/base.js';
import { InvalidResponseError } from '../errors/classes.js';
import type { HttpResponse } from './transport.js';

let utf8: TextDecoder | undefined;

/**
 * Reads the body of `response` to the end and decodes it as UTF-8 (invalid bytes become U+FFFD).
 * When more than `maxBytes` arrive, the response is cancelled (its connection dropped) and an
 * `InvalidResponseError` naming the limit is thrown; nothing past the limit is kept.
 * Transport errors met while reading (`ConnectionError`, the abort reason) propagate unchanged.
 */
export async function readBody(response: HttpResponse, maxBytes: number, errorDetails: ErrorDetails): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    if (chunk.length === 0) continue;
    total += chunk.length;
    if (total > maxBytes) {
      chunks.length = 0;
      response.cancel();
      throw new InvalidResponseError(`Response body exceeds ${maxBytes} bytes`, errorDetails);
    }
    chunks.push(chunk);
  }
  utf8 ??= new TextDecoder('utf-8', { fatal: false });
  if (chunks.length === 0) return '';
  if (chunks.length === 1) return utf8.decode(chunks[0]);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return utf8.decode(all);
}
