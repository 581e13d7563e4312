import { completion, type Loopback, sendJson, sseChunk, sseUsage, startLoopback, startSse } from '../helpers/loopback.js';

/** What the mock's streaming answer is made of. */
export const STREAM_PARTS = ['Hel', 'lo ', 'from ', 'the ', 'stream'] as const;
export const PLAIN_CONTENT = 'plain answer';

export interface MockProvider {
  server: Loopback;
  /** `http://127.0.0.1:<port>`: deployments live under `/up/v1` and `/down/v1`. */
  origin: string;
}

/**
 * An OpenAI-wire mock on 127.0.0.1: `/down/v1/...` always answers 503 (an OpenAI-shaped error);
 * `/up/v1/chat/completions` answers a completion, or an SSE stream when `stream: true`.
 */
export async function startMockProvider(): Promise<MockProvider> {
  const server = await startLoopback();
  server.handle((req, res, body) => {
    const url = req.url ?? '';
    if (url.startsWith('/down/')) {
      sendJson(res, 503, { error: { message: 'overloaded', type: 'server_error', param: null, code: null } });
      return;
    }
    if (req.method !== 'POST' || url !== '/up/v1/chat/completions') {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${url}`, type: 'invalid_request_error', param: null, code: null } });
      return;
    }
    const request = JSON.parse(body) as { stream?: boolean };
    if (request.stream !== true) {
      sendJson(res, 200, completion(PLAIN_CONTENT));
      return;
    }
    startSse(res);
    res.write(sseChunk({ role: 'assistant', content: '' }));
    for (const part of STREAM_PARTS) res.write(sseChunk({ content: part }));
    res.write(sseChunk({}, 'stop'));
    res.write(sseUsage(5, STREAM_PARTS.length));
    res.end('data: [DONE]\n\n');
  });
  return { server, origin: new URL(server.baseURL).origin };
}
