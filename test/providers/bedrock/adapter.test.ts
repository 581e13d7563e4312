/** The bedrock() factory: configuration, credentials, signing inputs, redaction. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthenticationError, ValidationError } from '../../../src/errors/index.js';
import { redact } from '../../../src/http/redact.js';
import { configuredFromEnv } from '../../../src/providers/bedrock/env.js';
import { bedrock, type BedrockSettings } from '../../../src/providers/bedrock/index.js';
import type { ChatCompletionCreateParams } from '../../../src/request/types.js';
import { context, expectedBedrockAuthorization } from './helpers.js';

const AWS_ENV = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_BEARER_TOKEN_BEDROCK'];
beforeEach(() => {
  vi.unstubAllEnvs();
  for (const name of AWS_ENV) vi.stubEnv(name, '');
});

const CREDS = { accessKeyId: 'AKIAI44QH8DHBEXAMPLE', secretAccessKey: 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY' };
const NOW = new Date('2026-01-02T03:04:05Z');
const PARAMS: ChatCompletionCreateParams = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };

async function build(settings: BedrockSettings, model = 'amazon.nova-micro-v1:0', stream = false) {
  return bedrock({ now: () => NOW, ...settings }).buildRequest(PARAMS, context(model, stream));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('bedrock()', () => {
  it('describes itself and never throws at creation', () => {
    const adapter = bedrock();
    expect(adapter).toMatchObject({ kind: 'bedrock', name: 'bedrock', streamFormat: 'aws-eventstream', fetch: undefined });
    expect(adapter.hasCredentials()).toBe(false);
    const fetchImpl = (() => Promise.reject(new Error('unused'))) as unknown as typeof fetch;
    expect(bedrock({ fetch: fetchImpl }).fetch).toBe(fetchImpl);
  });

  it('streams go to /converse-stream', async () => {
    const request = await build({ region: 'us-east-1', credentials: CREDS }, 'amazon.nova-micro-v1:0', true);
    expect(request.url).toBe('https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-micro-v1%3A0/converse-stream');
    expect(request.method).toBe('POST');
    expect(request.headers.accept).toBeUndefined();
  });

  it.each<[string, Record<string, string>, BedrockSettings, boolean]>([
    ['nothing', {}, {}, false],
    ['keys without a region', { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-123456' }, {}, false],
    ['a key id without its secret', { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_REGION: 'us-east-1' }, {}, false],
    ['keys and AWS_REGION', { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-123456', AWS_REGION: 'us-east-1' }, {}, true],
    ['keys and AWS_DEFAULT_REGION', { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-123456', AWS_DEFAULT_REGION: 'eu-west-1' }, {}, true],
    ['keys and a region setting', { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-123456' }, { region: 'us-west-2' }, true],
    ['explicit credentials and a region', {}, { credentials: CREDS, region: 'us-west-2' }, true],
    ['explicit credentials without a region', {}, { credentials: CREDS }, false],
    ['a Bedrock API key in the environment and a region', { AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key-123456', AWS_REGION: 'us-east-1' }, {}, true],
    ['an apiKey with a baseURL (no region needed)', {}, { apiKey: 'bedrock-api-key-123456', baseURL: 'https://proxy.internal' }, true],
  ])('hasCredentials: %s → %s', (_name, env, settings, expected) => {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    expect(bedrock(settings).hasCredentials()).toBe(expected);
    // Configured from the environment (no settings) exactly when bedrock() would have credentials.
    if (Object.keys(settings).length === 0) expect(configuredFromEnv()).toBe(expected);
  });

  it('the region comes from a bedrock-runtime baseURL when nothing else gives it', async () => {
    const request = await build({ baseURL: 'https://bedrock-runtime.ap-northeast-1.amazonaws.com', credentials: CREDS });
    expect(request.headers.authorization).toContain('/20260102/ap-northeast-1/bedrock/aws4_request');
  });

  it('a baseURL without a recognizable region needs one to sign: ValidationError naming region', async () => {
    const error = await rejection(build({ baseURL: 'https://proxy.internal', credentials: CREDS }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('region');
  });

  it('credentials may be a function, called for every request (refreshed temporary credentials)', async () => {
    let calls = 0;
    const adapter = bedrock({
      region: 'us-east-1',
      now: () => NOW,
      credentials: async () => {
        calls += 1;
        return { ...CREDS, sessionToken: `token-number-${calls}` };
      },
    });
    const first = await adapter.buildRequest(PARAMS, context('amazon.nova-micro-v1:0'));
    const second = await adapter.buildRequest(PARAMS, context('amazon.nova-micro-v1:0'));
    expect(calls).toBe(2);
    expect(first.headers['x-amz-security-token']).toBe('token-number-1');
    expect(second.headers['x-amz-security-token']).toBe('token-number-2');
    expect(second.headers.authorization).toBe(
      expectedBedrockAuthorization(second.url, second.body as string, '20260102T030405Z', 'us-east-1', { ...CREDS, sessionToken: 'token-number-2' }),
    );
  });

  it('incomplete credentials → AuthenticationError without the secret', async () => {
    const error = await rejection(build({ region: 'us-east-1', credentials: { accessKeyId: '', secretAccessKey: 'do-not-leak-this-secret' } }));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(JSON.stringify(error)).not.toContain('do-not-leak-this-secret');
    expect((error as Error).message).not.toContain('do-not-leak-this-secret');
  });

  it('registers the secret key, session token and API keys for redaction', async () => {
    const secret = 'zzSecretAccessKeyForRedaction/0123456789';
    const token = 'zzSessionTokenForRedaction+abcdefghij==';
    await build({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: secret, sessionToken: token } });
    expect(redact(`x ${secret} y ${token}`)).toBe('x [REDACTED] y [REDACTED]');
    vi.stubEnv('AWS_BEARER_TOKEN_BEDROCK', 'zzBedrockApiKeyFromEnv123456');
    await build({ region: 'us-east-1' });
    expect(redact('zzBedrockApiKeyFromEnv123456')).toBe('[REDACTED]');
    await build({ region: 'us-east-1', apiKey: 'zzBedrockApiKeyExplicit123456' });
    expect(redact('zzBedrockApiKeyExplicit123456')).toBe('[REDACTED]');
  });

  it('precedence: an authorization header, then apiKey, then credentials, then the env API key, then env keys', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env-secret-123456');
    vi.stubEnv('AWS_BEARER_TOKEN_BEDROCK', 'env-bearer-123456');
    const region = { region: 'us-east-1' };
    expect((await build({ ...region, headers: { Authorization: 'Bearer mine-123456' }, credentials: CREDS })).headers).toMatchObject({ authorization: 'Bearer mine-123456' });
    expect((await build({ ...region, headers: { Authorization: 'Bearer mine-123456' } })).headers['x-amz-date']).toBeUndefined();
    expect((await build({ ...region, apiKey: 'explicit-key-123456', credentials: CREDS })).headers.authorization).toBe('Bearer explicit-key-123456');
    expect((await build({ ...region, credentials: CREDS })).headers.authorization).toContain(`Credential=${CREDS.accessKeyId}/`);
    expect((await build(region)).headers.authorization).toBe('Bearer env-bearer-123456');
    vi.stubEnv('AWS_BEARER_TOKEN_BEDROCK', '');
    expect((await build(region)).headers.authorization).toContain('Credential=AKIAIOSFODNN7EXAMPLE/');
  });

  it("the user's x-amz-* headers are signed; other headers are sent unsigned", async () => {
    const request = await build({ region: 'us-east-1', credentials: CREDS, headers: { 'X-Amz-Trace-Id': 'Root=1-abc', 'X-Team': 'search' } });
    expect(request.headers['x-amz-trace-id']).toBe('Root=1-abc');
    expect(request.headers['x-team']).toBe('search');
    expect(request.headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-trace-id,');
  });

  it('the response_format tool is remembered per request context for the response mapping', async () => {
    const adapter = bedrock({ region: 'us-east-1', credentials: CREDS });
    const ctx = context('amazon.nova-micro-v1:0');
    await adapter.buildRequest({ ...PARAMS, response_format: { type: 'json_object' } }, ctx);
    const body = { output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 't', name: 'json', input: { a: 1 } } }] } }, stopReason: 'tool_use', usage: {} };
    expect(adapter.parseResponse(body, ctx, () => null).choices[0]?.message.content).toBe('{"a":1}');
    // Another request (another context) did not ask for JSON: the same answer is a tool call.
    expect(adapter.parseResponse(body, context('amazon.nova-micro-v1:0'), () => null).choices[0]?.message.tool_calls).toHaveLength(1);
  });
});
