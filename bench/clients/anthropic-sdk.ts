/**
 * The official `@anthropic-ai/sdk` client (fetch-based) against the mock's Anthropic Messages
 * endpoint, retries off. `stream: true` gives the raw events (no accumulating helper), like the
 * openai SDK row. One client per stream mode (the mode is in the base URL).
 */
import Anthropic from '@anthropic-ai/sdk';
import { anthropicBaseURL, type BenchClient, MAX_TOKENS, MESSAGES, MODEL } from './types.js';

export function create(origin: string): BenchClient {
  const options = { apiKey: 'bench', maxRetries: 0 };
  const burst = new Anthropic({ ...options, baseURL: anthropicBaseURL(origin) });
  const paced = new Anthropic({ ...options, baseURL: anthropicBaseURL(origin, 'paced') });
  return {
    format: 'anthropic',
    expectedChunks: (n) => n + 5, // every event: message_start, block start, n deltas, block stop, message_delta, message_stop
    async nonStream() {
      const res = await burst.messages.create({ model: MODEL, max_tokens: MAX_TOKENS, messages: MESSAGES });
      const block = res.content[0];
      return block?.type === 'text' ? block.text : '';
    },
    async stream(mode) {
      const client = mode === 'paced' ? paced : burst;
      const stream = await client.messages.create({ model: MODEL, max_tokens: MAX_TOKENS, messages: MESSAGES, stream: true });
      let text = '';
      let chunks = 0;
      for await (const event of stream) {
        chunks++;
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      }
      return { text, chunks };
    },
  };
}
