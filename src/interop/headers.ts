/**
 * Request options carried by HTTP headers, for callers of `mux.fetch` (the official OpenAI client's
 * `defaultHeaders`, or per call `{ headers }`):
 *
 * | header                          | becomes                                              |
 * |---------------------------------|------------------------------------------------------|
 * | `x-modelmux-user`               | `scope.user`                                         |
 * | `x-modelmux-team`               | `scope.team`                                         |
 * | `x-modelmux-project`            | `scope.project`                                      |
 * | `x-modelmux-key`                | `scope.key`                                          |
 * | `x-modelmux-scope`              | a JSON object of string tags, merged into `scope` (the four headers above win) |
 * | `x-modelmux-strategy`           | `strategy` (`fallback`, `cost`, `latency`, …)        |
 * | `x-modelmux-timeout-ms`         | `timeoutMs`                                          |
 * | `x-modelmux-idle-timeout-ms`    | `idleTimeoutMs`                                      |
 * | `x-modelmux-connect-timeout-ms` | `connectTimeoutMs`                                   |
 * | `x-modelmux-models`             | the body's `models` fallback list, comma-separated (a `models` in the body wins) |
 *
 * A malformed value is a 400 whose `param` is the header name. Every other header — `authorization`
 * included, which the official client always sends — is ignored: nothing from the incoming request's
 * headers is forwarded to a provider. When `mux.fetch` serves untrusted callers, set these headers
 * from your own authentication and drop the caller's (see examples/serverless-handler.ts).
 */
import type { RequestOptions } from '../gateway.js';
import { ValidationError } from '../errors/classes.js';
import { STRATEGY_NAMES, type StrategyName } from '../routing/strategies/index.js';

export const MODELMUX_HEADERS = {
  user: 'x-modelmux-user',
  team: 'x-modelmux-team',
  project: 'x-modelmux-project',
  key: 'x-modelmux-key',
  scope: 'x-modelmux-scope',
  strategy: 'x-modelmux-strategy',
  timeoutMs: 'x-modelmux-timeout-ms',
  idleTimeoutMs: 'x-modelmux-idle-timeout-ms',
  connectTimeoutMs: 'x-modelmux-connect-timeout-ms',
  models: 'x-modelmux-models',
} as const;

/** Every header name above, prefix included: what a public handler should strip from untrusted callers. */
export const MODELMUX_HEADER_PREFIX = 'x-modelmux-';

function invalid(header: string, message: string): ValidationError {
  return new ValidationError([{ path: header, message }]);
}

function milliseconds(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null) return undefined;
  const text = raw.trim();
  if (!/^\d+$/.test(text) || Number(text) <= 0 || !Number.isSafeInteger(Number(text))) {
    throw invalid(name, `expected a positive whole number of milliseconds, got "${text.slice(0, 40)}"`);
  }
  return Number(text);
}

function scopeFrom(headers: Headers): Record<string, string> | undefined {
  let scope: Record<string, string> | undefined;
  const raw = headers.get(MODELMUX_HEADERS.scope);
  if (raw !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid(MODELMUX_HEADERS.scope, 'expected a JSON object of string tags, e.g. {"tenant":"acme"}');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw invalid(MODELMUX_HEADERS.scope, 'expected a JSON object of string tags, e.g. {"tenant":"acme"}');
    }
    scope = {};
    for (const [tag, value] of Object.entries(parsed)) {
      if (typeof value !== 'string' || value === '' || tag === '') {
        throw invalid(MODELMUX_HEADERS.scope, `tag "${tag.slice(0, 40)}" must be a non-empty string`);
      }
      scope[tag] = value;
    }
  }
  for (const tag of ['user', 'team', 'project', 'key'] as const) {
    const value = headers.get(MODELMUX_HEADERS[tag])?.trim();
    if (value === undefined) continue;
    if (value === '') throw invalid(MODELMUX_HEADERS[tag], 'must not be empty');
    scope = { ...scope, [tag]: value };
  }
  return scope;
}

/** The request options the `x-modelmux-*` headers ask for (no `signal`: the handler adds it). */
export function requestOptionsFromHeaders(headers: Headers): RequestOptions {
  const options: RequestOptions = {};
  const scope = scopeFrom(headers);
  if (scope !== undefined) options.scope = scope;
  const strategy = headers.get(MODELMUX_HEADERS.strategy)?.trim();
  if (strategy !== undefined) {
    if (!(STRATEGY_NAMES as readonly string[]).includes(strategy)) {
      throw invalid(MODELMUX_HEADERS.strategy, `expected one of ${STRATEGY_NAMES.join(', ')}, got "${strategy.slice(0, 40)}"`);
    }
    options.strategy = strategy as StrategyName;
  }
  const timeoutMs = milliseconds(headers, MODELMUX_HEADERS.timeoutMs);
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  const idleTimeoutMs = milliseconds(headers, MODELMUX_HEADERS.idleTimeoutMs);
  if (idleTimeoutMs !== undefined) options.idleTimeoutMs = idleTimeoutMs;
  const connectTimeoutMs = milliseconds(headers, MODELMUX_HEADERS.connectTimeoutMs);
  if (connectTimeoutMs !== undefined) options.connectTimeoutMs = connectTimeoutMs;
  return options;
}

/** The fallback list of `x-modelmux-models`, or `undefined` when the header is absent or empty. */
export function modelsFromHeaders(headers: Headers): string[] | undefined {
  const raw = headers.get(MODELMUX_HEADERS.models);
  if (raw === null) return undefined;
  const models = raw
    .split(',')
    .map((model) => model.trim())
    .filter((model) => model !== '');
  return models.length === 0 ? undefined : models;
}
