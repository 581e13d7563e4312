import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidResponseError } from '../../src/errors/index.js';
import { DEFAULT_LIMITS } from '../../src/http/limits.js';
import { createSseDecoder } from '../../src/http/sse.js';
import type { StreamEvent } from '../../src/providers/adapter.js';

const encoder = new TextEncoder();
const details = { provider: 'testprov', model: 'm-1' };

interface Decoded {
  event: string | undefined;
  data: string;
}

function decoder(limits: { maxLineBytes: number; maxEventBytes: number } = DEFAULT_LIMITS) {
  const events: Decoded[] = [];
  const dec = createSseDecoder({
    limits,
    errorDetails: details,
    onEvent: (e: StreamEvent) => events.push({ event: e.event, data: e.data }),
  });
  return { dec, events };
}

/** Feeds `pieces` (strings or bytes) then ends; returns the events. */
function decode(pieces: (string | Uint8Array)[], end = true): Decoded[] {
  const { dec, events } = decoder();
  for (const p of pieces) dec.feed(typeof p === 'string' ? encoder.encode(p) : p);
  if (end) dec.end();
  return events;
}

const ev = (data: string, event?: string): Decoded => ({ event, data });

describe('createSseDecoder framing', () => {
  it.each<[string, (string | Uint8Array)[], Decoded[]]>([
    ['LF', ['data: a\n\ndata: b\n\n'], [ev('a'), ev('b')]],
    ['CRLF', ['data: a\r\n\r\ndata: b\r\n\r\n'], [ev('a'), ev('b')]],
    ['CR', ['data: a\r\rdata: b\r\r'], [ev('a'), ev('b')]],
    ['mixed endings', ['data: a\r\n\ndata: b\r\r\ndata: c\n\r\n'], [ev('a'), ev('b'), ev('c')]],
    ['CRLF split across feeds', ['data: a\r', '\n\r', '\n'], [ev('a')]],
    ['CR then a new line in the next feed', ['data: a\r', 'data: b\r\r'], [ev('a\nb')]],
    ['CR then LF-only blank line in the next feed (CRLF, not blank)', ['data: a\r', '\n', 'data: b\n\n'], [ev('a\nb')]],
    ['multi-line data joined with \\n', ['data: one\ndata: two\ndata:three\n\n'], [ev('one\ntwo\nthree')]],
    ['only one leading space stripped', ['data:  two spaces\n\n'], [ev(' two spaces')]],
    ['empty data line', ['data:\n\n'], [ev('')]],
    ['event names delivered', ['event: message_start\ndata: {"x":1}\n\nevent: ping\ndata: {}\n\n'], [ev('{"x":1}', 'message_start'), ev('{}', 'ping')]],
    ['event name does not leak into the next event', ['event: a\ndata: 1\n\ndata: 2\n\n'], [ev('1', 'a'), ev('2')]],
    ['event without data is not dispatched', ['event: lonely\n\ndata: x\n\n'], [ev('x')]],
    ['comments ignored', [': keep-alive\n\n: OPENROUTER PROCESSING\n\ndata: x\n\n'], [ev('x')]],
    ['comment inside an event', ['data: a\n: keep-alive\ndata: b\n\n'], [ev('a\nb')]],
    ['comment-only stream', [': OPENROUTER PROCESSING\n\n', ': OPENROUTER PROCESSING\n\n'], []],
    ['id, retry and unknown fields ignored', ['id: 7\nretry: 1000\nfoo: bar\ndata: x\n\n'], [ev('x')]],
    ['BOM at the start stripped', [new Uint8Array([0xef, 0xbb, 0xbf, ...encoder.encode('data: x\n\n')])], [ev('x')]],
    ['UTF-8 character split across feeds', [encoder.encode('data: €😀').slice(0, 8), encoder.encode('data: €😀').slice(8), '\n\n'], [ev('€😀')]],
    ['one byte at a time', [...encoder.encode('event: é\r\ndata: 😀\r\n\r\n')].map((b) => new Uint8Array([b])), [ev('😀', 'é')]],
    ['leading blank lines', ['\n\r\n\rdata: x\n\n'], [ev('x')]],
    ['[DONE] is plain data', ['data: {"a":1}\n\ndata: [DONE]\n\n'], [ev('{"a":1}'), ev('[DONE]')]],
    ['empty feeds', ['', 'data: x', '', '\n\n', ''], [ev('x')]],
  ])('%s', (_name, pieces, expected) => {
    expect(decode(pieces)).toEqual(expected);
  });

  it('does not dispatch an event until its blank line (or end)', () => {
    const { dec, events } = decoder();
    dec.feed(encoder.encode('data: a\n'));
    expect(events).toEqual([]);
    dec.feed(encoder.encode('\n'));
    expect(events).toEqual([ev('a')]);
  });

  it('delivers an event whose blank line is a CR ending the piece without waiting for the next piece', () => {
    const { dec, events } = decoder();
    dec.feed(encoder.encode('data: a\r\r'));
    expect(events).toEqual([ev('a')]);
    dec.feed(encoder.encode('\ndata: b\r'));
    expect(events).toEqual([ev('a')]);
    dec.feed(encoder.encode('\n\r'));
    expect(events).toEqual([ev('a'), ev('b')]);
  });

  describe('end()', () => {
    it.each<[string, string, Decoded[]]>([
      ['dispatches a last event with complete lines and no blank line (LF)', 'data: a\n', [ev('a')]],
      ['dispatches a last event (CRLF)', 'data: a\r\n', [ev('a')]],
      ['dispatches a last event ending in a lone CR', 'data: a\r', [ev('a')]],
      ['dispatches a multi-line last event with its name', 'event: x\ndata: a\ndata: b\n', [ev('a\nb', 'x')]],
      ['does not dispatch a half-received line', 'data: {"a":', []],
      ['drops an event whose last line is cut', 'data: a\ndata: b', []],
      ['does not dispatch twice', 'data: a\n\n', [ev('a')]],
      ['dispatches nothing for a trailing comment', 'data: a\n\n: bye\n', [ev('a')]],
    ])('%s', (_name, text, expected) => {
      expect(decode([text])).toEqual(expected);
    });

    it('drops a line cut inside a multi-byte character', () => {
      const bytes = encoder.encode('data: a\n\ndata: €');
      expect(decode([bytes.slice(0, bytes.length - 1)])).toEqual([ev('a')]);
    });

    it('is idempotent, and feeding after end throws', () => {
      const { dec, events } = decoder();
      dec.feed(encoder.encode('data: a\n'));
      dec.end();
      dec.end();
      expect(events).toEqual([ev('a')]);
      expect(() => dec.feed(encoder.encode('data: b\n\n'))).toThrow(InvalidResponseError);
    });
  });

  it('propagates errors thrown by onEvent unchanged, and stays failed', () => {
    const boom = new Error('mapper failed');
    const dec = createSseDecoder({
      limits: DEFAULT_LIMITS,
      errorDetails: details,
      onEvent: () => {
        throw boom;
      },
    });
    let caught: unknown;
    try {
      dec.feed(encoder.encode('data: x\n\n'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(boom);
    expect(() => dec.feed(encoder.encode('data: y\n\n'))).toThrow(boom);
  });

  it('propagates an onEvent error thrown from end()', () => {
    const boom = new Error('mapper failed at end');
    const dec = createSseDecoder({
      limits: DEFAULT_LIMITS,
      errorDetails: details,
      onEvent: () => {
        throw boom;
      },
    });
    dec.feed(encoder.encode('data: x\n'));
    expect(() => dec.end()).toThrow(boom);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: any chunking gives the same events as feeding the whole body, and both match the model.

type Eol = '\n' | '\r\n' | '\r';
type Item =
  | { kind: 'comment'; text: string; eol: Eol }
  | { kind: 'event'; name: string | undefined; lines: string[]; comment: string | undefined; eols: Eol[] };

const lineChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'Z', ' ', ':', '{', '"', '}', 'é', '€', '😀', '𝄞', '中', '\u0000', '\t', '\ufeff') },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !c.includes('\r') && !c.includes('\n')),
  },
);
const lineText = fc.string({ unit: lineChar, maxLength: 12 });
const eol = fc.constantFrom<Eol>('\n', '\r\n', '\r');
const item: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ kind: fc.constant('comment' as const), text: lineText, eol }),
  fc.record({
    kind: fc.constant('event' as const),
    name: fc.option(fc.string({ unit: lineChar, minLength: 1, maxLength: 8 }), { nil: undefined }),
    lines: fc.array(lineText, { minLength: 1, maxLength: 4 }),
    // A comment line inside the event, after its first data line.
    comment: fc.option(lineText, { nil: undefined }),
    // An ending for each line (name, data lines, comment), then one for the blank line.
    eols: fc.array(eol, { minLength: 7, maxLength: 7 }),
  }),
);

function serialise(items: Item[], finalBlank: boolean): { text: string; expected: Decoded[] } {
  let text = '';
  let prevEol: Eol | undefined;
  const expected: Decoded[] = [];
  const line = (content: string, ending: Eol): void => {
    // A lone CR followed by an empty line ending in LF would read as one CRLF, not a blank line.
    if (content === '' && prevEol === '\r' && ending === '\n') ending = '\r\n';
    text += content + ending;
    prevEol = ending;
  };
  items.forEach((it, index) => {
    if (it.kind === 'comment') {
      line(`:${it.text}`, it.eol);
      return;
    }
    let e = 0;
    if (it.name !== undefined) line(`event: ${it.name}`, it.eols[e++]!);
    it.lines.forEach((l, i) => {
      line(`data: ${l}`, it.eols[e++]!);
      if (i === 0 && it.comment !== undefined) line(`:${it.comment}`, it.eols[e++]!);
    });
    const last = index === items.length - 1;
    if (!last || finalBlank) line('', it.eols[6]!);
    expected.push({ event: it.name, data: it.lines.join('\n') });
  });
  return { text, expected };
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    pieces.push(bytes.subarray(start, p));
    start = p;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

describe('createSseDecoder property', () => {
  it('any split of the bytes yields the same events as the whole body, matching the model', () => {
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 0, maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        (items, finalBlank, cuts, byteByByte) => {
          const { text, expected } = serialise(items, finalBlank);
          const bytes = encoder.encode(text);
          const whole = decode([bytes]);
          const pieces = byteByByte ? [...bytes].map((b) => new Uint8Array([b])) : splitAt(bytes, cuts);
          const split = decode(pieces);
          expect(split).toEqual(whole);
          expect(whole).toEqual(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('with small limits, any split refuses exactly when the whole body is refused', () => {
    const limits = { maxLineBytes: 24, maxEventBytes: 60 };
    const run = (pieces: Uint8Array[]): { events: Decoded[]; error: unknown } => {
      const { dec, events } = decoder(limits);
      try {
        for (const p of pieces) dec.feed(p);
        dec.end();
        return { events, error: undefined };
      } catch (error) {
        return { events, error };
      }
    };
    fc.assert(
      fc.property(fc.array(item, { maxLength: 8 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 30 }), (items, finalBlank, cuts) => {
        const bytes = encoder.encode(serialise(items, finalBlank).text);
        const whole = run([bytes]);
        const split = run(splitAt(bytes, cuts));
        const single = run([...bytes].map((b) => new Uint8Array([b])));
        for (const other of [split, single]) {
          expect(other.error === undefined).toBe(whole.error === undefined);
          if (whole.error === undefined) expect(other.events).toEqual(whole.events);
          else expect(other.error).toBeInstanceOf(InvalidResponseError);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('splits between CR and LF and inside multi-byte characters', () => {
    // Deterministic exhaustive check of every single cut point on a dense sample.
    const text = 'event: é\r\ndata: 😀€\r\n: c\r\ndata: x\r\n\r\ndata: 中\r\rdata: y\n\n';
    const bytes = encoder.encode(text);
    const whole = decode([bytes]);
    expect(whole).toEqual([ev('😀€\nx', 'é'), ev('中'), ev('y')]);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j += 3) {
        expect(decode([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual(whole);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('createSseDecoder limits', () => {
  it('refuses a 60 MiB single line fed in 64 KiB pieces right after the limit', () => {
    const { dec, events } = decoder();
    const piece = new Uint8Array(64 * 1024).fill(0x61);
    dec.feed(encoder.encode('data: '));
    let fed = 0;
    let caught: unknown;
    try {
      for (; fed < 960; fed++) dec.feed(piece);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidResponseError);
    expect((caught as InvalidResponseError).message).toBe('SSE line exceeds 1048576 bytes');
    expect((caught as InvalidResponseError).code).toBe('invalid_response');
    expect((caught as InvalidResponseError).provider).toBe('testprov');
    expect((caught as InvalidResponseError).model).toBe('m-1');
    // 'data: ' and 16 pieces are just over 1 MiB: the 16th piece (index 15) is refused, unbuffered.
    expect(fed).toBe(15);
    expect(events).toEqual([]);
    // The decoder stays failed.
    expect(() => dec.feed(encoder.encode('\n\n'))).toThrow(InvalidResponseError);
  });

  it('refuses an event of many small lines over maxEventBytes', () => {
    const { dec, events } = decoder();
    const line = encoder.encode(`data: ${'x'.repeat(1000)}\n`);
    let fed = 0;
    let caught: unknown;
    try {
      for (; fed < 10_000; fed++) dec.feed(line);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidResponseError);
    expect((caught as Error).message).toBe('SSE event exceeds 4194304 bytes');
    expect(fed).toBe(Math.floor((4 * 1024 * 1024) / line.length));
    expect(events).toEqual([]);
  });

  it('counts the event from the last blank line: many events in total over the limit are fine', () => {
    const limits = { maxLineBytes: 64, maxEventBytes: 100 };
    const { dec, events } = decoder(limits);
    for (let i = 0; i < 50; i++) dec.feed(encoder.encode(`data: ${'y'.repeat(40)}\n\n`));
    expect(events).toHaveLength(50);
    // Comments alone, with blank lines between them, never add up either.
    for (let i = 0; i < 50; i++) dec.feed(encoder.encode(`: keep-alive ${'z'.repeat(40)}\r\n\r\n`));
  });

  it('counts bytes, not characters', () => {
    const limits = { maxLineBytes: 16, maxEventBytes: 1000 };
    // 'data: ' + 5 × '€' = 6 + 15 = 21 bytes but 11 characters.
    expect(() => decoderFeed(limits, 'data: €€€€€\n\n')).toThrow('SSE line exceeds 16 bytes');
  });

  it('accepts a line of exactly maxLineBytes and refuses one byte more', () => {
    const limits = { maxLineBytes: 16, maxEventBytes: 1000 };
    expect(decoderFeed(limits, `data: ${'a'.repeat(10)}\n\n`)).toEqual([ev('a'.repeat(10))]);
    expect(() => decoderFeed(limits, `data: ${'a'.repeat(11)}\n\n`)).toThrow(InvalidResponseError);
    // Same when the line arrives in pieces and the break comes later.
    expect(() => decoderFeed(limits, 'data: aaaa', 'aaaaaaa', '\n\n')).toThrow(InvalidResponseError);
  });

  it('refuses a long complete line inside one big chunk', () => {
    const limits = { maxLineBytes: 1024, maxEventBytes: 1 << 20 };
    expect(() => decoderFeed(limits, `data: ok\n\ndata: ${'b'.repeat(2000)}\n\ndata: late\n\n`)).toThrow('SSE line exceeds 1024 bytes');
  });

  it('refuses before delivering anything from the refused chunk', () => {
    const limits = { maxLineBytes: 32, maxEventBytes: 1000 };
    const { dec, events } = decoder(limits);
    expect(() => dec.feed(encoder.encode(`data: first\n\ndata: ${'c'.repeat(40)}\n\n`))).toThrow(InvalidResponseError);
    expect(events).toEqual([]);
  });

  it('counts an event across CRLF and CR endings', () => {
    const limits = { maxLineBytes: 100, maxEventBytes: 50 };
    expect(() => decoderFeed(limits, 'data: 0123456789\r\ndata: 0123456789\rdata: 0123456789\r\n\r\n')).toThrow(
      'SSE event exceeds 50 bytes',
    );
    expect(decoderFeed(limits, 'data: 0123456789\r\n\r\ndata: 0123456789\r\rdata: 0123456789\n\n')).toHaveLength(3);
  });
});

function decoderFeed(limits: { maxLineBytes: number; maxEventBytes: number }, ...texts: string[]): Decoded[] {
  const { dec, events } = decoder(limits);
  for (const t of texts) dec.feed(encoder.encode(t));
  dec.end();
  return events;
}
