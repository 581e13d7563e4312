/**
 * Whether the user's own headers (already normalized, so their credential is registered for
 * redaction) authenticate: `authorization`, or the preset's key header such as Azure `api-key`.
 */
export function userAuthenticates(headers: Record<string, string>, authHeader: string): boolean {
  return headers.authorization !== undefined || headers[authHeader] !== undefined;
}
