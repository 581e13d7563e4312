import { expect, it } from 'vitest';
import { PLAIN_CONTENT, STREAM_PARTS } from './mock-provider.js';

/** What fixtures/scenario.mjs reports (a JSON round trip away from the runtime that ran it). */
export interface ScenarioResult {
  runtime: string;
  plain: { provider: string; content: string; usage: { prompt_tokens: number; completion_tokens: number } };
  stream: {
    chunks: number;
    contentChunks: number;
    content: string;
    finishReason: string | null;
    providers: string[];
    usage: { prompt_tokens: number; completion_tokens: number } | null;
  };
  fallback: { provider: string; content: string };
  /** Paths of the requests that went through `globalThis.fetch`, in order. */
  fetched: string[];
}

/** The `it`s every runtime shares; `result` is read when they run (after the suite's beforeAll). */
export function scenarioTests(result: () => ScenarioResult): void {
  it('answers a non-streaming request', () => {
    const { plain } = result();
    expect(plain).toMatchObject({ provider: 'up', content: PLAIN_CONTENT, usage: { prompt_tokens: 5, completion_tokens: 2 } });
  });

  it('streams chunk by chunk', () => {
    const { stream } = result();
    // The role chunk, one chunk per part, the finish chunk, and the usage chunk (include_usage).
    expect(stream).toEqual({
      chunks: STREAM_PARTS.length + 3,
      contentChunks: STREAM_PARTS.length,
      content: STREAM_PARTS.join(''),
      finishReason: 'stop',
      providers: ['up'],
      usage: expect.objectContaining({ prompt_tokens: 5, completion_tokens: STREAM_PARTS.length }),
    });
  });

  it('falls back to the second deployment when the first answers 503', () => {
    expect(result().fallback).toEqual({ provider: 'up', content: PLAIN_CONTENT });
  });

  it('sends every provider request through fetch (the transport chosen by the entry it resolved)', () => {
    expect(result().fetched).toEqual([
      '/up/v1/chat/completions',
      '/up/v1/chat/completions',
      '/down/v1/chat/completions',
      '/up/v1/chat/completions',
    ]);
  });
}
