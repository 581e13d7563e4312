import { excerpt, isRecord, type JsonRecord, parseJson, readNumber, readString, stringifyJson } from './json.js';

/** What a provider's error body says, whatever its shape. */
export interface ErrorBodyInfo {
  /** The provider's message (for a non-JSON body, a short excerpt of it); `''` when there is none. */
  message: string;
  /** `error.code` (OpenAI string codes, OpenRouter/Gemini numeric codes, Mistral "1300"). */
  code?: string | undefined;
  /** `error.type` / Gemini `status`. */
  type?: string | undefined;
  /** An inner code that refines the outer one (Azure `innererror.code`). */
  innerCode?: string | undefined;
  /** A numeric status the body states (OpenRouter/Gemini `error.code`), when it looks like one. */
  status?: number | undefined;
  requestId?: string | undefined;
  /** OpenRouter moderation: `metadata.reasons` / `metadata.flagged_input`. */
  flagged?: boolean | undefined;
  /** OpenRouter free-model limits: `metadata.headers['X-RateLimit-Reset']`, epoch milliseconds. */
  resetAtMs?: number | undefined;
}

function readCode(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** FastAPI / pydantic `detail` (Mistral 422, vLLM): `loc: msg` for each issue, never the `input`. */
function describeDetail(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (!Array.isArray(detail)) return undefined;
  const issues: string[] = [];
  for (const issue of detail.slice(0, 5)) {
    if (!isRecord(issue)) continue;
    const parts = Array.isArray(issue.loc) ? issue.loc.filter((part) => (typeof part === 'string' && part !== 'body') || typeof part === 'number') : [];
    const loc = parts.join('.');
    const msg = readString(issue.msg) ?? readString(issue.type) ?? 'invalid';
    issues.push(loc === '' ? msg : `${loc}: ${msg}`);
  }
  return issues.length > 0 ? issues.join('; ') : undefined;
}

function describeMessage(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isRecord(value)) return describeDetail(value.detail) ?? readString(value.message);
  return undefined;
}

/** OpenRouter wraps upstream failures as "Provider returned error" with the upstream text in `metadata.raw`. */
function withUpstream(message: string, metadata: JsonRecord | undefined): string {
  const raw = metadata?.raw;
  if (raw === undefined || raw === null) return message;
  const text = typeof raw === 'string' ? raw : (stringifyJson(raw) ?? '');
  const name = readString(metadata?.provider_name);
  return `${message} (${name === undefined ? 'upstream' : name}: ${excerpt(text)})`;
}

function resetAt(metadata: JsonRecord | undefined): number | undefined {
  const headers = isRecord(metadata?.headers) ? metadata.headers : undefined;
  const value = headers?.['X-RateLimit-Reset'] ?? headers?.['x-ratelimit-reset'];
  const ms = readNumber(typeof value === 'string' ? Number(value) : value);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/**
 * Reads an already-parsed error body. Understands OpenAI `{"error":{message,type,param,code}}`
 * (also Azure `innererror`, OpenRouter `metadata`, Gemini `status`), Anthropic
 * `{"type":"error","error":{type,message}}`, Mistral `{"object":"error","message":…}` (string or
 * pydantic `{detail:[…]}`), flat `{"error":"…","code":"…"}` (xAI, Ollama native), `{"message":"…"}`
 * and FastAPI `{"detail":…}`.
 */
export function readErrorObject(body: unknown): ErrorBodyInfo {
  if (!isRecord(body)) return { message: typeof body === 'string' ? body : '' };
  const requestId = readString(body.request_id);
  const inner = body.error;
  if (isRecord(inner)) {
    const metadata = isRecord(inner.metadata) ? inner.metadata : undefined;
    const innerError = isRecord(inner.innererror) ? inner.innererror : undefined;
    const numeric = readNumber(inner.code);
    return {
      message: withUpstream(describeMessage(inner.message) ?? '', metadata),
      code: readCode(inner.code),
      type: readString(inner.type) ?? readString(inner.status),
      innerCode: readCode(innerError?.code),
      status: numeric !== undefined && numeric >= 100 && numeric <= 599 ? numeric : undefined,
      requestId: requestId ?? readString(inner.request_id),
      flagged: metadata !== undefined && (metadata.reasons !== undefined || metadata.flagged_input !== undefined),
      resetAtMs: resetAt(metadata),
    };
  }
  return {
    message: readString(inner) ?? describeMessage(body.message) ?? describeDetail(body.detail) ?? '',
    code: readCode(body.code),
    type: readString(body.type),
    requestId,
  };
}

/** Reads an error body as received: JSON when it parses, else a short excerpt of the text. */
export function readErrorBody(text: string): ErrorBodyInfo {
  if (text.trim() === '') return { message: '' };
  const parsed = parseJson(text);
  return parsed.ok ? readErrorObject(parsed.value) : { message: excerpt(text) };
}
