/**
 * Anthropic Messages payloads of the mock, serialized once, in the API's exact shapes: the
 * non-streaming message, and the SSE events of a stream (`event:` + `data:` lines): message_start,
 * content_block_start, one content_block_delta (text_delta) per piece, content_block_stop,
 * message_delta (stop_reason and cumulative usage), message_stop.
 */
import { PROMPT_TOKENS, tokens } from '../wire.js';

const ID = 'msg_01Bench0000000000000000';
const MODEL = 'claude-bench';

export function anthropicPayloads(n: number): { completion: Buffer; events: Buffer[] } {
  const words = tokens(n);
  const usage = (outputTokens: number) => ({
    input_tokens: PROMPT_TOKENS,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
    service_tier: 'standard',
  });

  const completion = Buffer.from(
    JSON.stringify({
      id: ID,
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: words.join('') }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: usage(n),
    }),
  );

  const event = (type: string, data: object) => Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const events: Buffer[] = [
    event('message_start', {
      message: { id: ID, type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: usage(1) },
    }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ...words.map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: PROMPT_TOKENS, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: n },
    }),
    event('message_stop', {}),
  ];
  return { completion, events };
}
