/**
 * Server-sent events decoding: bytes in, `StreamEvent`s out, bounded and linear-time.
 *
 * Framing is done by `eventsource-parser`. In front of it, each piece's raw bytes are scanned for
 * line breaks (CR and LF are single bytes that never occur inside a multi-byte UTF-8 sequence, so
 * no decoding is needed) to track the length of the current line and of the current event. A piece
 * that would push either past its limit is refused before it is decoded or handed to the parser,
 * so neither holds more than about the limit, however the body is cut into pieces.
 *
 * Sizes, in bytes: a line is its content without the line break; an event is every byte after the
 * last blank line (the break ending an empty line), comments and line breaks included.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { ErrorDetails } from '../errors/base.js';
import { InvalidResponseError } from '../errors/classes.js';
import type { StreamEvent } from '../providers/adapter.js';
import type { BufferLimits } from './limits.js';

export interface SseDecoderOptions {
  limits: Pick<BufferLimits, 'maxLineBytes' | 'maxEventBytes'>;
  /** Provider and model stamped on the errors the decoder throws. */
  errorDetails: ErrorDetails;
  /** Called for every dispatched event (comments are not delivered). Errors it throws propagate out of `feed`/`end`. */
  onEvent(event: StreamEvent): void;
}

export interface SseDecoder {
  /** Decodes the next piece of the body. Throws `InvalidResponseError` when a limit is exceeded. */
  feed(bytes: Uint8Array): void;
  /**
   * The body ended: dispatches a last event whose lines were all complete but that lacked the
   * closing blank line. An event cut inside a line is dropped, never dispatched half-received.
   */
  end(): void;
}

const LF = 10;
const CR = 13;

export function createSseDecoder(options: SseDecoderOptions): SseDecoder {
  const { maxLineBytes, maxEventBytes } = options.limits;
  const errorDetails = options.errorDetails;
  const decoder = new TextDecoder('utf-8', { fatal: false });
  // eventsource-parser's message objects ({ id, event, data }) are handed on as they are: no copy per event.
  const parser: EventSourceParser = createParser({ onEvent: options.onEvent });

  /** Bytes of the current, unterminated line. */
  let lineBytes = 0;
  /** Bytes since the last blank line. */
  let eventBytes = 0;
  /** The last byte seen; the start of the stream counts as just after a line break. */
  let lastByte = LF;
  /** The parser was given a synthetic LF after a CR that ended the previous piece. */
  let skipLF = false;
  let failure: unknown = undefined;
  let ended = false;

  const tooLong = (what: 'line' | 'event', limit: number): InvalidResponseError =>
    new InvalidResponseError(`SSE ${what} exceeds ${limit} bytes`, errorDetails);

  /**
   * Counts with limit checks: walks forward over the line breaks only (found with the native
   * `indexOf`), and throws at the first line or event past its limit.
   */
  function scanChecked(bytes: Uint8Array): void {
    const n = bytes.length;
    let line = lineBytes;
    let event = eventBytes;
    let previous = lastByte;
    let pos = 0;
    let nextLF = bytes.indexOf(LF);
    let nextCR = bytes.indexOf(CR);
    for (;;) {
      const brk = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : nextLF < nextCR ? nextLF : nextCR;
      const content = (brk === -1 ? n : brk) - pos;
      if (content > 0) {
        line += content;
        event += content;
        previous = 0;
        if (line > maxLineBytes) throw tooLong('line', maxLineBytes);
        if (event > maxEventBytes) throw tooLong('event', maxEventBytes);
      }
      if (brk === -1) break;
      const b = bytes[brk]!;
      if (b === LF) nextLF = bytes.indexOf(LF, brk + 1);
      else nextCR = bytes.indexOf(CR, brk + 1);
      if (previous === CR && b === LF) {
        event += 1; // The LF of a CRLF: the CR already ended the line.
      } else if (previous === LF || previous === CR) {
        event = 0; // A break right after a break ends an empty line: the event is over.
      } else {
        line = 0;
        event += 1;
      }
      if (event > maxEventBytes) throw tooLong('event', maxEventBytes);
      previous = b;
      pos = brk + 1;
    }
    lineBytes = line;
    eventBytes = event;
    lastByte = bytes[n - 1]!;
  }

  /**
   * Counts a piece that cannot pass a limit (it is shorter than what is left of both): only the
   * end state matters, found by looking back from the end to the last line break and the last
   * blank line, which in a stream of small events are a few bytes away.
   */
  function scanTail(bytes: Uint8Array): void {
    const n = bytes.length;
    const before = lastByte;
    let i = n - 1;
    let b = bytes[i]!;
    while (b !== LF && b !== CR) {
      if (--i < 0) {
        lineBytes += n;
        eventBytes += n;
        lastByte = bytes[n - 1]!;
        return;
      }
      b = bytes[i]!;
    }
    lineBytes = n - 1 - i;
    lastByte = bytes[n - 1]!;
    // i is the last break; find the last break that ends an empty line.
    for (; i >= 0; i--) {
      b = bytes[i]!;
      if (b !== LF && b !== CR) continue;
      const previous = i > 0 ? bytes[i - 1]! : before;
      if ((previous === LF || previous === CR) && !(previous === CR && b === LF)) {
        eventBytes = n - 1 - i;
        return;
      }
    }
    eventBytes += n;
  }

  return {
    feed(bytes: Uint8Array): void {
      if (failure !== undefined) throw failure;
      if (ended) throw new InvalidResponseError('SSE data after the end of the stream', errorDetails);
      const n = bytes.length;
      if (n === 0) return;
      try {
        if (lineBytes + n <= maxLineBytes && eventBytes + n <= maxEventBytes) scanTail(bytes);
        else scanChecked(bytes);
        let text = decoder.decode(bytes, { stream: true });
        // A CR ending a piece already ends its line, but the parser would hold it back until it sees
        // whether an LF follows, delaying the event to the next piece. Complete it as CRLF now, and
        // drop the real LF if the next piece starts with one. The decoded text can also end with a
        // CR followed by the first bytes of a character the decoder holds back: that CR is complete
        // too (an LF after it would come after that character), so the next piece's LF stays.
        if (skipLF) {
          skipLF = false;
          if (bytes[0] === LF) text = text.slice(1);
        }
        if (text.length > 0) {
          if (text.charCodeAt(text.length - 1) === CR) {
            text += '\n';
            skipLF = bytes[n - 1] === CR;
          }
          parser.feed(text);
        }
      } catch (error) {
        failure = error;
        throw error;
      }
    },
    end(): void {
      if (failure !== undefined) throw failure;
      if (ended) return;
      ended = true;
      try {
        // Flushes the decoder: leftover bytes of a cut character belong to the unterminated line.
        decoder.decode();
        // All lines complete: a closing blank line dispatches an event that lacked one (and does
        // nothing after a dispatched event). A half-received line is dropped with its event.
        if (lineBytes === 0) parser.feed('\n');
        parser.reset();
      } catch (error) {
        failure = error;
        throw error;
      }
    },
  };
}
