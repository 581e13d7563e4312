/**
 * Server-sent events decoding: bytes in, `StreamEvent`s out, bounded and linear-time.
 *
 * Framing is done by `eventsource-parser`. In front of it, every chunk's raw bytes are scanned once
 * for line breaks (CR and LF are single bytes that never occur inside a multi-byte UTF-8 sequence,
 * so the scan needs no decoding) to track the length of the current line and of the current event.
 * A chunk that would push either past its limit is refused before it is decoded or handed to the
 * parser, so neither buffers more than about the limit, however the body is chunked.
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
  /** Bytes of the lines (and line breaks) received since the last blank line. */
  let eventBytes = 0;
  /** The last byte scanned was a CR: an LF right after it completes the same line break. */
  let afterCR = false;
  let failure: unknown = undefined;
  let ended = false;

  const tooLong = (what: 'line' | 'event', limit: number): InvalidResponseError =>
    new InvalidResponseError(`SSE ${what} exceeds ${limit} bytes`, errorDetails);

  /**
   * Advances the line/event counters over `bytes`, visiting only the line breaks (found with the
   * native `indexOf`, each byte looked at a constant number of times), and throws before any
   * counter passes its limit.
   */
  function scan(bytes: Uint8Array): void {
    const n = bytes.length;
    let line = lineBytes;
    let event = eventBytes;
    let cr = afterCR;
    let pos = 0;
    let nextLF = bytes.indexOf(LF);
    let nextCR = bytes.indexOf(CR);
    for (;;) {
      const brk = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : nextLF < nextCR ? nextLF : nextCR;
      if (brk === -1) {
        const rest = n - pos;
        if (rest > 0) {
          line += rest;
          event += rest;
          cr = false;
        }
        break;
      }
      const content = brk - pos;
      if (content > 0) {
        line += content;
        event += content;
        cr = false;
      }
      if (line > maxLineBytes) throw tooLong('line', maxLineBytes);
      if (event > maxEventBytes) throw tooLong('event', maxEventBytes);
      if (bytes[brk] === LF) {
        nextLF = brk + 1 < n ? bytes.indexOf(LF, brk + 1) : -1;
        if (cr) {
          // The LF of a CRLF: the CR already ended the line.
          cr = false;
          pos = brk + 1;
          continue;
        }
      } else {
        nextCR = brk + 1 < n ? bytes.indexOf(CR, brk + 1) : -1;
        cr = true;
      }
      if (line === 0) {
        event = 0; // A blank line ends the event.
      } else {
        event += 1;
        line = 0;
      }
      pos = brk + 1;
    }
    if (line > maxLineBytes) throw tooLong('line', maxLineBytes);
    if (event > maxEventBytes) throw tooLong('event', maxEventBytes);
    lineBytes = line;
    eventBytes = event;
    afterCR = cr;
  }

  return {
    feed(bytes: Uint8Array): void {
      if (failure !== undefined) throw failure;
      if (ended) throw new InvalidResponseError('SSE data after the end of the stream', errorDetails);
      if (bytes.length === 0) return;
      try {
        scan(bytes);
        const text = decoder.decode(bytes, { stream: true });
        if (text.length > 0) parser.feed(text);
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
        if (lineBytes === 0 && eventBytes > 0) {
          // All lines complete, no closing blank line: terminate it. Two LFs, because a trailing CR
          // may still sit in the parser waiting to see whether an LF follows.
          parser.feed('\n\n');
        }
        // A half-received line (lineBytes > 0) is discarded with the event it belongs to.
        parser.reset();
      } catch (error) {
        failure = error;
        throw error;
      }
    },
  };
}
