import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerResponse } from 'node:http';
import { inspect } from 'node:util';

/** A 127.0.0.1 port that was listening a moment ago and is closed now (connect → ECONNREFUSED). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `http://127.0.0.1:<port>` from a loopback `baseURL` (`…/v1`), for Anthropic's base URL. */
export function originOf(baseURL: string): string {
  return new URL(baseURL).origin;
}

/** One named SSE event as Anthropic frames it. */
export function anthropicEvent(type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export const anthropicStart = (): string =>
  anthropicEvent('message_start', {
    message: {
      id: 'msg_loop',
      type: 'message',
      role: 'assistant',
      model: 'claude-loop',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    },
  });

export const anthropicText = (text: string): string =>
  anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });

/** A complete Anthropic text stream. */
export function anthropicStream(parts: string[]): string {
  return [
    anthropicStart(),
    anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ...parts.map(anthropicText),
    anthropicEvent('content_block_stop', { index: 0 }),
    anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }),
    anthropicEvent('message_stop', {}),
  ].join('');
}

/**
 * Writes `: keep-alive` every `everyMs`, at most `max` times; the interval is cleared when the
 * response closes. Resolves nothing: the caller observes the response's 'close'.
 */
export function keepAliveForever(res: ServerResponse, everyMs = 20, max = 250): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed || sent++ >= max) {
      clearInterval(timer);
      return;
    }
    res.write(': keep-alive\n\n');
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** Every textual form of an error a caller might log. */
export function renderings(error: unknown): string[] {
  const forms = [inspect(error, { depth: 10 }), safeJson(error)];
  if (error instanceof Error) forms.push(error.message, error.stack ?? '');
  return forms;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch (e) {
    return `unserialisable: ${String(e)}`;
  }
}
