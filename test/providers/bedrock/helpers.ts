import { type TestContext, testContext } from '../../helpers/adapter.js';
/**
 * Test helpers for Bedrock: a small AWS event-stream encoder (independent of the decoder under
 * test: its CRC is node:zlib's), fixture transcripts, an independent SigV4 signer on node:crypto,
 * and stream collection.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { HttpResponse } from 'msw';
import type { StreamEvent, StreamMapper } from '../../../src/providers/adapter.js';
import type { ChatCompletionChunk } from '../../../src/request/types.js';

const FIXTURES = new URL('../../fixtures/bedrock/', import.meta.url);

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export function fixtureJson(name: string): unknown {
  return JSON.parse(fixture(name)) as unknown;
}

// ---------------------------------------------------------------------------------------------
// Event-stream encoding

export type HeaderValue =
  | { type: 'true' }
  | { type: 'false' }
  | { type: 'byte'; value: number }
  | { type: 'short'; value: number }
  | { type: 'int'; value: number }
  | { type: 'long'; value: bigint }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'string'; value: string }
  | { type: 'timestamp'; value: bigint }
  | { type: 'uuid'; value: Uint8Array };

const TYPE_CODES: Record<HeaderValue['type'], number> = {
  true: 0,
  false: 1,
  byte: 2,
  short: 3,
  int: 4,
  long: 5,
  bytes: 6,
  string: 7,
  timestamp: 8,
  uuid: 9,
};

const utf8 = new TextEncoder();

function encodeHeader(name: string, value: HeaderValue): Uint8Array {
  const nameBytes = utf8.encode(name);
  let body: Uint8Array;
  switch (value.type) {
    case 'true':
    case 'false':
      body = new Uint8Array(0);
      break;
    case 'byte':
      body = Uint8Array.of(value.value & 0xff);
      break;
    case 'short': {
      body = new Uint8Array(2);
      new DataView(body.buffer).setInt16(0, value.value);
      break;
    }
    case 'int': {
      body = new Uint8Array(4);
      new DataView(body.buffer).setInt32(0, value.value);
      break;
    }
    case 'long':
    case 'timestamp': {
      body = new Uint8Array(8);
      new DataView(body.buffer).setBigInt64(0, value.value);
      break;
    }
    case 'bytes':
    case 'string': {
      const raw = value.type === 'string' ? utf8.encode(value.value) : value.value;
      body = new Uint8Array(2 + raw.length);
      new DataView(body.buffer).setUint16(0, raw.length);
      body.set(raw, 2);
      break;
    }
    case 'uuid':
      body = value.value;
      break;
  }
  const out = new Uint8Array(1 + nameBytes.length + 1 + body.length);
  out[0] = nameBytes.length;
  out.set(nameBytes, 1);
  out[1 + nameBytes.length] = TYPE_CODES[value.type];
  out.set(body, 2 + nameBytes.length);
  return out;
}

/** One event-stream message, byte for byte as AWS frames it. */
export function encodeMessage(headers: Array<[string, HeaderValue]>, payload: string | Uint8Array): Uint8Array {
  const headerBytes = headers.map(([name, value]) => encodeHeader(name, value));
  const headersLength = headerBytes.reduce((n, h) => n + h.length, 0);
  const payloadBytes = typeof payload === 'string' ? utf8.encode(payload) : payload;
  const total = 12 + headersLength + payloadBytes.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLength);
  view.setUint32(8, crc32(out.subarray(0, 8)));
  let at = 12;
  for (const h of headerBytes) {
    out.set(h, at);
    at += h.length;
  }
  out.set(payloadBytes, at);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

const str = (value: string): HeaderValue => ({ type: 'string', value });

/** A Bedrock event message, headers in the order AWS sends them. */
export function eventMessage(eventType: string, payload: string): Uint8Array {
  return encodeMessage(
    [
      [':event-type', str(eventType)],
      [':content-type', str('application/json')],
      [':message-type', str('event')],
    ],
    payload,
  );
}

export function exceptionMessage(exceptionType: string, payload: string): Uint8Array {
  return encodeMessage(
    [
      [':exception-type', str(exceptionType)],
      [':content-type', str('application/json')],
      [':message-type', str('exception')],
    ],
    payload,
  );
}

export function errorMessage(code: string, message: string): Uint8Array {
  return encodeMessage(
    [
      [':error-code', str(code)],
      [':error-message', str(message)],
      [':message-type', str('error')],
    ],
    '',
  );
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A transcript fixture: one message per line, `event <type> <payload>`, `exception <type>
 * <payload>` or `error <code> <message>`; blank lines and `#` comments ignored.
 */
export function transcriptMessages(text: string): Uint8Array[] {
  const messages: Uint8Array[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^(event|exception|error) (\S+) (.*)$/.exec(line);
    if (match === null) throw new Error(`bad transcript line: ${line}`);
    const [, kind, type, rest] = match as unknown as [string, string, string, string];
    messages.push(kind === 'event' ? eventMessage(type, rest) : kind === 'exception' ? exceptionMessage(type, rest) : errorMessage(type, rest));
  }
  return messages;
}

/** The bytes of a transcript fixture. */
export function transcript(name: string): Uint8Array {
  return concat(transcriptMessages(fixture(name)));
}

/** The events a decoder should deliver for a transcript, for feeding mappers directly. */
export function transcriptEvents(name: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const line of fixture(name).split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [, kind, type, rest] = /^(event|exception|error) (\S+) (.*)$/.exec(line) as unknown as [string, string, string, string];
    events.push(kind === 'event' ? { event: type, data: rest } : { event: `${kind}:${type}`, data: rest });
  }
  return events;
}

/** A binary event-stream response, delivered in uneven pieces (preludes split across pieces). */
export function eventStreamResponse(bytes: Uint8Array, pieceSize = 7): Response {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += pieceSize) controller.enqueue(bytes.slice(at, at + pieceSize));
      controller.close();
    },
  });
  return new HttpResponse(stream, { headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-stream-1' } });
}

// ---------------------------------------------------------------------------------------------
// Independent SigV4 (node:crypto), for asserting exact signatures

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** Signs a canonical request given literally; returns the authorization header. */
export function authorizationFor(canonicalRequest: string, signedHeaders: string, stamp: string, region: string, creds: Credentials, service = 'bedrock'): string {
  const date = stamp.slice(0, 8);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${sha256(canonicalRequest)}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

/**
 * The authorization header a Bedrock POST must carry: canonical URI = the sent path with every
 * segment encoded again; signed headers content-type, host, x-amz-date (+ x-amz-security-token).
 */
export function expectedBedrockAuthorization(url: string, body: string, stamp: string, region: string, creds: Credentials): string {
  const { host, pathname } = new URL(url);
  const canonicalUri = pathname
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  const headers: Array<[string, string]> = [
    ['content-type', 'application/json'],
    ['host', host],
    ['x-amz-date', stamp],
  ];
  if (creds.sessionToken !== undefined) headers.push(['x-amz-security-token', creds.sessionToken]);
  const signed = headers.map(([name]) => name).join(';');
  const canonical = ['POST', canonicalUri, '', headers.map(([n, v]) => `${n}:${v}\n`).join(''), signed, sha256(body)].join('\n');
  return authorizationFor(canonical, signed, stamp, region, creds);
}

// ---------------------------------------------------------------------------------------------
// Contexts and stream collection

export { type Collected, type CollectedToolCall, collect, headerLookup, type TestContext } from '../../helpers/adapter.js';

export function context(model = 'anthropic.claude-haiku-4-5-20251001-v1:0', stream = false, provider = 'bedrock'): TestContext {
  return testContext(provider, model, stream);
}


/** Feeds every event of a transcript fixture to a mapper. */
export function runMapper(mapper: StreamMapper, name: string): ChatCompletionChunk[] {
  const out: ChatCompletionChunk[] = [];
  for (const event of transcriptEvents(name)) mapper.push(event, out);
  return out;
}
