import { ModelmuxError } from '../errors/base.js';
import { AbortError, StreamError } from '../errors/classes.js';
import type { ChatCompletionChunk, CompletionUsage } from '../request/types.js';
import type { CallScope } from './call-scope.js';
import type { StreamReader } from './stream-reader.js';

export interface ChatStreamEvents {
  /** The stream completed: routing statistics and the usage to settle the budget with. */
  onComplete?(sample: { generationMs: number; completionTokens: number }, usage: CompletionUsage | undefined, finishReason: string | null): void;
  /** The stream ended any other way: an error (the one thrown to the caller), or an abort or early `break` (no error). Called at most once, never with onComplete. */
  onEnd?(error: Error | undefined): void;
}

/**
 * The stream `create({ stream: true })` resolves to, once the first meaningful chunk arrived.
 * An async iterable of OpenAI chunks, read once. A failure after that point throws a
 * `StreamError` carrying the delivered text; the caller's abort throws `AbortError`. Breaking
 * out of the loop frees the connection.
 */
export class ChatStream implements AsyncIterable<ChatCompletionChunk> {
  private partialContent = '';
  private finishReason: string | null = null;
  private started = false;
  private done = false;

  constructor(
    private readonly reader: StreamReader,
    private readonly buffered: ChatCompletionChunk[],
    private readonly scope: CallScope,
    /** The configured provider key that serves this stream. */
    readonly provider: string,
    /** The provider's own model id. */
    readonly model: string,
    private readonly events: ChatStreamEvents = {},
  ) {}

  private readonly startedAt = Date.now();

  /** The content delivered so far (choice 0). */
  get content(): string {
    return this.partialContent;
  }

  /** Stops the stream and frees its connection. */
  abort(): void {
    this.close();
  }

  private close(completed = false, error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.reader.close();
    this.scope.dispose();
    if (completed) {
      const usage = this.reader.mapper.usage;
      this.events.onComplete?.({ generationMs: Date.now() - this.startedAt, completionTokens: usage?.completion_tokens ?? 0 }, usage, this.finishReason);
    } else {
      this.events.onEnd?.(error);
    }
  }

  private deliver(chunk: ChatCompletionChunk): IteratorResult<ChatCompletionChunk> {
    const choice = chunk.choices[0];
    const content = choice?.delta?.content;
    if (content) this.partialContent += content;
    if (choice?.finish_reason) this.finishReason = choice.finish_reason;
    return { value: chunk, done: false };
  }

  private wrap(error: unknown): Error {
    if (error instanceof AbortError) return error;
    const cause = ModelmuxError.isInstance(error) ? error : undefined;
    const usage = this.reader.mapper.usage;
    return new StreamError(`The stream from ${this.provider} failed after content was delivered: ${cause?.message ?? String(error)}`, {
      provider: this.provider,
      model: this.model,
      cause: error,
      partialContent: this.partialContent,
      partialUsage: usage === undefined ? undefined : { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens },
      ...(cause?.requestId === undefined ? {} : { requestId: cause.requestId }),
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    if (this.started) throw new TypeError('A ChatStream can be iterated only once');
    this.started = true;
    let index = 0;
    return {
      next: async (): Promise<IteratorResult<ChatCompletionChunk>> => {
        if (index < this.buffered.length) return this.deliver(this.buffered[index++]!);
        if (this.done) return { value: undefined, done: true };
        try {
          const chunk = await this.reader.next();
          if (chunk !== undefined) return this.deliver(chunk);
        } catch (error) {
          const wrapped = this.wrap(error);
          this.close(false, wrapped);
          throw wrapped;
        }
        this.close(true);
        return { value: undefined, done: true };
      },
      return: async (): Promise<IteratorResult<ChatCompletionChunk>> => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}
