import { readFirstEnv } from '../env.js';

export const API_KEY_ENV: readonly string[] = ['ANTHROPIC_API_KEY'];

/** Whether `anthropic()` without settings would have a key. */
export function configuredFromEnv(): boolean {
  return readFirstEnv(API_KEY_ENV) !== undefined;
}
