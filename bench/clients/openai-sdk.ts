/** The official `openai` client (v6, fetch-based), retries off. One client per stream mode (the mode is in the base URL). */
import OpenAI from 'openai';
import { baseURL, type BenchClient, MESSAGES, MODEL } from './types.js';

export function create(origin: string): BenchClient {
  const burst = new OpenAI({ apiKey: 'bench', baseURL: baseURL(origin), maxRetries: 0 });
  const paced = new OpenAI({ apiKey: 'bench', baseURL: baseURL(origin, 'paced'), maxRetries: 0 });
  return {
    format: 'openai',
    expectedChunks: (n) => n + 2, // content chunks, the finish chunk, the usage chunk
    async nonStream() {
      const res = await burst.chat.completions.create({ model: MODEL, messages: MESSAGES });
      return res.choices[0]!.message.content ?? '';
    },
    async stream(mode) {
      const client = mode === 'paced' ? paced : burst;
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      return { text, chunks };
    },
  };
}
