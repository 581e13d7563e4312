/**
 * AWS Signature Version 4, on Web Crypto only (`globalThis.crypto.subtle`: HMAC-SHA256 and
 * SHA-256), so it runs on Node, Deno, Bun and edge runtimes without `node:crypto`.
 *
 * Follows AWS's published rules ("Create a signed AWS API request"):
 * 1. canonical request = method, canonical URI, canonical query, canonical headers, signed
 *    headers, hex SHA-256 of the payload, joined by `\n`;
 * 2. string to sign = `AWS4-HMAC-SHA256`, the amz date, the scope
 *    `yyyymmdd/region/service/aws4_request`, hex SHA-256 of the canonical request;
 * 3. signing key = HMAC chain `AWS4`+secret → date → region → service → `aws4_request`;
 * 4. `authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
 *
 * Canonical URI: the path as sent (already URI-encoded once), normalized (empty, `.` and `..`
 * segments removed) and each segment URI-encoded again, as AWS requires for every service but S3
 * (so a model id's `:` is `%3A` in the URL and `%253A` in the canonical request).
 * `x-amz-content-sha256` is not sent: only S3 requires it.
 */

/** AWS credentials; the secret key and session token are never put in any error. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignInput {
  method: string;
  url: string;
  /** Headers to sign besides `host`, `x-amz-date` and `x-amz-security-token`; names lower case. */
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  credentials: AwsCredentials;
  region: string;
  service: string;
  date: Date;
}

export interface SignResult {
  /** The headers to add to the request: `authorization`, `x-amz-date`, and `x-amz-security-token` with a session token. */
  headers: Record<string, string>;
  /** Intermediate values, for tests and debugging. */
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

const encoder = new TextEncoder();

function subtle(): SubtleCrypto {
  const crypto = (globalThis as { crypto?: Crypto }).crypto;
  if (crypto?.subtle === undefined) throw new Error('SigV4 signing needs Web Crypto (globalThis.crypto.subtle)');
  return crypto.subtle;
}

function toBytes(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  if (typeof data === 'string') return encoder.encode(data);
  const copy = new Uint8Array(data.length);
  copy.set(data);
  return copy;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(buffer: ArrayBuffer | Uint8Array): string {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await subtle().digest('SHA-256', toBytes(data)));
}

async function hmac(key: Uint8Array | ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const raw = key instanceof Uint8Array ? toBytes(key) : key;
  const cryptoKey = await subtle().importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return subtle().sign('HMAC', cryptoKey, encoder.encode(data));
}

/** The signing key: HMAC chain over the scope's date, region, service and `aws4_request`. */
export async function deriveSigningKey(secretAccessKey: string, dateStamp: string, region: string, service: string): Promise<ArrayBuffer> {
  const kDate = await hmac(encoder.encode(`AWS4${secretAccessKey}`), dateStamp);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/** AWS URI encoding: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX` (upper-case hex). */
export function awsUriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI of a path as it is sent (already encoded once): normalized, then every
 * segment encoded again (non-S3 services). `/` for an empty path.
 */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  if (segments.length === 0) return '/';
  const trailing = path.endsWith('/') ? '/' : '';
  return `/${segments.map(awsUriEncode).join('/')}${trailing}`;
}

function decodeQueryPart(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** The canonical query string: each name and value AWS-encoded, sorted by name then value. */
export function canonicalQuery(search: string): string {
  const query = search.startsWith('?') ? search.slice(1) : search;
  if (query === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([awsUriEncode(decodeQueryPart(name)), awsUriEncode(decodeQueryPart(value))]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** `20150830T123600Z` */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Signs a request: returns the headers to add and the intermediate strings. */
export async function signRequest(input: SignInput): Promise<SignResult> {
  const url = new URL(input.url);
  const stamp = amzDate(input.date);
  const dateStamp = stamp.slice(0, 8);
  const toSign: Record<string, string> = {};
  for (const name of Object.keys(input.headers)) toSign[name.toLowerCase()] = input.headers[name]!;
  toSign.host = url.host;
  toSign['x-amz-date'] = stamp;
  const token = input.credentials.sessionToken;
  if (token !== undefined && token !== '') toSign['x-amz-security-token'] = token;

  const names = Object.keys(toSign).sort();
  const canonicalHeaders = names.map((name) => `${name}:${toSign[name]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const payloadHash = await sha256Hex(input.body ?? '');
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${dateStamp}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, await sha256Hex(canonicalRequest)].join('\n');
  const key = await deriveSigningKey(input.credentials.secretAccessKey, dateStamp, input.region, input.service);
  const signature = toHex(await hmac(key, stringToSign));

  const headers: Record<string, string> = {
    authorization: `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    'x-amz-date': stamp,
  };
  if (toSign['x-amz-security-token'] !== undefined) headers['x-amz-security-token'] = toSign['x-amz-security-token'];
  return { headers, canonicalRequest, stringToSign, signature };
}
