/**
 * AWS event-stream decoding (`application/vnd.amazon.eventstream`, Bedrock ConverseStream):
 * bytes in, `StreamEvent`s out, bounded and linear-time.
 *
 * A message is: prelude (total length u32 BE, headers length u32 BE, CRC32 of those 8 bytes),
 * headers, payload, then the CRC32 of everything before it. A header is: name length (u8), name,
 * value type (u8), value: 0/1 boolean true/false (no bytes), 2 byte (1), 3 short (2), 4 integer
 * (4), 5 long (8), 6 bytes (u16 length + bytes), 7 string (u16 length + UTF-8), 8 timestamp (8),
 * 9 UUID (16). Only string values are kept; the others are skipped.
 *
 * The body's pieces are kept as a list with a cursor (never concatenated piece by piece; pieces
 * under 1 KiB are copied together, so that tiny pieces cost their bytes, not an object each): the
 * prelude is read as soon as its 12 bytes are there, and a message longer than `maxEventBytes`
 * is refused from its declared length, before it is buffered. A complete message is copied out
 * once (or sliced without copying when it lies in one piece).
 *
 * Delivered events: `:message-type` `event` → `{ event: :event-type, data: payload }`;
 * `exception` → `{ event: 'exception:' + :exception-type, data: payload }`; `error` →
 * `{ event: 'error:' + :error-code, data: :error-message }`. Any other message type, a CRC
 * mismatch, a malformed header or a body ending inside a message is an `InvalidResponseError`.
 */
import type { ErrorDetails } from '../errors/base.js';
import { InvalidResponseError } from '../errors/classes.js';
import type { StreamEvent } from '../providers/adapter.js';
import type { BufferLimits } from './limits.js';

export interface AwsEventStreamDecoderOptions {
  limits: Pick<BufferLimits, 'maxEventBytes'>;
  /** Provider and model stamped on the errors the decoder throws. */
  errorDetails: ErrorDetails;
  /** Called for every decoded message. Errors it throws propagate out of `feed`/`end`. */
  onEvent(event: StreamEvent): void;
}

export interface AwsEventStreamDecoder {
  /** Decodes the next piece of the body. Throws `InvalidResponseError` for a bad or oversized message. */
  feed(bytes: Uint8Array): void;
  /** The body ended: throws `InvalidResponseError` when a message was cut short. */
  end(): void;
}

/** One decoded message: its string headers and its payload bytes. */
export interface EventStreamMessage {
  headers: Map<string, string>;
  payload: Uint8Array;
}

const PRELUDE_BYTES = 12;
/** Prelude plus the trailing message CRC: the size of a message with no headers and no payload. */
const MIN_MESSAGE_BYTES = 16;

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as gzip/zlib) of `bytes[start, end)`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

/** Fixed value sizes by header type; `-1`: a u16 length prefix follows (bytes, string). */
const VALUE_BYTES: readonly number[] = [0, 0, 1, 2, 4, 8, -1, -1, 8, 16];
const STRING_TYPE = 7;

const utf8 = new TextDecoder('utf-8');

/**
 * Checks a prelude (its first 12 bytes): the prelude CRC, then the lengths and the size limit.
 * Returns the message's total length.
 */
export function checkPrelude(prelude: Uint8Array, maxBytes: number, errorDetails: ErrorDetails): number {
  const total = readU32(prelude, 0);
  const headersLength = readU32(prelude, 4);
  if (crc32(prelude, 0, 8) !== readU32(prelude, 8)) throw new InvalidResponseError('Event-stream prelude CRC mismatch', errorDetails);
  if (total < MIN_MESSAGE_BYTES || headersLength > total - MIN_MESSAGE_BYTES) {
    throw new InvalidResponseError(`Event-stream message has impossible lengths (total ${total}, headers ${headersLength})`, errorDetails);
  }
  if (total > maxBytes) throw new InvalidResponseError(`Event-stream message of ${total} bytes exceeds ${maxBytes} bytes`, errorDetails);
  return total;
}

function parseHeaders(bytes: Uint8Array, start: number, end: number, errorDetails: ErrorDetails): Map<string, string> {
  const headers = new Map<string, string>();
  const malformed = (): InvalidResponseError => new InvalidResponseError('Event-stream message has a malformed header', errorDetails);
  let at = start;
  while (at < end) {
    const nameLength = bytes[at]!;
    at += 1;
    if (nameLength === 0 || at + nameLength + 1 > end) throw malformed();
    const name = utf8.decode(bytes.subarray(at, at + nameLength));
    at += nameLength;
    const type = bytes[at]!;
    at += 1;
    let size = VALUE_BYTES[type];
    if (size === undefined) throw malformed();
    if (size === -1) {
      if (at + 2 > end) throw malformed();
      size = readU16(bytes, at);
      at += 2;
    }
    if (at + size > end) throw malformed();
    if (type === STRING_TYPE) headers.set(name, utf8.decode(bytes.subarray(at, at + size)));
    at += size;
  }
  return headers;
}

/** Decodes one complete message (exactly its bytes), checking both CRCs. */
export function decodeMessage(message: Uint8Array, errorDetails: ErrorDetails, maxBytes = Number.MAX_SAFE_INTEGER): EventStreamMessage {
  if (message.length < PRELUDE_BYTES) throw new InvalidResponseError('Event-stream message is truncated', errorDetails);
  const total = checkPrelude(message, maxBytes, errorDetails);
  if (message.length !== total) throw new InvalidResponseError(`Event-stream message is ${message.length} bytes, its prelude says ${total}`, errorDetails);
  if (crc32(message, 0, total - 4) !== readU32(message, total - 4)) {
    throw new InvalidResponseError('Event-stream message CRC mismatch', errorDetails);
  }
  const headersEnd = PRELUDE_BYTES + readU32(message, 4);
  return {
    headers: parseHeaders(message, PRELUDE_BYTES, headersEnd, errorDetails),
    payload: message.subarray(headersEnd, total - 4),
  };
}

/** The event a message stands for (see the module comment). */
export function toStreamEvent(message: EventStreamMessage, errorDetails: ErrorDetails): StreamEvent {
  const { headers } = message;
  const type = headers.get(':message-type');
  switch (type) {
    case 'event':
      return { event: headers.get(':event-type') ?? '', data: utf8.decode(message.payload) };
    case 'exception':
      return { event: `exception:${headers.get(':exception-type') ?? ''}`, data: utf8.decode(message.payload) };
    case 'error':
      return { event: `error:${headers.get(':error-code') ?? ''}`, data: headers.get(':error-message') ?? '' };
    default:
      throw new InvalidResponseError(
        type === undefined ? 'Event-stream message has no :message-type' : `Event-stream message type "${type}" is not known`,
        errorDetails,
      );
  }
}

const EMPTY = new Uint8Array(0);

/** Pieces shorter than this are copied into a shared buffer rather than queued one object each. */
const SMALL_PIECE_BYTES = 1024;
const STAGING_BYTES = 64 * 1024;

/**
 * The body's pieces as a queue with a cursor: appending and taking are linear in the bytes.
 * Small pieces are copied together (the queue's last piece then grows in place), so that a body
 * trickling in byte by byte holds about its bytes, not an object and a buffer per byte.
 */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  private offset = 0;
  /** Where small pieces are copied: bytes before `stagingEnd` are never written again. */
  private staging = EMPTY;
  private stagingEnd = 0;
  /** The queue's last piece when it is a view of `staging` ending at `stagingEnd`. */
  private staged: Uint8Array | undefined = undefined;
  length = 0;

  push(bytes: Uint8Array): void {
    this.length += bytes.length;
    if (bytes.length >= SMALL_PIECE_BYTES) {
      this.chunks.push(bytes);
      return;
    }
    const last = this.chunks.length - 1;
    const grow = this.staged !== undefined && this.chunks[last] === this.staged && this.stagingEnd + bytes.length <= this.staging.length;
    if (!grow && this.stagingEnd + bytes.length > this.staging.length) {
      this.staging = new Uint8Array(STAGING_BYTES);
      this.stagingEnd = 0;
    }
    const start = grow ? this.stagingEnd - this.staged!.length : this.stagingEnd;
    this.staging.set(bytes, this.stagingEnd);
    this.stagingEnd += bytes.length;
    // A view with the same start: a cursor into the old view stays valid.
    this.staged = this.staging.subarray(start, this.stagingEnd);
    if (grow) this.chunks[last] = this.staged;
    else this.chunks.push(this.staged);
  }

  /** Copies the first `target.length` bytes into `target`, without consuming them. */
  peek(target: Uint8Array): void {
    let filled = 0;
    let index = this.head;
    let offset = this.offset;
    while (filled < target.length) {
      const chunk = this.chunks[index]!;
      const n = Math.min(chunk.length - offset, target.length - filled);
      target.set(chunk.subarray(offset, offset + n), filled);
      filled += n;
      index += 1;
      offset = 0;
    }
  }

  /** Removes and returns the first `n` bytes: a view when they lie in one piece, else one copy. */
  take(n: number): Uint8Array {
    const first = this.chunks[this.head]!;
    let out: Uint8Array;
    if (first.length - this.offset >= n) {
      out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.chunks[this.head]!;
        const count = Math.min(chunk.length - this.offset, n - filled);
        out.set(chunk.subarray(this.offset, this.offset + count), filled);
        filled += count;
        this.offset += count;
        if (this.offset === chunk.length) this.advance();
      }
    }
    if (this.head < this.chunks.length && this.offset === this.chunks[this.head]!.length) this.advance();
    this.length -= n;
    return out;
  }

  private advance(): void {
    this.chunks[this.head] = EMPTY;
    this.head += 1;
    this.offset = 0;
    // Drop consumed pieces once they are the larger part of the list: amortized linear.
    if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}

export function createAwsEventStreamDecoder(options: AwsEventStreamDecoderOptions): AwsEventStreamDecoder {
  const { maxEventBytes } = options.limits;
  const errorDetails = options.errorDetails;
  const queue = new ByteQueue();
  const prelude = new Uint8Array(PRELUDE_BYTES);
  /** Total length of the message being received, once its prelude was read; 0 before. */
  let expected = 0;
  let failure: unknown = undefined;
  let ended = false;

  function drain(): void {
    for (;;) {
      if (expected === 0) {
        if (queue.length < PRELUDE_BYTES) return;
        queue.peek(prelude);
        expected = checkPrelude(prelude, maxEventBytes, errorDetails);
      }
      if (queue.length < expected) return;
      const bytes = queue.take(expected);
      expected = 0;
      options.onEvent(toStreamEvent(decodeMessage(bytes, errorDetails, maxEventBytes), errorDetails));
    }
  }

  return {
    feed(bytes: Uint8Array): void {
      if (failure !== undefined) throw failure;
      if (ended) throw new InvalidResponseError('Event-stream data after the end of the stream', errorDetails);
      if (bytes.length === 0) return;
      try {
        queue.push(bytes);
        drain();
      } catch (error) {
        failure = error;
        throw error;
      }
    },
    end(): void {
      if (failure !== undefined) throw failure;
      if (ended) return;
      ended = true;
      if (queue.length > 0) {
        failure = new InvalidResponseError(`Event-stream body ended inside a message (${queue.length} bytes left over)`, errorDetails);
        throw failure;
      }
    },
  };
}
