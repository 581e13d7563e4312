/**
 * Fuzzing the AWS event-stream decoder: generated messages (every header type, odd names, odd
 * message types), duplicated and reordered, then corrupted — bit flips, corrupted headers and
 * lengths with their CRCs fixed up (so the header parser itself is reached), truncation, junk —
 * and cut into random pieces. The property: the events and the error are the same for any split,
 * the only error is `InvalidResponseError`, and memory stays bounded by the frame limit.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidResponseError } from '../../src/errors/index.js';
import { createAwsEventStreamDecoder } from '../../src/http/aws-event-stream.js';
import type { StreamEvent } from '../../src/providers/adapter.js';
import { encodeMessage, type HeaderValue } from '../providers/bedrock/helpers.js';
import { checkNoPollution, concatBytes, gcFunction, heapUsedAfterGc, PROTO_KEYS, splitAt } from './helpers.js';

const RUNS_CORRUPTED = 2_000;
const RUNS_RANDOM_BYTES = 1_000;
const RUNS_OVERSIZED = 500;

const details = { provider: 'bedrock', model: 'm' };

interface Decoded {
  events: StreamEvent[];
  error: string | undefined;
}

function decode(pieces: readonly Uint8Array[], maxEventBytes = 4 * 1024 * 1024): Decoded {
  const events: StreamEvent[] = [];
  const decoder = createAwsEventStreamDecoder({ limits: { maxEventBytes }, errorDetails: details, onEvent: (e) => events.push(e) });
  try {
    for (const piece of pieces) decoder.feed(piece);
    decoder.end();
  } catch (error) {
    if (!(error instanceof InvalidResponseError)) throw error;
    expect(() => decoder.feed(new Uint8Array(1))).toThrow(error);
    expect(() => decoder.end()).toThrow(error);
    return { events, error: error.message };
  }
  return { events, error: undefined };
}

// ---------------------------------------------------------------------------------------------
// Generated messages

const headerName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(':message-type', ':event-type', ':exception-type', ':error-code', ':error-message', ':content-type') },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => new TextEncoder().encode(s).length <= 255) },
);
const headerValue: fc.Arbitrary<HeaderValue> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.constantFrom('event', 'exception', 'error', 'messageStart', 'contentBlockDelta', 'throttlingException', '__proto__', ''), fc.string({ maxLength: 12 })).map((value) => ({ type: 'string' as const, value })) },
  { weight: 1, arbitrary: fc.constantFrom({ type: 'true' as const }, { type: 'false' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((value) => ({ type: 'byte' as const, value })) },
  { weight: 1, arbitrary: fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: 'short' as const, value })) },
  { weight: 1, arbitrary: fc.integer().map((value) => ({ type: 'int' as const, value })) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'long' as const, value })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((value) => ({ type: 'bytes' as const, value })) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 62n }).map((value) => ({ type: 'timestamp' as const, value })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((value) => ({ type: 'uuid' as const, value })) },
);
const payload = fc.oneof(
  fc.constantFrom('', '{}', '{"contentBlockIndex":0,"delta":{"text":"Bonjour"}}', '{"message":"Too many tokens"}'),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
);
/** A well-formed message: mostly Bedrock-like (message type first), sometimes anything. */
const message = fc
  .tuple(fc.constantFrom('event', 'exception', 'error', 'other'), fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }), payload)
  .map(([type, extra, body]) => encodeMessage([[':message-type', { type: 'string', value: type }], ...extra], body));

// ---------------------------------------------------------------------------------------------
// Corruption, with the CRCs optionally fixed up afterwards

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at);
}
function setU32(bytes: Uint8Array, at: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(at, value >>> 0);
}
/** Recomputes both CRCs of the message starting at `at` (as its prelude now says), if it fits. */
function fixCrcs(stream: Uint8Array, at: number): void {
  if (at + 12 > stream.length) return;
  setU32(stream, at + 8, zlibCrc32(stream.subarray(at, at + 8)));
  const total = u32(stream, at);
  if (total >= 16 && at + total <= stream.length) setU32(stream, at + total - 4, zlibCrc32(stream.subarray(at, at + total - 4)));
}

type Corruption =
  | { kind: 'flip'; at: number; bit: number; fix: boolean }
  | { kind: 'byte'; at: number; value: number; fix: boolean }
  | { kind: 'headersLength'; message: number; value: number }
  | { kind: 'totalLength'; message: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'junk'; at: number; bytes: Uint8Array };

const lengthValue = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(0xffffffff, 0x7fffffff, 4 * 1024 * 1024 + 1, 15, 16, 17));
const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), fix: fc.boolean() }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), fix: fc.boolean() }),
  fc.record({ kind: fc.constant('headersLength' as const), message: fc.nat(), value: lengthValue }),
  fc.record({ kind: fc.constant('totalLength' as const), message: fc.nat(), value: lengthValue }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('junk' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

/** The byte offset of each message in the stream. */
function offsets(messages: readonly Uint8Array[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const m of messages) {
    out.push(at);
    at += m.length;
  }
  return out;
}

function corrupt(messages: readonly Uint8Array[], corruptions: readonly Corruption[]): Uint8Array {
  let stream = concatBytes(messages);
  const starts = offsets(messages);
  const messageAt = (byte: number): number => {
    let start = 0;
    for (const s of starts) if (s <= byte) start = s;
    return start;
  };
  for (const c of corruptions) {
    if (stream.length === 0) break;
    switch (c.kind) {
      case 'flip':
      case 'byte': {
        const at = c.at % stream.length;
        stream[at] = c.kind === 'flip' ? stream[at]! ^ (1 << c.bit) : c.value;
        if (c.fix) fixCrcs(stream, messageAt(at));
        break;
      }
      case 'headersLength':
      case 'totalLength': {
        if (starts.length === 0) break;
        const start = starts[c.message % starts.length]!;
        if (start + 12 > stream.length) break;
        setU32(stream, start + (c.kind === 'totalLength' ? 0 : 4), c.value);
        fixCrcs(stream, start);
        break;
      }
      case 'truncate':
        stream = stream.slice(0, c.at % (stream.length + 1));
        break;
      case 'junk': {
        const at = c.at % (stream.length + 1);
        stream = concatBytes([stream.subarray(0, at), c.bytes, stream.subarray(at)]);
        break;
      }
    }
  }
  return stream;
}

/** The model: what a well-formed message stands for. */
function modelEvent(bytes: Uint8Array): StreamEvent | 'invalid' {
  const headers = new Map<string, string>();
  const text = new TextDecoder();
  const headersEnd = 12 + u32(bytes, 4);
  for (let at = 12; at < headersEnd; ) {
    const nameLength = bytes[at]!;
    const name = text.decode(bytes.subarray(at + 1, at + 1 + nameLength));
    at += 1 + nameLength;
    const type = bytes[at]!;
    at += 1;
    const sizes = [0, 0, 1, 2, 4, 8, -1, -1, 8, 16];
    let size = sizes[type]!;
    if (size === -1) {
      size = (bytes[at]! << 8) | bytes[at + 1]!;
      at += 2;
    }
    if (type === 7) headers.set(name, text.decode(bytes.subarray(at, at + size)));
    at += size;
  }
  const data = text.decode(bytes.subarray(headersEnd, bytes.length - 4));
  switch (headers.get(':message-type')) {
    case 'event':
      return { event: headers.get(':event-type') ?? '', data };
    case 'exception':
      return { event: `exception:${headers.get(':exception-type') ?? ''}`, data };
    case 'error':
      return { event: `error:${headers.get(':error-code') ?? ''}`, data: headers.get(':error-message') ?? '' };
    default:
      return 'invalid';
  }
}

const cuts = fc.array(fc.nat(), { maxLength: 24 });

describe('AWS event-stream decoder fuzz', () => {
  it('well-formed messages decode to the model, whatever the split', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), cuts, (messages, points) => {
        const expected: StreamEvent[] = [];
        let invalid = false;
        for (const m of messages) {
          const event = modelEvent(m);
          if (event === 'invalid') {
            invalid = true;
            break;
          }
          expected.push(event);
        }
        const bytes = concatBytes(messages);
        const whole = decode([bytes]);
        expect(whole.events).toEqual(expected);
        expect(whole.error !== undefined).toBe(invalid);
        expect(decode(splitAt(bytes, points))).toEqual(whole);
        checkNoPollution();
      }),
      { numRuns: RUNS_CORRUPTED / 2 },
    );
  });

  it('corrupted streams (CRC-fixed header and length corruption, flips, truncation, junk, duplicates): same result for any split', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        fc.array(corruption, { minLength: 1, maxLength: 3 }),
        cuts,
        fc.boolean(),
        fc.integer({ min: 16, max: 400 }),
        (messages, duplicates, corruptions, points, byteByByte, maxEventBytes) => {
          const list = [...messages];
          for (const d of duplicates) list.splice(d % (list.length + 1), 0, list[d % list.length]!);
          const bytes = corrupt(list, corruptions);
          const whole = decode([bytes], maxEventBytes);
          const pieces = byteByByte ? [...bytes].map((b) => Uint8Array.of(b)) : splitAt(bytes, points);
          expect(decode(pieces, maxEventBytes)).toEqual(whole);
          checkNoPollution();
        },
      ),
      { numRuns: RUNS_CORRUPTED },
    );
  });

  it('random bytes: events or an InvalidResponseError, the same for any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), cuts, (bytes, points) => {
        expect(decode(splitAt(bytes, points))).toEqual(decode([bytes]));
      }),
      { numRuns: RUNS_RANDOM_BYTES },
    );
  });

  it('a prelude declaring more than the limit is refused from its 12 bytes, before any payload', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 1 << 20 }), fc.integer({ min: 1, max: 0xffffffff - (1 << 20) }), (maxEventBytes, excess) => {
        const prelude = new Uint8Array(12);
        setU32(prelude, 0, maxEventBytes + excess);
        setU32(prelude, 4, 0);
        setU32(prelude, 8, zlibCrc32(prelude.subarray(0, 8)));
        const decoder = createAwsEventStreamDecoder({ limits: { maxEventBytes }, errorDetails: details, onEvent: () => undefined });
        decoder.feed(prelude.subarray(0, 11));
        expect(() => decoder.feed(prelude.subarray(11))).toThrow(`exceeds ${maxEventBytes} bytes`);
      }),
      { numRuns: RUNS_OVERSIZED },
    );
  });

  it('a long stream in uneven pieces keeps the heap bounded', async () => {
    const gc = await gcFunction();
    const one = encodeMessage(
      [
        [':event-type', { type: 'string', value: 'contentBlockDelta' }],
        [':content-type', { type: 'string', value: 'application/json' }],
        [':message-type', { type: 'string', value: 'event' }],
      ],
      `{"contentBlockIndex":0,"delta":{"text":"${'w'.repeat(300)}"},"p":"abcdefgh"}`,
    );
    const block = concatBytes(Array.from({ length: 97 }, () => one)); // ~40 KiB, messages straddle pieces
    let count = 0;
    const decoder = createAwsEventStreamDecoder({ limits: { maxEventBytes: 4 * 1024 * 1024 }, errorDetails: details, onEvent: () => void count++ });
    const before = gc === undefined ? 0 : heapUsedAfterGc(gc);
    let peak = before;
    const sizes = [1, 7, 100, 4096, 9000, 65536];
    for (let round = 0; round < 1_200; round++) {
      const size = sizes[round % sizes.length]!;
      const piece = size >= 4096 ? size : 4096;
      for (let at = 0; at < block.length; at += piece) {
        const end = Math.min(at + piece, block.length);
        // Now and then the bytes come in tiny pieces.
        if (size < 4096 && round % 50 === 0) for (let i = at; i < end; i += size) decoder.feed(block.slice(i, Math.min(i + size, end)));
        else decoder.feed(block.subarray(at, end));
      }
      if (gc !== undefined && round % 200 === 0) peak = Math.max(peak, heapUsedAfterGc(gc));
    }
    decoder.end();
    expect(count).toBe(1_200 * 97);
    if (gc !== undefined) expect(peak - before).toBeLessThan(24 * 1024 * 1024);
  });

  it('a frame trickling in one byte at a time holds about its own size, not a piece object per byte', async () => {
    const gc = await gcFunction();
    const size = 256 * 1024;
    const frame = encodeMessage([[':message-type', { type: 'string', value: 'event' }]], 'v'.repeat(size));
    const decoder = createAwsEventStreamDecoder({ limits: { maxEventBytes: 4 * 1024 * 1024 }, errorDetails: details, onEvent: () => undefined });
    const before = gc === undefined ? 0 : heapUsedAfterGc(gc);
    // Each piece its own buffer, as a transport delivers them.
    for (let at = 0; at < frame.length - 1; at++) decoder.feed(frame.slice(at, at + 1));
    const held = gc === undefined ? 0 : heapUsedAfterGc(gc) - before;
    decoder.feed(frame.slice(frame.length - 1));
    decoder.end();
    if (gc !== undefined) expect(held).toBeLessThan(8 * size);
  });
});
