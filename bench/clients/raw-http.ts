/** Hand-written `node:http` client with a keep-alive Agent; same hand-written SSE parsing as raw fetch. */
import { Agent, type IncomingMessage, request } from 'node:http';
import { feedSse, newTally } from './sse-text.js';
import { baseURL, type BenchClient, MESSAGES, MODEL, type StreamMode } from './types.js';

export function create(origin: string): BenchClient {
  const agent = new Agent({ keepAlive: true });

  const post = (mode: StreamMode | undefined, body: object): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(`${baseURL(origin, mode)}/chat/completions`, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: 'Bearer bench' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode === 200) return resolve(res);
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
      req.end(payload);
    });

  /** Reads the body as utf8 text, calling `onText` per read; resolves at the end. */
  const read = (res: IncomingMessage, onText: (s: string) => void): Promise<void> =>
    new Promise((resolve, reject) => {
      res.setEncoding('utf8');
      res.on('data', onText);
      res.on('end', resolve);
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });

  return {
    format: 'openai',
    expectedChunks: (n) => n + 2, // content chunks, the finish chunk, the usage chunk
    async nonStream() {
      const res = await post(undefined, { model: MODEL, messages: MESSAGES });
      let body = '';
      await read(res, (s) => (body += s));
      const json = JSON.parse(body) as { choices: { message: { content: string } }[] };
      return json.choices[0]!.message.content;
    },
    async stream(mode) {
      const res = await post(mode, { model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
      const tally = newTally();
      let reads = 0;
      await read(res, (s) => {
        reads++;
        feedSse(tally, s);
      });
      if (!tally.done) throw new Error('stream ended without [DONE]');
      return { text: tally.text, chunks: tally.chunks, reads };
    },
    close: () => agent.destroy(),
  };
}
