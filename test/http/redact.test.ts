import { describe, expect, it } from 'vitest';
import { redact, redactUnknown, registerSecret } from '../../src/http/redact.js';

// Registered secrets are process-wide; each test uses its own values.

describe('redact', () => {
  it('replaces a registered secret wherever it appears', () => {
    const secret = 'mySecretKey-1234567';
    registerSecret(secret);
    expect(redact(`key=${secret} and again ${secret}.`)).toBe('key=[REDACTED] and again [REDACTED].');
  });

  it('replaces the URL-encoded form of a registered secret', () => {
    const secret = 'pa/ss+word=value&x';
    registerSecret(secret);
    const encoded = encodeURIComponent(secret);
    expect(encoded).not.toBe(secret);
    expect(redact(`https://host/path?key=${encoded}&q=1`)).toBe('https://host/path?key=[REDACTED]&q=1');
    expect(redact(`raw: ${secret}`)).toBe('raw: [REDACTED]');
  });

  it('replaces a registered secret in its Bearer form', () => {
    const secret = 'tok_abcdef';
    registerSecret(secret);
    expect(redact(`Authorization: Bearer ${secret}`)).toBe('Authorization: Bearer [REDACTED]');
  });

  it('replaces unregistered bearer tokens', () => {
    expect(redact('authorization: Bearer abcdefghijklmnop.qrs')).toBe('authorization: Bearer [REDACTED]');
    expect(redact('bearer  ZZZZZZZZZZZZZZZZ')).toBe('bearer  [REDACTED]');
  });

  it.each([
    ['OpenAI key', 'sk-abcdefghijklmnopqrstuvwx'],
    ['OpenAI project key', 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345'],
    ['Anthropic key', 'sk-ant-api03-AbCdEfGhIjKlMnOpQrSt_uvwxyz-0123456789'],
    ['OpenRouter key', 'sk-or-v1-0123456789abcdef0123456789abcdef'],
    ['Google key', 'AIzaSyA1234567890abcdefghijklmnopqrstuv'],
    ['AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['AWS temporary key id', 'ASIAIOSFODNN7EXAMPLE'],
  ])('replaces an unregistered %s by its shape', (_name, key) => {
    expect(redact(`Incorrect API key provided: ${key}. See docs.`)).toBe('Incorrect API key provided: [REDACTED]. See docs.');
    expect(redact(JSON.stringify({ error: { message: `bad key ${key}` } }))).not.toContain(key);
  });

  it('leaves ordinary text alone', () => {
    const text = 'The model gpt-4o-mini is overloaded; sk- prefix alone, task-123, AKIA short.';
    expect(redact(text)).toBe(text);
  });

  it('escapes regex metacharacters in a registered secret', () => {
    const secret = 'a.b*c+(d)?[e]{f}|g^$\\h';
    registerSecret(secret);
    expect(redact(`secret=${secret};`)).toBe('secret=[REDACTED];');
    // Were it used as a pattern, '.', '*' and '+' would match these lookalikes.
    const lookalike = 'aXbbbcc(d)?[e]{f}|g^$\\h';
    expect(redact(lookalike)).toBe(lookalike);
    expect(redact('g')).toBe('g');
  });

  it('redacts the longer of two overlapping secrets whole', () => {
    registerSecret('overlap-abc');
    registerSecret('overlap-abc-def-ghi');
    expect(redact('x overlap-abc-def-ghi y')).toBe('x [REDACTED] y');
  });

  it('ignores secrets too short to redact safely', () => {
    registerSecret('abc');
    registerSecret('');
    registerSecret(undefined);
    registerSecret(null);
    expect(redact('abc abc')).toBe('abc abc');
  });

  it('redactUnknown handles strings, objects and unserialisable values', () => {
    const secret = 'unknown-secret-999';
    registerSecret(secret);
    expect(redactUnknown(secret)).toBe('[REDACTED]');
    expect(redactUnknown({ key: secret })).toBe('{"key":"[REDACTED]"}');
    const cyclic: Record<string, unknown> = { secret };
    cyclic.self = cyclic;
    expect(redactUnknown(cyclic)).toBe('[object Object]');
    expect(redactUnknown(undefined)).toBe('undefined');
  });
});
