/**
 * What the mock answers, shared by the mock, the clients' checks and the report: the answer's
 * content pieces and how many events each wire format sends for one stream.
 */

/** The content pieces of an answer of `n` chunks; the non-streaming content is their concatenation. */
export function tokens(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `tok${i} `);
}

export type WireFormat = 'openai' | 'anthropic';

/**
 * Events of one stream on the wire, not counting OpenAI's `[DONE]`: OpenAI sends `n` content
 * chunks, a finish chunk and a usage chunk; Anthropic sends message_start, content_block_start,
 * `n` text deltas, content_block_stop, message_delta and message_stop. CPU per chunk is CPU per
 * one of these events.
 */
export function wireEvents(format: WireFormat, n: number): number {
  return format === 'openai' ? n + 2 : n + 5;
}

/** Usage the mock reports (both formats): 12 prompt tokens, one completion token per chunk. */
export const PROMPT_TOKENS = 12;
