/**
 * Typed modelmux errors → OpenAI error JSON (`{ error: { message, type, param, code } }`) and an
 * HTTP status, chosen so that the official `openai` client raises its own matching class
 * (`BadRequestError` for 400, `AuthenticationError` 401, `PermissionDeniedError` 403,
 * `NotFoundError` 404, `RateLimitError` 429, `InternalServerError` ≥ 500).
 *
 * | modelmux code              | status | type                    | code                         |
 * |----------------------------|--------|-------------------------|------------------------------|
 * | validation_error           | 400    | invalid_request_error   | validation_error (param = field) |
 * | bad_request                | 400    | invalid_request_error   | bad_request                  |
 * | context_window_exceeded    | 400    | invalid_request_error   | context_length_exceeded      |
 * | content_policy             | 400    | invalid_request_error   | content_filter               |
 * | authentication_error       | 401    | authentication_error    | authentication_error         |
 * | permission_error           | 403    | permission_error        | permission_error             |
 * | budget_exceeded (model not allowed) | 403 | permission_error   | model_not_allowed            |
 * | not_found                  | 404    | invalid_request_error   | model_not_found (param = model) |
 * | rate_limit                 | 429    | rate_limit_error        | rate_limit_exceeded          |
 * | quota_exceeded             | 429    | insufficient_quota      | insufficient_quota           |
 * | budget_exceeded            | 429    | insufficient_quota      | budget_exceeded              |
 * | local_rate_limit           | 429    | rate_limit_error        | local_rate_limit             |
 * | aborted                    | 499    | invalid_request_error   | aborted                      |
 * | server_error               | 500    | server_error            | server_error                 |
 * | connection_error           | 502    | server_error            | connection_error             |
 * | invalid_response           | 502    | server_error            | invalid_response             |
 * | stream_error               | 502    | server_error            | stream_error                 |
 * | overloaded                 | 503    | server_error            | overloaded                   |
 * | no_route                   | 503    | server_error            | no_route                     |
 * | budget_store_unavailable   | 503    | server_error            | budget_store_unavailable     |
 * | timeout                    | 504    | server_error            | timeout                      |
 * | anything else              | 500    | server_error            | internal_error               |
 *
 * `retry-after` (whole seconds, rounded up) and `retry-after-ms` are set whenever the error knows
 * its `retryAfterMs`. `x-should-retry: false` is set on every error except `no_route` and
 * `local_rate_limit` with a known `retryAfterMs` (the gateway owns retries: it has already retried
 * what retrying could fix). Overloaded is 503, not 529: any ≥ 500 is the client's
 * `InternalServerError` either way, and 503 is what proxies and load balancers understand.
 *
 * Only the (already redacted) message goes out: never `cause`, a stack, attempts or scopes.
 */
import { ModelmuxError, retryAfterMsOf, type ErrorCode } from '../errors/base.js';
import { redact } from '../http/redact.js';

/** The `error` object of an OpenAI error response. */
export interface OpenAIErrorBody {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** An error ready to send: status, `{ error }` body and headers (`retry-after`, `x-should-retry`). */
export interface OpenAIErrorResponse {
  status: number;
  body: { error: OpenAIErrorBody };
  headers: Record<string, string>;
}

const MAPPING: Record<ErrorCode, { status: number; type: string; code: string }> = {
  validation_error: { status: 400, type: 'invalid_request_error', code: 'validation_error' },
  bad_request: { status: 400, type: 'invalid_request_error', code: 'bad_request' },
  context_window_exceeded: { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded' },
  content_policy: { status: 400, type: 'invalid_request_error', code: 'content_filter' },
  authentication_error: { status: 401, type: 'authentication_error', code: 'authentication_error' },
  permission_error: { status: 403, type: 'permission_error', code: 'permission_error' },
  not_found: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  rate_limit: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  quota_exceeded: { status: 429, type: 'insufficient_quota', code: 'insufficient_quota' },
  budget_exceeded: { status: 429, type: 'insufficient_quota', code: 'budget_exceeded' },
  local_rate_limit: { status: 429, type: 'rate_limit_error', code: 'local_rate_limit' },
  aborted: { status: 499, type: 'invalid_request_error', code: 'aborted' },
  server_error: { status: 500, type: 'server_error', code: 'server_error' },
  connection_error: { status: 502, type: 'server_error', code: 'connection_error' },
  invalid_response: { status: 502, type: 'server_error', code: 'invalid_response' },
  stream_error: { status: 502, type: 'server_error', code: 'stream_error' },
  overloaded: { status: 503, type: 'server_error', code: 'overloaded' },
  no_route: { status: 503, type: 'server_error', code: 'no_route' },
  budget_store_unavailable: { status: 503, type: 'server_error', code: 'budget_store_unavailable' },
  timeout: { status: 504, type: 'server_error', code: 'timeout' },
};

/** An OpenAI error response built from parts (for errors of the handler itself: bad JSON, unknown path). */
export function openAIError(
  status: number,
  message: string,
  options: { type?: string; code?: string | null; param?: string | null; headers?: Record<string, string> } = {},
): OpenAIErrorResponse {
  return {
    status,
    body: { error: { message: redact(message), type: options.type ?? 'invalid_request_error', param: options.param ?? null, code: options.code ?? null } },
    headers: { 'x-should-retry': 'false', ...options.headers },
  };
}

/** Maps any thrown value to the OpenAI error response the official client expects. */
export function toOpenAIError(error: unknown): OpenAIErrorResponse {
  if (!ModelmuxError.isInstance(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return openAIError(500, `Internal error: ${message}`, { type: 'server_error', code: 'internal_error' });
  }
  let { status, type, code } = MAPPING[error.code] ?? { status: 500, type: 'server_error', code: error.code };
  let param: string | null = null;
  if (error.code === 'validation_error') {
    const field = (error as { field?: unknown }).field;
    param = typeof field === 'string' && field !== '' ? field : null;
  } else if (error.code === 'not_found') {
    param = 'model';
  } else if (error.code === 'context_window_exceeded') {
    param = 'messages';
  } else if (error.code === 'budget_exceeded' && (error as { reason?: unknown }).reason === 'model_not_allowed') {
    // A scope's `models` allow-list refused the request: a permission, not money.
    status = 403;
    type = 'permission_error';
    code = 'model_not_allowed';
    param = 'model';
  }
  const headers: Record<string, string> = {};
  const retryAfterMs = retryAfterMsOf(error);
  if (retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    headers['retry-after-ms'] = String(Math.ceil(retryAfterMs));
  }
  const clientMayRetry = (error.code === 'no_route' || error.code === 'local_rate_limit') && retryAfterMs !== undefined;
  if (!clientMayRetry) headers['x-should-retry'] = 'false';
  return { status, body: { error: { message: error.message, type, param, code } }, headers };
}

/** The `Response` for an error: JSON body, its status, `retry-after*` and `x-should-retry` headers. */
export function errorResponse(error: unknown | OpenAIErrorResponse): Response {
  const mapped = isOpenAIErrorResponse(error) ? error : toOpenAIError(error);
  return new Response(JSON.stringify(mapped.body), {
    status: mapped.status,
    headers: { 'content-type': 'application/json', ...mapped.headers },
  });
}

function isOpenAIErrorResponse(value: unknown): value is OpenAIErrorResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as { status?: unknown }).status === 'number' &&
    typeof (value as { body?: { error?: unknown } }).body?.error === 'object'
  );
}
