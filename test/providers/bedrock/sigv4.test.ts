import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  amzDate,
  awsUriEncode,
  canonicalQuery,
  canonicalUri,
  deriveSigningKey,
  sha256Hex,
  signRequest,
  toHex,
} from '../../../src/providers/bedrock/sigv4.js';
import { authorizationFor } from './helpers.js';

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const DATE = new Date('2015-08-30T12:36:00Z');

describe('SigV4: AWS published vectors', () => {
  it('the IAM ListUsers example of the SigV4 documentation', async () => {
    const result = await signRequest({
      method: 'GET',
      url: 'https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '',
      credentials: EXAMPLE,
      region: 'us-east-1',
      service: 'iam',
      date: DATE,
    });
    expect(result.canonicalRequest).toBe(
      [
        'GET',
        '/',
        'Action=ListUsers&Version=2010-05-08',
        'content-type:application/x-www-form-urlencoded; charset=utf-8',
        'host:iam.amazonaws.com',
        'x-amz-date:20150830T123600Z',
        '',
        'content-type;host;x-amz-date',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ].join('\n'),
    );
    expect(result.stringToSign).toBe(
      'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59',
    );
    expect(result.signature).toBe('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
    expect(result.headers).toEqual({
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
      'x-amz-date': '20150830T123600Z',
    });
  });

  it('aws-sig-v4-test-suite get-vanilla', async () => {
    const result = await signRequest({
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: undefined,
      credentials: EXAMPLE,
      region: 'us-east-1',
      service: 'service',
      date: DATE,
    });
    expect(result.signature).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
    expect(result.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it('the signing-key derivation example of the SigV4 documentation', async () => {
    const key = await deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam');
    expect(toHex(key)).toBe('f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
  });

  it('SHA-256 of the empty payload', async () => {
    expect(await sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex(new TextEncoder().encode(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('SigV4: canonical forms', () => {
  it.each<[string, string]>([
    ['', '/'],
    ['/', '/'],
    ['/model/amazon.nova-lite-v1%3A0/converse', '/model/amazon.nova-lite-v1%253A0/converse'],
    [
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream',
      '/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Ainference-profile%252Fus.anthropic.claude-haiku-4-5-20251001-v1%253A0/converse-stream',
    ],
    ['/a%20b/c', '/a%2520b/c'],
    ['/a/./b/../c', '/a/c'],
    ['//a//b', '/a/b'],
    ['/a/b/', '/a/b/'],
    ['/~user/-._', '/~user/-._'],
  ])('canonicalUri(%j) = %j (non-S3: the sent path encoded again, normalized)', (path, expected) => {
    expect(canonicalUri(path)).toBe(expected);
  });

  it.each<[string, string]>([
    ['', ''],
    ['?', ''],
    ['?Version=2010-05-08&Action=ListUsers', 'Action=ListUsers&Version=2010-05-08'],
    ['?b=2&a=2&a=1', 'a=1&a=2&b=2'],
    ['?key', 'key='],
    ['?q=a+b&r=%7e&s=%2F', 'q=a%20b&r=~&s=%2F'],
  ])('canonicalQuery(%j) = %j', (search, expected) => {
    expect(canonicalQuery(search)).toBe(expected);
  });

  it('awsUriEncode leaves only unreserved characters', () => {
    expect(awsUriEncode("a-._~!'()*: /é")).toBe('a-._~%21%27%28%29%2A%3A%20%2F%C3%A9');
  });

  it('amzDate', () => {
    expect(amzDate(new Date('2026-03-15T09:05:07.123Z'))).toBe('20260315T090507Z');
  });

  it('header values are trimmed with inner spaces collapsed; names lower-cased and sorted', async () => {
    const result = await signRequest({
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      headers: { 'X-Amz-Meta': '  a   b  ', 'Content-Type': 'application/json' },
      body: '{}',
      credentials: EXAMPLE,
      region: 'us-east-1',
      service: 'service',
      date: DATE,
    });
    expect(result.canonicalRequest.split('\n').slice(3, 8)).toEqual([
      'content-type:application/json',
      'host:example.amazonaws.com',
      'x-amz-date:20150830T123600Z',
      'x-amz-meta:a b',
      '',
    ]);
  });

  it('a session token is signed and sent as x-amz-security-token', async () => {
    const credentials = { ...EXAMPLE, sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN//==' };
    const result = await signRequest({
      method: 'POST',
      url: 'https://bedrock-runtime.eu-west-3.amazonaws.com/model/mistral.mistral-large-2407-v1%3A0/converse',
      headers: { 'content-type': 'application/json' },
      body: '{"messages":[]}',
      credentials,
      region: 'eu-west-3',
      service: 'bedrock',
      date: DATE,
    });
    const canonical = [
      'POST',
      '/model/mistral.mistral-large-2407-v1%253A0/converse',
      '',
      'content-type:application/json',
      'host:bedrock-runtime.eu-west-3.amazonaws.com',
      'x-amz-date:20150830T123600Z',
      'x-amz-security-token:FwoGZXIvYXdzEXAMPLETOKEN//==',
      '',
      'content-type;host;x-amz-date;x-amz-security-token',
      createHash('sha256').update('{"messages":[]}').digest('hex'),
    ];
    expect(result.canonicalRequest).toBe(canonical.join('\n'));
    expect(result.headers).toEqual({
      authorization: authorizationFor(canonical.join('\n'), 'content-type;host;x-amz-date;x-amz-security-token', '20150830T123600Z', 'eu-west-3', credentials),
      'x-amz-date': '20150830T123600Z',
      'x-amz-security-token': 'FwoGZXIvYXdzEXAMPLETOKEN//==',
    });
  });

  it('a non-default port is part of the signed host', async () => {
    const result = await signRequest({
      method: 'POST',
      url: 'http://127.0.0.1:4566/model/x/converse',
      headers: {},
      body: '',
      credentials: EXAMPLE,
      region: 'us-east-1',
      service: 'bedrock',
      date: DATE,
    });
    expect(result.canonicalRequest).toContain('\nhost:127.0.0.1:4566\n');
  });
});
