/**
 * A small OpenAI-compatible server on 127.0.0.1 for the demo and examples: it answers in
 * OpenAI's exact wire format and can be scripted to fail, so everything runs with no API key.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'cut-after'; chunks: number };

export interface MockServer {
  baseURL: string;
  /** Faults served, in order, to the next requests for `model`. */
  failNext(model: string, ...faults: Fault[]): void;
  requests(model?: string): number;
  close(): Promise<void>;
}

const words = (model: string, prompt: string) => `${model} heard: "${prompt}". Here is a short answer from a mock provider.`.split(/(?<= )/);

function usage(prompt: string, answer: string[]) {
  const promptTokens = Math.ceil(prompt.length / 4) + 8;
  return { prompt_tokens: promptTokens, completion_tokens: answer.length, total_tokens: promptTokens + answer.length, prompt_tokens_details: { cached_tokens: 0 } };
}

function chunk(id: string, model: string, delta: object, finish: string | null): string {
  return `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null })}\n\n`;
}

export async function startMockServer(options: { latencyMs?: number } = {}): Promise<MockServer> {
  const latency = options.latencyMs ?? 40;
  const faults = new Map<string, Fault[]>();
  const counts = new Map<string, number>();
  let sequence = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as { model: string; stream?: boolean; messages: Array<{ content: unknown }> };
      counts.set(body.model, (counts.get(body.model) ?? 0) + 1);
      const fault = faults.get(body.model)?.shift();
      const prompt = String(body.messages.at(-1)?.content ?? '');
      const answer = words(body.model, prompt);
      const id = `chatcmpl-mock${++sequence}`;
      setTimeout(() => {
        if (fault?.kind === 'status') return send(res, fault.status, fault.body, fault.headers);
        if (!body.stream) {
          return send(res, 200, {
            id, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: answer.join(''), refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
            usage: usage(prompt, answer),
          });
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(chunk(id, body.model, { role: 'assistant', content: '', refusal: null }, null));
        let index = 0;
        const timer = setInterval(() => {
          if (fault?.kind === 'cut-after' && index === fault.chunks) {
            clearInterval(timer);
            res.socket?.destroy();
            return;
          }
          if (index < answer.length) {
            res.write(chunk(id, body.model, { content: answer[index++] }, null));
            return;
          }
          clearInterval(timer);
          res.write(chunk(id, body.model, {}, 'stop'));
          res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model, choices: [], usage: usage(prompt, answer) })}\n\n`);
          res.end('data: [DONE]\n\n');
        }, 8);
      }, latency);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    failNext(model, ...list) {
      faults.set(model, [...(faults.get(model) ?? []), ...list]);
    },
    requests: (model) => (model === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : counts.get(model) ?? 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
