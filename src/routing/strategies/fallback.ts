import type { Strategy } from './types.js';

/** The configured order, as listed (the default). */
export const fallback: Strategy = (candidates) => [...candidates];
