/**
 * Server-sent events exactly as OpenAI frames a chat completion stream: one `data: <json>\n\n`
 * per chunk, `data: [DONE]\n\n` at the end. A failure after the first chunk is written as an
 * in-band error event, `data: {"error":{…}}\n\n`, and the stream closes without `[DONE]`: the
 * official client throws an `APIError` from its iterator on it, so a broken stream is never
 * mistaken for a short answer.
 */
import { toOpenAIError } from './errors.js';

const encoder = new TextEncoder();

/** `data: <json>\n\n` as bytes. */
export function sseData(value: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(value)}\n\n`);
}

/** `data: [DONE]\n\n` as bytes. */
export const SSE_DONE: Uint8Array = encoder.encode('data: [DONE]\n\n');

/** The in-band error event for a failure after the stream started. */
export function sseError(error: unknown): Uint8Array {
  return sseData(toOpenAIError(error).body);
}

/** A chat stream as the gateway returns it: an async iterable, with `abort()` when it has one. */
export type ChunkSource = AsyncIterable<unknown> & { abort?: () => void };

/**
 * The SSE body for a stream: reads a chunk only when the consumer asks for one (backpressure),
 * writes `[DONE]` after the last, an error event on a failure. `cancel()` of the body, or
 * `signal` aborting, stops the source (and with it the provider's connection); after an abort the
 * body errors with the signal's reason instead of writing anything more.
 */
export function chunksToSse(source: ChunkSource, signal?: AbortSignal): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  let onAbort: (() => void) | undefined;

  const stop = (): void => {
    if (signal !== undefined && onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    onAbort = undefined;
  };
  const release = (): void => {
    // Frees the provider's connection: ChatStream.abort(), else the iterator's return().
    try {
      if (typeof source.abort === 'function') source.abort();
      else void iterator.return?.()?.catch(() => {});
    } catch {
      // Best effort: the consumer is gone either way.
    }
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (signal === undefined) return;
        onAbort = () => {
          if (finished) return;
          finished = true;
          stop();
          release();
          try {
            controller.error(signal.reason ?? new DOMException('The operation was aborted.', 'AbortError'));
          } catch {
            // Already closed.
          }
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      },
      async pull(controller) {
        if (finished) return;
        let result: IteratorResult<unknown>;
        try {
          result = await iterator.next();
        } catch (error) {
          if (finished) return; // aborted or cancelled meanwhile: nothing more to write
          finished = true;
          stop();
          controller.enqueue(sseError(error));
          controller.close();
          return;
        }
        if (finished) return;
        if (result.done) {
          finished = true;
          stop();
          controller.enqueue(SSE_DONE);
          controller.close();
          return;
        }
        controller.enqueue(sseData(result.value));
      },
      cancel() {
        if (finished) return;
        finished = true;
        stop();
        release();
      },
    },
    { highWaterMark: 0 },
  );
}
