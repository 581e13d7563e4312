import { readFirstEnv } from '../env.js';

export const API_KEY_ENV: readonly string[] = ['GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'GOOGLE_API_KEY'];

/** Whether `google()` without settings would have a key. */
export function configuredFromEnv(): boolean {
  return readFirstEnv(API_KEY_ENV) !== undefined;
}
