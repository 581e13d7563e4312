/** What every benchmarked client exposes. `origin` is `http://127.0.0.1:PORT`. */
export type StreamMode = 'burst' | 'paced';

export interface BenchClient {
  nonStream(): Promise<string>;
  /** `reads`, where a client counts them, is the number of socket reads (checks the paced mode). */
  stream(mode: StreamMode): Promise<{ text: string; chunks: number; reads?: number }>;
  close?(): void | Promise<void>;
}

export type ClientFactory = (origin: string) => BenchClient | Promise<BenchClient>;

/** The request every client sends (model name without provider prefix). */
export const MODEL = 'bench-model';
export const MESSAGES = [{ role: 'user' as const, content: 'Say hello in sixty-four tokens.' }];

/** Base URL for a stream mode: the mock reads the mode from the path prefix. */
export const baseURL = (origin: string, mode?: StreamMode): string => (mode === 'paced' ? `${origin}/paced/v1` : `${origin}/v1`);
