/**
 * Fuzzing the SSE decoder with raw byte streams (line-break-heavy, with BOMs, cut and invalid
 * UTF-8): the events never depend on how the bytes are split and always equal a reference decode
 * of the whole body; limits are enforced the same way for any split; memory stays bounded.
 */
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidResponseError } from '../../src/errors/index.js';
import { DEFAULT_LIMITS } from '../../src/http/limits.js';
import { createSseDecoder } from '../../src/http/sse.js';
import type { StreamEvent } from '../../src/providers/adapter.js';
import { concatBytes, gcFunction, heapUsedAfterGc, splitAt } from './helpers.js';

const RUNS_SPLIT_REFERENCE = 2_000;
const RUNS_EVERY_CUT = 200;
const RUNS_LIMITS = 1_000;
const RUNS_OVERSIZED = 200;

const details = { provider: 'fuzz', model: 'm' };
const utf8 = new TextEncoder();

interface Decoded {
  events: Array<{ event: string | undefined; data: string }>;
  error: unknown;
}

type Limits = { maxLineBytes: number; maxEventBytes: number };

function decode(pieces: readonly Uint8Array[], limits: Limits = DEFAULT_LIMITS): Decoded {
  const events: Decoded['events'] = [];
  const decoder = createSseDecoder({ limits, errorDetails: details, onEvent: (e: StreamEvent) => events.push({ event: e.event, data: e.data }) });
  try {
    for (const piece of pieces) decoder.feed(piece);
    decoder.end();
  } catch (error) {
    if (!(error instanceof InvalidResponseError)) throw error;
    // A failed decoder keeps failing with the same error.
    expect(() => decoder.feed(utf8.encode('data: x\n\n'))).toThrow(error);
    expect(() => decoder.end()).toThrow(error);
    return { events, error };
  }
  return { events, error: undefined };
}

/**
 * The reference: the whole body decoded at once and parsed by eventsource-parser, then the end
 * rule (a last event whose lines are all complete is dispatched; a half-received line is dropped).
 */
function reference(bytes: Uint8Array): Decoded['events'] {
  const text = new TextDecoder().decode(bytes);
  const events: Decoded['events'] = [];
  const parser = createParser({ onEvent: (e) => events.push({ event: e.event, data: e.data }) });
  if (text.endsWith('\r')) parser.feed(`${text}\n\n`);
  else if (text === '' || text.endsWith('\n')) parser.feed(`${text}\n`);
  else parser.feed(text);
  return events;
}

const bytesOf = (...values: number[]): Uint8Array => Uint8Array.from(values);

/** Pieces of an SSE body, line breaks and awkward bytes over-represented. */
const token = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('data:', 'data: ', 'event:', 'event: ', 'id: 1', 'retry: 5', ':', ': ping', 'x', ' ', '{"a":1}', '[DONE]', 'é', '€😀', '\t').map((s) => utf8.encode(s)) },
  { weight: 5, arbitrary: fc.constantFrom('\n', '\r', '\r\n', '\n\n', '\r\r', '\r\n\r\n').map((s) => utf8.encode(s)) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      bytesOf(0xef, 0xbb, 0xbf), // BOM
      bytesOf(0xe2), // the start of '€'
      bytesOf(0x82, 0xac), // its end
      bytesOf(0xf0, 0x9f), // half an emoji
      bytesOf(0xff),
      bytesOf(0xc0, 0x80),
      bytesOf(0x00),
    ),
  },
  // Line breaks right next to broken characters (before, after, or between two breaks): where the
  // byte-level and the text-level views of a line disagree.
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', '\r', '\n', '\r\n'),
        fc.constantFrom(bytesOf(0xe2), bytesOf(0xf0, 0x9f), bytesOf(0xe2, 0x82), bytesOf(0xff)),
        fc.constantFrom('', '\r', '\n', '\r\n'),
      )
      .map(([before, partial, after]) => concatBytes([utf8.encode(before), partial, utf8.encode(after)])),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 6 }) },
);
const body = fc.array(token, { maxLength: 40 }).map(concatBytes);
const cuts = fc.array(fc.nat(), { maxLength: 20 });

/**
 * Structured: events of data lines whose line breaks are sometimes "broken" — a partial UTF-8
 * character between two breaks — so that a cut lands between the parts of a break.
 */
const partial = fc.constantFrom(bytesOf(0xe2), bytesOf(0xf0, 0x9f), bytesOf(0xe2, 0x82), bytesOf(0xff));
const plainBreak = fc.constantFrom('\n', '\r', '\r\n').map((s) => utf8.encode(s));
const separator = fc.oneof(
  { weight: 3, arbitrary: plainBreak },
  { weight: 2, arbitrary: fc.tuple(plainBreak, partial, plainBreak).map(concatBytes) },
);
const lineText = fc.array(fc.constantFrom('x', ' ', '{"a":1}', 'é', '€😀', ':'), { maxLength: 3 }).map((parts) => parts.join(''));
const sseEvent = fc
  .tuple(
    fc.option(fc.tuple(fc.constantFrom('event: e', 'event: message_delta', ': ping', 'id: 7'), separator), { nil: undefined }),
    fc.array(fc.tuple(lineText, separator), { minLength: 1, maxLength: 4 }),
    plainBreak,
  )
  .map(([head, lines, blank]) =>
    concatBytes([
      ...(head === undefined ? [] : [utf8.encode(head[0]), head[1]]),
      ...lines.flatMap(([text, brk]) => [utf8.encode(`data: ${text}`), brk]),
      blank,
    ]),
  );
const eventsBody = fc.tuple(fc.array(sseEvent, { maxLength: 6 }), fc.nat()).map(([events, trim]) => {
  const bytes = concatBytes(events);
  // Sometimes cut short: the stream ends inside a line or an event.
  return trim % 3 === 0 ? bytes.subarray(0, bytes.length - (trim % 7)) : bytes;
});

describe('SSE decoder fuzz', () => {
  it('any split of any byte stream gives the events of the reference decode of the whole body', () => {
    fc.assert(
      fc.property(fc.oneof(body, eventsBody), cuts, fc.boolean(), (bytes, points, byteByByte) => {
        const expected = reference(bytes);
        expect(decode([bytes])).toEqual({ events: expected, error: undefined });
        const pieces = byteByByte ? [...bytes].map((b) => bytesOf(b)) : splitAt(bytes, points);
        expect(decode(pieces)).toEqual({ events: expected, error: undefined });
      }),
      { numRuns: RUNS_SPLIT_REFERENCE },
    );
  });

  it('every two-piece split of a short stream (a cut at each byte) gives the reference events', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(token, { maxLength: 20 }).map(concatBytes), eventsBody), (bytes) => {
        const expected = reference(bytes);
        for (let at = 0; at <= bytes.length; at++) {
          expect(decode([bytes.subarray(0, at), bytes.subarray(at)]).events).toEqual(expected);
        }
      }),
      { numRuns: RUNS_EVERY_CUT },
    );
  });

  it('with small limits, every split fails exactly when the whole body fails, after a prefix of its events', () => {
    const limits = fc.record({ maxLineBytes: fc.integer({ min: 1, max: 40 }), maxEventBytes: fc.integer({ min: 1, max: 120 }) });
    fc.assert(
      fc.property(fc.oneof(body, eventsBody), cuts, limits, (bytes, points, limit) => {
        const unlimited = reference(bytes);
        const whole = decode([bytes], limit);
        for (const result of [whole, decode(splitAt(bytes, points), limit), decode([...bytes].map((b) => bytesOf(b)), limit)]) {
          expect(result.error === undefined).toBe(whole.error === undefined);
          if (result.error === undefined) expect(result.events).toEqual(unlimited);
          else {
            expect((result.error as Error).message).toMatch(/^SSE (line|event) exceeds \d+ bytes$/);
            expect(unlimited.slice(0, result.events.length)).toEqual(result.events);
          }
        }
      }),
      { numRuns: RUNS_LIMITS },
    );
  });

  it('an oversized line or event is refused before more than its limit is accepted, however it is cut', () => {
    const maxLineBytes = 1_000;
    const maxEventBytes = 4_000;
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 1, max: 700 }), (oneLine, extra, pieceSize) => {
        const text = oneLine ? `data: ${'x'.repeat(maxLineBytes + extra)}` : 'data: xxxxxxxxxx\n'.repeat(Math.ceil((maxEventBytes + extra) / 17));
        const bytes = utf8.encode(text);
        const decoder = createSseDecoder({ limits: { maxLineBytes, maxEventBytes }, errorDetails: details, onEvent: () => undefined });
        let accepted = 0;
        let error: unknown;
        for (let at = 0; at < bytes.length && error === undefined; at += pieceSize) {
          const piece = bytes.subarray(at, at + pieceSize);
          try {
            decoder.feed(piece);
            accepted += piece.length;
          } catch (e) {
            error = e;
          }
        }
        expect(error).toBeInstanceOf(InvalidResponseError);
        expect((error as Error).message).toBe(oneLine ? `SSE line exceeds ${maxLineBytes} bytes` : `SSE event exceeds ${maxEventBytes} bytes`);
        expect(accepted).toBeLessThanOrEqual(oneLine ? maxLineBytes : maxEventBytes);
      }),
      { numRuns: RUNS_OVERSIZED },
    );
  });

  it('a 64 MiB line in 64 KiB pieces fails at the default limit', () => {
    const decoder = createSseDecoder({ limits: DEFAULT_LIMITS, errorDetails: details, onEvent: () => undefined });
    const piece = new Uint8Array(64 * 1024).fill(0x78);
    decoder.feed(utf8.encode('data: '));
    let accepted = 0;
    expect(() => {
      for (let i = 0; i < 1024; i++) {
        decoder.feed(piece);
        accepted += piece.length;
      }
    }).toThrow('SSE line exceeds 1048576 bytes');
    expect(accepted).toBeLessThanOrEqual(DEFAULT_LIMITS.maxLineBytes);
  });

  it('a long stream keeps the heap bounded (events are not retained by the decoder)', async () => {
    const gc = await gcFunction();
    const event = utf8.encode(`event: message_delta\ndata: {"type":"content_block_delta","delta":{"text":"${'y'.repeat(400)}"}}\n\n`);
    const big = utf8.encode(`data: ${'z'.repeat(DEFAULT_LIMITS.maxLineBytes - 10)}\n\n`);
    const piece = concatBytes(Array.from({ length: 64 }, () => event)); // ~30 KiB
    let count = 0;
    const decoder = createSseDecoder({ limits: DEFAULT_LIMITS, errorDetails: details, onEvent: () => void count++ });
    const before = gc === undefined ? 0 : heapUsedAfterGc(gc);
    let peak = before;
    const total = 48 * 1024 * 1024;
    for (let fed = 0, round = 0; fed < total; round++) {
      decoder.feed(piece);
      fed += piece.length;
      if (round % 256 === 0) {
        // A near-limit line, cut in uneven pieces, now and then.
        for (let at = 0; at < big.length; at += 100_000) decoder.feed(big.subarray(at, at + 100_000));
        fed += big.length;
        if (gc !== undefined) peak = Math.max(peak, heapUsedAfterGc(gc));
      }
    }
    decoder.end();
    expect(count).toBeGreaterThan(80_000);
        if (gc !== undefined) expect(peak - before).toBeLessThan(24 * 1024 * 1024);
  });
});

/** Inputs the fuzzer found, kept as explicit regression cases. */
describe('SSE decoder fuzz regressions', () => {
  it('a piece ending in CR + the lead byte of a character, then a piece starting with LF: no blank line is invented', () => {
    // Whole: "data: a\r" "\uFFFD\n" — a line "\uFFFD" (an unknown field), so no event is dispatched before end.
    const bytes = concatBytes([utf8.encode('data: a\r'), bytesOf(0xe2), utf8.encode('\ndata: b\n\n')]);
    const expected = reference(bytes);
    expect(expected).toEqual([{ event: undefined, data: 'a\nb' }]);
    expect(decode([bytes]).events).toEqual(expected);
    expect(decode([bytes.subarray(0, 9), bytes.subarray(9)]).events).toEqual(expected);
  });

  it('a CR followed by the start of a character, in one piece, still ends its line', () => {
    // "data:\uFFFD\r\r" then a cut character: the blank line dispatches the event; the fix above must keep this.
    const bytes = concatBytes([utf8.encode('data:'), bytesOf(0xe2, 0x0d, 0x0d, 0xe2)]);
    expect(reference(bytes)).toEqual([{ event: undefined, data: '\ufffd' }]);
    expect(decode([bytes]).events).toEqual(reference(bytes));
  });
});
