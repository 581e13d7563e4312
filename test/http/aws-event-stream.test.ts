import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidResponseError } from '../../src/errors/index.js';
import { createAwsEventStreamDecoder, crc32, decodeMessage } from '../../src/http/aws-event-stream.js';
import type { StreamEvent } from '../../src/providers/adapter.js';
import { concat, encodeMessage, errorMessage, eventMessage, exceptionMessage, type HeaderValue } from '../providers/bedrock/helpers.js';

const details = { provider: 'bedrock', model: 'm-1' };
const text = new TextEncoder();

function decoder(maxEventBytes = 4 * 1024 * 1024) {
  const events: StreamEvent[] = [];
  const dec = createAwsEventStreamDecoder({ limits: { maxEventBytes }, errorDetails: details, onEvent: (e) => events.push(e) });
  return { dec, events };
}

function decode(pieces: Uint8Array[], maxEventBytes?: number): StreamEvent[] {
  const { dec, events } = decoder(maxEventBytes);
  for (const piece of pieces) dec.feed(piece);
  dec.end();
  return events;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('crc32', () => {
  it('has the IEEE check value', () => {
    expect(crc32(text.encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('agrees with zlib on any input and range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (data, a, b) => {
        const start = data.length === 0 ? 0 : a % data.length;
        const end = start + (data.length === 0 ? 0 : b % (data.length - start + 1));
        expect(crc32(data, start, end)).toBe(zlibCrc32(data.subarray(start, end)));
      }),
    );
  });
});

/** AWS's published event-stream test vectors (aws-sdk-js-v3 eventstream test suite). */
describe('published AWS event-stream vectors', () => {
  const payload = text.encode("{'foo':'bar'}");

  it.each<[string, Uint8Array, Array<[string, string]>, Uint8Array]>([
    ['empty_message', bytes(0, 0, 0, 16, 0, 0, 0, 0, 5, 194, 72, 235, 125, 152, 200, 255), [], new Uint8Array(0)],
    [
      'int32_header (a non-string header is skipped)',
      bytes(0, 0, 0, 45, 0, 0, 0, 16, 65, 196, 36, 184, 10, 101, 118, 101, 110, 116, 45, 116, 121, 112, 101, 4, 0, 0, 160, 12, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 54, 244, 128, 160),
      [],
      payload,
    ],
    [
      'payload_no_headers',
      bytes(0, 0, 0, 29, 0, 0, 0, 0, 253, 82, 140, 90, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 195, 101, 57, 54),
      [],
      payload,
    ],
    [
      'payload_one_str_header',
      bytes(
        0, 0, 0, 61, 0, 0, 0, 32, 7, 253, 131, 150, 12, 99, 111, 110, 116, 101, 110, 116, 45, 116, 121, 112, 101, 7, 0, 16, 97, 112, 112, 108, 105,
        99, 97, 116, 105, 111, 110, 47, 106, 115, 111, 110, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 141, 156, 8, 177,
      ),
      [['content-type', 'application/json']],
      payload,
    ],
  ])('%s decodes', (_name, encoded, headers, expectedPayload) => {
    const message = decodeMessage(encoded, details);
    expect([...message.headers]).toEqual(headers);
    expect(message.payload).toEqual(expectedPayload);
  });

  it.each<[string, Uint8Array]>([
    ['corrupted_length', bytes(1, 0, 0, 29, 0, 0, 0, 0, 253, 82, 140, 90, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 195, 101, 57, 54)],
    ['corrupted_payload', bytes(0, 0, 0, 29, 0, 0, 0, 0, 253, 82, 140, 90, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 141, 195, 101, 57, 54)],
  ])('%s is refused', (_name, encoded) => {
    expect(thrown(() => decodeMessage(encoded, details))).toBeInstanceOf(InvalidResponseError);
    expect(thrown(() => decode([encoded]))).toBeInstanceOf(InvalidResponseError);
  });

  it('my test encoder produces the published bytes', () => {
    const published = bytes(
      0, 0, 0, 61, 0, 0, 0, 32, 7, 253, 131, 150, 12, 99, 111, 110, 116, 101, 110, 116, 45, 116, 121, 112, 101, 7, 0, 16, 97, 112, 112, 108, 105,
      99, 97, 116, 105, 111, 110, 47, 106, 115, 111, 110, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 141, 156, 8, 177,
    );
    expect(encodeMessage([['content-type', { type: 'string', value: 'application/json' }]], payload)).toEqual(published);
    expect(encodeMessage([['event-type', { type: 'int', value: 40972 }]], payload)).toEqual(
      bytes(0, 0, 0, 45, 0, 0, 0, 16, 65, 196, 36, 184, 10, 101, 118, 101, 110, 116, 45, 116, 121, 112, 101, 4, 0, 0, 160, 12, 123, 39, 102, 111, 111, 39, 58, 39, 98, 97, 114, 39, 125, 54, 244, 128, 160),
    );
  });
});

const delta = '{"p":"abcdefgh","contentBlockIndex":0,"delta":{"text":"Bonjour 🌍"}}';

describe('createAwsEventStreamDecoder', () => {
  it.each<[string, Uint8Array[], StreamEvent[]]>([
    ['an event', [eventMessage('contentBlockDelta', delta)], [{ event: 'contentBlockDelta', data: delta }]],
    [
      'an exception: type in the event name, payload as data',
      [exceptionMessage('throttlingException', '{"message":"Too many requests"}')],
      [{ event: 'exception:throttlingException', data: '{"message":"Too many requests"}' }],
    ],
    ['an error: code in the event name, message as data', [errorMessage('InternalFailure', 'boom')], [{ event: 'error:InternalFailure', data: 'boom' }]],
    [
      'several messages in one piece',
      [concat([eventMessage('messageStart', '{"role":"assistant"}'), eventMessage('contentBlockDelta', delta), eventMessage('messageStop', '{"stopReason":"end_turn"}')])],
      [
        { event: 'messageStart', data: '{"role":"assistant"}' },
        { event: 'contentBlockDelta', data: delta },
        { event: 'messageStop', data: '{"stopReason":"end_turn"}' },
      ],
    ],
    ['an empty payload', [eventMessage('contentBlockStop', '')], [{ event: 'contentBlockStop', data: '' }]],
    ['no body at all', [], []],
  ])('%s', (_name, pieces, expected) => {
    expect(decode(pieces)).toEqual(expected);
  });

  it('skips every non-string header type correctly', () => {
    const headers: Array<[string, HeaderValue]> = [
      ['t', { type: 'true' }],
      ['f', { type: 'false' }],
      ['b', { type: 'byte', value: -3 }],
      ['s', { type: 'short', value: 513 }],
      [':event-type', { type: 'string', value: 'metadata' }],
      ['i', { type: 'int', value: -70000 }],
      ['l', { type: 'long', value: 1n << 40n }],
      ['bytes', { type: 'bytes', value: bytes(7, 0, 0, 7, 7) }],
      ['ts', { type: 'timestamp', value: 1_700_000_000_000n }],
      ['id', { type: 'uuid', value: new Uint8Array(16).fill(7) }],
      [':message-type', { type: 'string', value: 'event' }],
    ];
    const message = encodeMessage(headers, '{"usage":{}}');
    expect(decode([message])).toEqual([{ event: 'metadata', data: '{"usage":{}}' }]);
    expect([...decodeMessage(message, details).headers.keys()]).toEqual([':event-type', ':message-type']);
  });

  it('delivers a message as soon as its last byte arrives', () => {
    const { dec, events } = decoder();
    const message = eventMessage('messageStart', '{"role":"assistant"}');
    dec.feed(message.subarray(0, message.length - 1));
    expect(events).toEqual([]);
    dec.feed(message.subarray(message.length - 1));
    expect(events).toHaveLength(1);
  });

  it.each([1, 5, 11, 12, 13])('a message split after %i bytes (inside and around the prelude)', (at) => {
    const message = eventMessage('contentBlockDelta', delta);
    expect(decode([message.subarray(0, at), message.subarray(at)])).toEqual([{ event: 'contentBlockDelta', data: delta }]);
  });

  it('one byte at a time (a UTF-8 character split too)', () => {
    const message = concat([eventMessage('contentBlockDelta', delta), exceptionMessage('validationException', '{"message":"é"}')]);
    const pieces = [...message].map((b) => Uint8Array.of(b));
    expect(decode(pieces)).toEqual([
      { event: 'contentBlockDelta', data: delta },
      { event: 'exception:validationException', data: '{"message":"é"}' },
    ]);
  });

  it('refuses a message over maxEventBytes from its prelude, before it is buffered', () => {
    const message = eventMessage('contentBlockDelta', 'x'.repeat(500));
    const { dec } = decoder(200);
    const error = thrown(() => dec.feed(message.subarray(0, 12)));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as InvalidResponseError).message).toContain('exceeds 200 bytes');
    expect((error as InvalidResponseError).provider).toBe('bedrock');
    // The decoder stays failed.
    expect(thrown(() => dec.feed(message.subarray(12)))).toBe(error);
    expect(thrown(() => dec.end())).toBe(error);
  });

  it('accepts a message of exactly maxEventBytes', () => {
    const message = eventMessage('contentBlockDelta', 'x'.repeat(100));
    expect(decode([message], message.length)).toHaveLength(1);
    expect(thrown(() => decode([message], message.length - 1))).toBeInstanceOf(InvalidResponseError);
  });

  it.each<[string, (m: Uint8Array) => Uint8Array, string]>([
    ['prelude CRC mismatch', (m) => flip(m, 9), 'prelude CRC'],
    ['a total length changed (prelude CRC)', (m) => flip(m, 3), 'prelude CRC'],
    ['a payload byte changed (message CRC)', (m) => flip(m, m.length - 6), 'message CRC'],
    ['a header byte changed (message CRC)', (m) => flip(m, 14), 'message CRC'],
    ['message CRC changed', (m) => flip(m, m.length - 1), 'message CRC'],
  ])('%s → InvalidResponseError', (_name, corrupt, messageIncludes) => {
    const error = thrown(() => decode([corrupt(eventMessage('contentBlockDelta', delta))]));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toContain(messageIncludes);
  });

  it('a body ending inside a message is truncated', () => {
    const message = eventMessage('messageStop', '{"stopReason":"end_turn"}');
    for (const at of [1, 11, 12, message.length - 1]) {
      const error = thrown(() => decode([eventMessage('messageStart', '{}'), message.subarray(0, at)]));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toContain('ended inside a message');
    }
  });

  it.each<[string, Uint8Array, string]>([
    ['no :message-type', encodeMessage([[':event-type', { type: 'string', value: 'x' }]], '{}'), 'no :message-type'],
    ['an unknown :message-type', encodeMessage([[':message-type', { type: 'string', value: 'gossip' }]], '{}'), 'not known'],
    ['impossible lengths (headers longer than the message)', withPrelude(40, 100), 'impossible lengths'],
    ['a total length below the minimum', withPrelude(8, 0), 'impossible lengths'],
  ])('%s → InvalidResponseError', (_name, message, messageIncludes) => {
    const error = thrown(() => decode([message]));
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toContain(messageIncludes);
  });

  it('malformed headers → InvalidResponseError', () => {
    // A header of unknown type 10, and a header whose string runs past the headers section.
    for (const raw of [bytes(1, 0x61, 10), bytes(1, 0x61, 7, 0, 50, 0x61)]) {
      const message = rawMessage(raw, text.encode('{}'));
      const error = thrown(() => decode([message]));
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect((error as Error).message).toContain('malformed header');
    }
  });

  it('errors thrown by onEvent propagate and fail the decoder', () => {
    const boom = new Error('mapper says no');
    const dec = createAwsEventStreamDecoder({
      limits: { maxEventBytes: 1000 },
      errorDetails: details,
      onEvent: () => {
        throw boom;
      },
    });
    expect(thrown(() => dec.feed(eventMessage('a', '{}')))).toBe(boom);
    expect(thrown(() => dec.feed(eventMessage('a', '{}')))).toBe(boom);
  });

  it('a large message fed one byte at a time completes (linear buffering)', () => {
    const big = 'y'.repeat(300_000);
    const message = eventMessage('contentBlockDelta', big);
    const { dec, events } = decoder();
    for (let i = 0; i < message.length; i++) dec.feed(message.subarray(i, i + 1));
    dec.end();
    expect(events).toEqual([{ event: 'contentBlockDelta', data: big }]);
  });
});

describe('decoder properties', () => {
  const frame = fc.oneof(
    fc.record({ kind: fc.constant('event' as const), type: fc.stringMatching(/^[a-zA-Z]{1,20}$/), data: fc.string({ maxLength: 200, unit: 'binary' }) }),
    fc.record({ kind: fc.constant('exception' as const), type: fc.stringMatching(/^[a-zA-Z]{1,20}$/), data: fc.string({ maxLength: 50 }) }),
    fc.record({ kind: fc.constant('error' as const), type: fc.stringMatching(/^[a-zA-Z]{1,20}$/), data: fc.string({ maxLength: 50 }) }),
  );

  function encodeFrame(f: { kind: 'event' | 'exception' | 'error'; type: string; data: string }): Uint8Array {
    return f.kind === 'event' ? eventMessage(f.type, f.data) : f.kind === 'exception' ? exceptionMessage(f.type, f.data) : errorMessage(f.type, f.data);
  }

  function expectedEvent(f: { kind: 'event' | 'exception' | 'error'; type: string; data: string }): StreamEvent {
    // The payload is UTF-8: lone surrogates come back as U+FFFD.
    const data = new TextDecoder().decode(text.encode(f.data));
    return f.kind === 'event' ? { event: f.type, data } : { event: `${f.kind}:${f.type}`, data };
  }

  it('any split of a stream of frames gives the same events', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
        const body = concat(frames.map(encodeFrame));
        const points = [...new Set(cuts.map((c) => (body.length === 0 ? 0 : c % (body.length + 1))))].sort((a, b) => a - b);
        const pieces: Uint8Array[] = [];
        let last = 0;
        for (const p of [...points, body.length]) {
          pieces.push(body.subarray(last, p));
          last = p;
        }
        expect(decode(pieces)).toEqual(frames.map(expectedEvent));
      }),
      { numRuns: 300 },
    );
  });

  it('one byte at a time gives the same events', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 4 }), (frames) => {
        const body = concat(frames.map(encodeFrame));
        expect(decode([...body].map((b) => Uint8Array.of(b)))).toEqual(frames.map(expectedEvent));
      }),
      { numRuns: 100 },
    );
  });

  it('a flipped bit anywhere in a frame is refused', () => {
    fc.assert(
      fc.property(frame, fc.nat(), fc.integer({ min: 0, max: 7 }), (f, at, bit) => {
        const message = encodeFrame(f).slice();
        const index = at % message.length;
        message[index]! ^= 1 << bit;
        const { dec } = decoder();
        // A flipped length can make the decoder wait for more bytes: the end of the body then fails.
        expect(
          thrown(() => {
            dec.feed(message);
            dec.end();
          }),
        ).toBeInstanceOf(InvalidResponseError);
      }),
      { numRuns: 500 },
    );
  });
});

function flip(message: Uint8Array, index: number): Uint8Array {
  const copy = message.slice();
  copy[index]! ^= 0x10;
  return copy;
}

/** A message with the given raw headers section and correct CRCs. */
function rawMessage(headers: Uint8Array, payload: Uint8Array): Uint8Array {
  const total = 16 + headers.length + payload.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headers.length);
  view.setUint32(8, zlibCrc32(out.subarray(0, 8)));
  out.set(headers, 12);
  out.set(payload, 12 + headers.length);
  view.setUint32(total - 4, zlibCrc32(out.subarray(0, total - 4)));
  return out;
}

/** Just a prelude (with a correct CRC) declaring these lengths, padded to 16 bytes. */
function withPrelude(total: number, headersLength: number): Uint8Array {
  const out = new Uint8Array(Math.max(16, total));
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLength);
  view.setUint32(8, zlibCrc32(out.subarray(0, 8)));
  return out;
}
