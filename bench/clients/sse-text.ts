/** The hand-written SSE parsing both raw clients share: what a developer writes for OpenAI's stream. */
export interface SseTally {
  buf: string;
  text: string;
  chunks: number;
  done: boolean;
}

export function newTally(): SseTally {
  return { buf: '', text: '', chunks: 0, done: false };
}

/** Appends `piece` and consumes every complete `data:` event in the buffer. */
export function feedSse(tally: SseTally, piece: string): void {
  tally.buf += piece;
  let end: number;
  while ((end = tally.buf.indexOf('\n\n')) !== -1) {
    const event = tally.buf.slice(0, end);
    tally.buf = tally.buf.slice(end + 2);
    if (!event.startsWith('data: ')) continue;
    const data = event.slice(6);
    if (data === '[DONE]') {
      tally.done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { choices: { delta?: { content?: string } }[] };
    tally.chunks++;
    tally.text += chunk.choices[0]?.delta?.content ?? '';
  }
}
