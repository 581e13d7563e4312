/**
 * AWS Bedrock, through the Converse and ConverseStream APIs.
 *
 * `POST {baseURL}/model/{modelId}/converse` (or `/converse-stream`), the model id (model,
 * inference-profile id or ARN) URI-encoded into one path segment, as the AWS SDK does.
 *
 * Authentication, first found wins:
 * 1. an `authorization` header in `headers` (sent as given);
 * 2. `apiKey` — a Bedrock API key, sent as `authorization: Bearer …`;
 * 3. `credentials` — signed with SigV4 (service `bedrock`);
 * 4. `AWS_BEARER_TOKEN_BEDROCK` — a Bedrock API key from the environment (as the AWS SDK);
 * 5. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) — SigV4.
 * Nothing found is an `AuthenticationError` when the request is built; the secret key, session
 * token and API key are registered for redaction. SigV4 signs `host`, `content-type`, `x-amz-date`,
 * `x-amz-security-token` and any `x-amz-*` header of `headers`; gateway and per-request headers
 * are added after signing and are not signed (SigV4 allows unsigned headers).
 *
 * Region: `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else (with a `baseURL` of the
 * form `https://bedrock-runtime.<region>.amazonaws.com`) the URL's; none is a `ValidationError`
 * naming `region` when the request is built (never at import or creation).
 */
import { AuthenticationError, ValidationError } from '../../errors/classes.js';
import { normalizeHeaders } from '../../http/headers.js';
import { registerSecret } from '../../http/redact.js';
import type { HttpRequest } from '../../http/transport.js';
import type { AdapterContext, ProviderAdapter } from '../adapter.js';
import { loadApiKey, readEnv } from '../env.js';
import { BEARER_ENV, envCredentials, envRegion, KEY_ID_ENV, SECRET_ENV } from './env.js';
import { parseBedrockError } from './errors.js';
import { buildConverseRequest } from './request.js';
import { parseConverseResponse } from './response.js';
import { type AwsCredentials, awsUriEncode, signRequest } from './sigv4.js';
import { BedrockStreamMapper } from './stream.js';

export type { AwsCredentials } from './sigv4.js';

export interface BedrockSettings {
  /** AWS region, e.g. `us-east-1`; default `AWS_REGION`, then `AWS_DEFAULT_REGION`. */
  region?: string;
  /**
   * AWS credentials for SigV4, or a function returning them (called for every request, so it can
   * refresh temporary credentials). Default: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
   * `AWS_SESSION_TOKEN`.
   */
  credentials?: AwsCredentials | (() => AwsCredentials | Promise<AwsCredentials>);
  /** A Bedrock API key (`authorization: Bearer`); default `AWS_BEARER_TOKEN_BEDROCK` (when no explicit credentials). */
  apiKey?: string;
  /** Default `https://bedrock-runtime.{region}.amazonaws.com`. A trailing `/` is removed. */
  baseURL?: string;
  /** Extra request headers (names lower-cased); an `authorization` header here replaces all signing. */
  headers?: Record<string, string>;
  /** A `fetch` to use for this provider. */
  fetch?: typeof fetch;
  /** Test only: the clock used for SigV4 dates, so that signatures are deterministic. */
  now?: () => Date;
}

const SERVICE = 'bedrock';

/** The region in a Bedrock runtime endpoint's host name, if it is one. */
function regionFromURL(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  return /^https?:\/\/bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::\d+)?(?:\/|$)/i.exec(url)?.[1];
}

type Auth = { kind: 'header' } | { kind: 'bearer'; token: string } | { kind: 'sigv4'; credentials: AwsCredentials };

function checkCredentials(value: unknown, ctx: AdapterContext): AwsCredentials {
  const creds = value as Partial<AwsCredentials> | null | undefined;
  if (typeof creds?.accessKeyId !== 'string' || creds.accessKeyId === '' || typeof creds.secretAccessKey !== 'string' || creds.secretAccessKey === '') {
    throw new AuthenticationError(`The credentials for provider "${ctx.provider}" need accessKeyId and secretAccessKey`, {
      provider: ctx.provider,
      retryable: false,
    });
  }
  const sessionToken = typeof creds.sessionToken === 'string' && creds.sessionToken !== '' ? creds.sessionToken : undefined;
  return { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken };
}

export function bedrock(settings: BedrockSettings = {}): ProviderAdapter {
  const userHeaders = normalizeHeaders(settings.headers);
  const explicitBase = settings.baseURL === undefined ? undefined : settings.baseURL.replace(/\/+$/, '');
  const now = settings.now ?? (() => new Date());
  /** The `response_format` tool of each request, by its context (the same object reaches the response mapping). */
  const jsonTools = new WeakMap<AdapterContext, string>();

  function region(): string | undefined {
    return settings.region ?? envRegion() ?? regionFromURL(explicitBase);
  }

  async function resolveAuth(ctx: AdapterContext): Promise<Auth> {
    if (userHeaders.authorization !== undefined) return { kind: 'header' };
    if (settings.apiKey !== undefined) {
      return { kind: 'bearer', token: loadApiKey({ explicit: settings.apiKey, envNames: [], provider: ctx.provider, required: true })! };
    }
    let credentials: AwsCredentials | undefined;
    if (settings.credentials !== undefined) {
      const given = typeof settings.credentials === 'function' ? await settings.credentials() : settings.credentials;
      credentials = checkCredentials(given, ctx);
    } else {
      const bearer = loadApiKey({ explicit: undefined, envNames: [BEARER_ENV], provider: ctx.provider, required: false });
      if (bearer !== undefined) return { kind: 'bearer', token: bearer };
      credentials = envCredentials();
    }
    if (credentials === undefined) {
      throw new AuthenticationError(
        `No AWS credentials for provider "${ctx.provider}": pass credentials or apiKey, or set ${KEY_ID_ENV} and ${SECRET_ENV} (or ${BEARER_ENV})`,
        { provider: ctx.provider, retryable: false },
      );
    }
    registerSecret(credentials.secretAccessKey);
    registerSecret(credentials.sessionToken);
    return { kind: 'sigv4', credentials };
  }

  function missingRegion(ctx: AdapterContext): ValidationError {
    return new ValidationError(
      [{ path: 'region', message: `no AWS region for provider "${ctx.provider}": pass region or set AWS_REGION (or AWS_DEFAULT_REGION)` }],
      { provider: ctx.provider, model: ctx.model },
    );
  }

  return {
    kind: 'bedrock',
    name: 'bedrock',
    streamFormat: 'aws-eventstream',
    fetch: settings.fetch,

    async buildRequest(params, ctx): Promise<HttpRequest> {
      const plan = buildConverseRequest(params, ctx);
      const awsRegion = region();
      if (explicitBase === undefined && awsRegion === undefined) throw missingRegion(ctx);
      const base = explicitBase ?? `https://bedrock-runtime.${awsRegion}.amazonaws.com`;
      const url = `${base}/model/${awsUriEncode(ctx.model)}/${ctx.stream ? 'converse-stream' : 'converse'}`;
      const body = JSON.stringify(plan.body);
      const headers: Record<string, string> = { 'content-type': 'application/json', ...userHeaders };

      const auth = await resolveAuth(ctx);
      if (auth.kind === 'bearer') {
        headers.authorization = `Bearer ${auth.token}`;
      } else if (auth.kind === 'sigv4') {
        if (awsRegion === undefined) throw missingRegion(ctx);
        const toSign: Record<string, string> = { 'content-type': headers['content-type']! };
        for (const name of Object.keys(headers)) if (name.startsWith('x-amz-')) toSign[name] = headers[name]!;
        const signed = await signRequest({
          method: 'POST',
          url,
          headers: toSign,
          body,
          credentials: auth.credentials,
          region: awsRegion,
          service: SERVICE,
          date: now(),
        });
        Object.assign(headers, signed.headers);
      }
      if (plan.jsonTool !== undefined) jsonTools.set(ctx, plan.jsonTool);
      return { url, method: 'POST', headers, body };
    },

    parseResponse: (body, ctx, header) => parseConverseResponse(body, ctx, header, jsonTools.get(ctx)),
    createStreamMapper: (ctx) => new BedrockStreamMapper(ctx, jsonTools.get(ctx)),
    parseError: (status, bodyText, header, ctx) => parseBedrockError(status, bodyText, header, ctx),

    hasCredentials(): boolean {
      if (userHeaders.authorization !== undefined || settings.apiKey !== undefined) return explicitBase !== undefined || region() !== undefined;
      if (settings.credentials !== undefined) return region() !== undefined;
      if (readEnv(BEARER_ENV) !== undefined) return explicitBase !== undefined || region() !== undefined;
      return envCredentials() !== undefined && region() !== undefined;
    },
  };
}
