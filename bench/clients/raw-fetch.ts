/** Hand-written global `fetch` client: what a competent developer writes without an SDK. */
import { feedSse, newTally } from './sse-text.js';
import { baseURL, type BenchClient, MESSAGES, MODEL, type StreamMode } from './types.js';

export function create(origin: string): BenchClient {
  const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };
  const post = async (mode: StreamMode | undefined, body: object): Promise<Response> => {
    const res = await fetch(`${baseURL(origin, mode)}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    return res;
  };
  return {
    format: 'openai',
    expectedChunks: (n) => n + 2, // content chunks, the finish chunk, the usage chunk
    async nonStream() {
      const res = await post(undefined, { model: MODEL, messages: MESSAGES });
      const json = (await res.json()) as { choices: { message: { content: string } }[] };
      return json.choices[0]!.message.content;
    },
    async stream(mode) {
      const res = await post(mode, { model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
      const decoder = new TextDecoder();
      const tally = newTally();
      for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) feedSse(tally, decoder.decode(part, { stream: true }));
      if (!tally.done) throw new Error('stream ended without [DONE]');
      return { text: tally.text, chunks: tally.chunks };
    },
  };
}
