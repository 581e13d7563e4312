import type { ErrorDetails } from '../../errors/base.js';
import {
  AuthenticationError,
  BadRequestError,
  ContextWindowExceededError,
  NotFoundError,
  PermissionError,
  type ProviderError,
  ProviderOverloadedError,
  QuotaExceededError,
  RateLimitError,
  ServerError,
} from '../../errors/classes.js';
import { parseRetryAfter } from '../../http/retry-after.js';
import type { AdapterContext } from '../adapter.js';
import { classifyProviderError } from '../shared/error-classify.js';
import { excerpt, isRecord, parseJson, readString } from '../shared/json.js';

type Header = (name: string) => string | null;

/**
 * Bedrock error types, by the name AWS uses in `x-amzn-ErrorType` / `__type` (in streams the
 * exception type is the same name with a lower-case first letter), with the status each one is
 * documented with. Throttling has no `Retry-After`: the gateway's backoff applies.
 */
const ERROR_TYPES: Readonly<Record<string, { status: number; create: (message: string, details: ErrorDetails) => ProviderError }>> = {
  ThrottlingException: { status: 429, create: (m, d) => new RateLimitError(m, d) },
  ServiceQuotaExceededException: { status: 400, create: (m, d) => new QuotaExceededError(m, d) },
  AccessDeniedException: { status: 403, create: (m, d) => new PermissionError(m, d) },
  UnrecognizedClientException: { status: 403, create: (m, d) => new AuthenticationError(m, d) },
  InvalidSignatureException: { status: 403, create: (m, d) => new AuthenticationError(m, d) },
  IncompleteSignatureException: { status: 403, create: (m, d) => new AuthenticationError(m, d) },
  MissingAuthenticationTokenException: { status: 403, create: (m, d) => new AuthenticationError(m, d) },
  ExpiredTokenException: { status: 403, create: (m, d) => new AuthenticationError(m, d) },
  ValidationException: {
    status: 400,
    create: (m, d) => (CONTEXT_MESSAGE.test(m) ? new ContextWindowExceededError(m, d) : new BadRequestError(m, d)),
  },
  ResourceNotFoundException: { status: 404, create: (m, d) => new NotFoundError(m, d) },
  ModelTimeoutException: { status: 408, create: (m, d) => new ServerError(m, { ...d, retryable: true }) },
  ModelNotReadyException: { status: 429, create: (m, d) => new ServerError(m, { ...d, retryable: true }) },
  ModelErrorException: { status: 424, create: (m, d) => new ServerError(m, d) },
  ModelStreamErrorException: { status: 424, create: (m, d) => new ServerError(m, d) },
  InternalServerException: { status: 500, create: (m, d) => new ServerError(m, d) },
  ServiceUnavailableException: { status: 503, create: (m, d) => new ProviderOverloadedError(m, d) },
};

/** Bedrock's wording for a prompt over the model's context window (a `ValidationException`). */
const CONTEXT_MESSAGE = /input is too long|prompt is too long|too many (?:input )?tokens|context (?:window|length)|maximum context|exceeds? the maximum (?:number of )?(?:input )?tokens/i;

/**
 * The error type: `x-amzn-ErrorType: ThrottlingException:http://internal.amazon.com/…` (the part
 * before `:`), else the body's `__type` (`com.amazonaws…#ValidationException`: the part after `#`).
 */
export function errorType(header: Header, body: unknown): string | undefined {
  const fromHeader = header('x-amzn-errortype');
  const raw = fromHeader !== null && fromHeader.trim() !== '' ? fromHeader : isRecord(body) ? readString(body.__type) : undefined;
  if (raw === undefined) return undefined;
  const name = raw.split(':')[0]!.split('#').pop()!.trim();
  return name === '' ? undefined : name;
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export interface BedrockErrorInput {
  /** The error type, e.g. `ThrottlingException` (either capitalization). */
  type: string | undefined;
  message: string;
  /** The HTTP status; `undefined` for an exception inside a stream (the type's documented status is used). */
  status: number | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
}

/** Maps a Bedrock error (HTTP or in-stream exception) to its typed error. */
export function toBedrockError(input: BedrockErrorInput, ctx: AdapterContext): ProviderError {
  const type = input.type === undefined ? undefined : capitalize(input.type);
  // Own keys only: a type named `__proto__` must not find Object.prototype.
  const known = type === undefined || !Object.hasOwn(ERROR_TYPES, type) ? undefined : ERROR_TYPES[type];
  const status = input.status ?? known?.status;
  const text = input.message === '' ? '(no error message)' : input.message;
  if (known === undefined) {
    return classifyProviderError({
      message: type === undefined ? text : `${text} (${type})`,
      type,
      provider: ctx.provider,
      model: ctx.model,
      status,
      requestId: input.requestId,
      retryAfterMs: input.retryAfterMs,
    });
  }
  const details: ErrorDetails = {
    provider: ctx.provider,
    model: ctx.model,
    status,
    requestId: input.requestId,
    providerCode: type,
    retryAfterMs: input.retryAfterMs,
  };
  return known.create(`${ctx.provider} ${status ?? 'error'}: ${type}: ${text}`, details);
}

/** The message of a Bedrock error body: `message` (sometimes `Message`), else an excerpt of the text. */
function bodyMessage(body: unknown, text: string): string {
  if (isRecord(body)) return readString(body.message) ?? readString(body.Message) ?? '';
  return excerpt(text);
}

/** A non-2xx answer: `{"message":…}` plus `x-amzn-ErrorType` (or `__type`) → the typed error. */
export function parseBedrockError(status: number, bodyText: string, header: Header, ctx: AdapterContext): ProviderError {
  const parsed = bodyText.trim() === '' ? undefined : parseJson(bodyText);
  const body = parsed?.ok === true ? parsed.value : undefined;
  return toBedrockError(
    {
      type: errorType(header, body),
      message: parsed === undefined ? '' : bodyMessage(body, bodyText),
      status,
      requestId: header('x-amzn-requestid') ?? undefined,
      retryAfterMs: parseRetryAfter(header),
    },
    ctx,
  );
}

/**
 * An exception inside a stream: `exception:<type>` events carry `{"message":…}`; `error:<code>`
 * events carry the message itself.
 */
export function parseStreamException(kind: 'exception' | 'error', type: string, data: string, ctx: AdapterContext): ProviderError {
  let message = data;
  if (kind === 'exception') {
    const parsed = parseJson(data);
    message = parsed.ok ? bodyMessage(parsed.value, data) : excerpt(data);
  }
  return toBedrockError({ type: type === '' ? undefined : type, message, status: undefined }, ctx);
}
