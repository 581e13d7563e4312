import { describe, expect, it } from 'vitest';
import { parseDuration, parseRetryAfter } from '../../src/http/retry-after.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

function headers(values: Record<string, string>): (name: string) => string | null {
  return (name) => values[name] ?? null;
}

describe('parseRetryAfter', () => {
  it.each<[string, Record<string, string>, number | undefined]>([
    ['integer seconds', { 'retry-after': '5' }, 5000],
    ['zero seconds', { 'retry-after': '0' }, 0],
    ['fractional seconds', { 'retry-after': '1.5' }, 1500],
    ['fractional seconds rounded to ms', { 'retry-after': '0.0004' }, 0],
    ['whitespace around seconds', { 'retry-after': ' 7 ' }, 7000],
    ['retry-after-ms', { 'retry-after-ms': '250' }, 250],
    ['fractional retry-after-ms rounded', { 'retry-after-ms': '12.6' }, 13],
    ['retry-after-ms wins over retry-after', { 'retry-after-ms': '100', 'retry-after': '30' }, 100],
    ['retry-after-ms 0 wins over retry-after', { 'retry-after-ms': '0', 'retry-after': '30' }, 0],
    ['garbage retry-after-ms falls back to retry-after', { 'retry-after-ms': 'soon', 'retry-after': '2' }, 2000],
    ['negative retry-after-ms falls back to retry-after', { 'retry-after-ms': '-5', 'retry-after': '3' }, 3000],
    ['empty retry-after-ms falls back', { 'retry-after-ms': '', 'retry-after': '4' }, 4000],
    ['HTTP date in the future', { 'retry-after': new Date(NOW + 10_000).toUTCString() }, 10_000],
    ['HTTP date in the past is 0', { 'retry-after': new Date(NOW - 60_000).toUTCString() }, 0],
    ['negative seconds', { 'retry-after': '-1' }, undefined],
    ['garbage', { 'retry-after': 'later, please' }, undefined],
    ['empty', { 'retry-after': '' }, undefined],
    ['blank', { 'retry-after': '   ' }, undefined],
    ['infinite', { 'retry-after': 'Infinity' }, undefined],
    ['absent', {}, undefined],
  ])('%s', (_name, values, expected) => {
    expect(parseRetryAfter(headers(values), NOW)).toBe(expected);
  });

  it('reads the headers by lower-case name', () => {
    const asked: string[] = [];
    parseRetryAfter((name) => {
      asked.push(name);
      return null;
    }, NOW);
    expect(asked).toEqual(['retry-after-ms', 'retry-after']);
  });

  it('uses the current time by default', () => {
    const value = parseRetryAfter(headers({ 'retry-after': new Date(Date.now() + 120_000).toUTCString() }));
    expect(value).toBeGreaterThan(110_000);
    expect(value).toBeLessThanOrEqual(120_000);
  });
});

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['34s', 34_000],
    ['1.5s', 1500],
    ['210ms', 210],
    ['6m0s', 360_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1h2m3s', 3_723_000],
    ['0s', 0],
    ['0.5ms', 1],
    [' 20s ', 20_000],
    ['', undefined],
    ['5', undefined],
    ['abc', undefined],
    ['10 s', undefined],
    ['1s trailing', undefined],
    ['-3s', undefined],
    ['3d', undefined],
  ])('%j → %s', (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });
});
