/** What every benchmarked client exposes. `origin` is `http://127.0.0.1:PORT`. */
import type { WireFormat } from '../wire.js';

export type StreamMode = 'burst' | 'paced';

export interface BenchClient {
  /** The wire format the client speaks to the mock (CPU per chunk is per event of this format). */
  format: WireFormat;
  /** How many items `stream()` yields for an answer of `n` content pieces (checked on every stream). */
  expectedChunks(n: number): number;
  nonStream(): Promise<string>;
  /** `reads`, where a client counts them, is the number of socket reads (checks the paced mode). */
  stream(mode: StreamMode): Promise<{ text: string; chunks: number; reads?: number }>;
  close?(): void | Promise<void>;
}

export type ClientFactory = (origin: string) => BenchClient | Promise<BenchClient>;

/** The request every client sends (model name without provider prefix). */
export const MODEL = 'bench-model';
export const MESSAGES = [{ role: 'user' as const, content: 'Say hello in sixty-four tokens.' }];
/** Anthropic requires max_tokens; every Anthropic-format client sends this one. */
export const MAX_TOKENS = 1024;

/** Base URL for a stream mode: the mock reads the mode from the path prefix. */
export const baseURL = (origin: string, mode?: StreamMode): string => (mode === 'paced' ? `${origin}/paced/v1` : `${origin}/v1`);
/** Anthropic's base URL is without `/v1` (the SDK and modelmux's `anthropic()` add it). */
export const anthropicBaseURL = (origin: string, mode?: StreamMode): string => (mode === 'paced' ? `${origin}/paced` : origin);
