import { readEnv, readFirstEnv } from '../env.js';
import type { AwsCredentials } from './sigv4.js';

export const KEY_ID_ENV = 'AWS_ACCESS_KEY_ID';
export const SECRET_ENV = 'AWS_SECRET_ACCESS_KEY';
const TOKEN_ENV = 'AWS_SESSION_TOKEN';
export const BEARER_ENV = 'AWS_BEARER_TOKEN_BEDROCK';

export function envRegion(): string | undefined {
  return readFirstEnv(['AWS_REGION', 'AWS_DEFAULT_REGION']);
}

export function envCredentials(): AwsCredentials | undefined {
  const accessKeyId = readEnv(KEY_ID_ENV);
  const secretAccessKey = readEnv(SECRET_ENV);
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken: readEnv(TOKEN_ENV) };
}

/** Whether `bedrock()` without settings would have credentials: AWS keys or a Bedrock API key, and a region. */
export function configuredFromEnv(): boolean {
  return (readEnv(BEARER_ENV) !== undefined || envCredentials() !== undefined) && envRegion() !== undefined;
}
