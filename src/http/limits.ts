/** Buffer limits: anything larger is an `InvalidResponseError` and the connection is dropped. */
export interface BufferLimits {
  /** Largest non-streaming body. */
  maxBodyBytes: number;
  /** Longest single SSE line. */
  maxLineBytes: number;
  /** Largest SSE event (all its data lines) or event-stream frame. */
  maxEventBytes: number;
}

export const DEFAULT_LIMITS: BufferLimits = {
  maxBodyBytes: 32 * 1024 * 1024,
  maxLineBytes: 1024 * 1024,
  maxEventBytes: 4 * 1024 * 1024,
};
