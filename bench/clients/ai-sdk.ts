/**
 * The Vercel AI SDK (`ai` v6 + `@ai-sdk/openai` v3): `generateText` and `streamText` with
 * `createOpenAI({ baseURL, apiKey }).chat(model)`, so it calls /chat/completions. Retries off.
 * A stream counts its text-delta parts; an error part throws (streamText reports errors in-band),
 * and the finish part must carry the mock's usage.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { baseURL, type BenchClient, MESSAGES, MODEL } from './types.js';

// No "AI SDK Warning" lines on the console.
globalThis.AI_SDK_LOG_WARNINGS = false;

export function create(origin: string): BenchClient {
  const burst = createOpenAI({ apiKey: 'bench', baseURL: baseURL(origin) }).chat(MODEL);
  const paced = createOpenAI({ apiKey: 'bench', baseURL: baseURL(origin, 'paced') }).chat(MODEL);
  return {
    format: 'openai',
    expectedChunks: (n) => n, // text-delta parts
    async nonStream() {
      const res = await generateText({ model: burst, messages: MESSAGES, maxRetries: 0 });
      return res.text;
    },
    async stream(mode) {
      const res = streamText({ model: mode === 'paced' ? paced : burst, messages: MESSAGES, maxRetries: 0, onError: () => {} });
      let text = '';
      let chunks = 0;
      let finished = false;
      for await (const part of res.fullStream) {
        if (part.type === 'text-delta') {
          chunks++;
          text += part.text;
        } else if (part.type === 'error') {
          throw part.error instanceof Error ? part.error : new Error(String(part.error));
        } else if (part.type === 'finish') {
          if (part.finishReason !== 'stop' || !part.totalUsage.outputTokens) throw new Error(`finish part: ${part.finishReason}, usage ${JSON.stringify(part.totalUsage)}`);
          finished = true;
        }
      }
      if (!finished) throw new Error('stream ended without a finish part');
      return { text, chunks };
    },
  };
}
