import type { ErrorDetails } from '../errors/base.js';
import { InvalidResponseError, TimeoutError } from '../errors/classes.js';
import type { StreamEvent, StreamFormat, StreamMapper } from '../providers/adapter.js';
import type { BufferLimits } from '../http/limits.js';
import { createSseDecoder } from '../http/sse.js';
import type { HttpResponse } from '../http/transport.js';
import type { ChatCompletionChunk, CompletionUsage } from '../request/types.js';
import type { AttemptController } from './call-scope.js';

export interface StreamReaderSettings {
  decoder: DecoderFactory;
  idleTimeoutMs: number;
  limits: BufferLimits;
  /** Append a `choices: []` chunk with usage at the end (the caller asked for `include_usage`). */
  includeUsage: boolean;
  cost(usage: CompletionUsage): number | null;
  provider: string;
  errorDetails: ErrorDetails;
}

interface EventDecoder {
  feed(bytes: Uint8Array): void;
  end(): void;
}

export type DecoderFactory = (options: { limits: BufferLimits; errorDetails: ErrorDetails; onEvent(event: StreamEvent): void }) => EventDecoder;

let awsEventStreamDecoder: Promise<DecoderFactory> | undefined;

/** The decoder of a stream format. The AWS event-stream one (Bedrock only) loads on first use. */
export function decoderFor(format: StreamFormat, errorDetails: ErrorDetails): DecoderFactory | Promise<DecoderFactory> {
  switch (format) {
    case 'sse':
      return createSseDecoder;
    case 'aws-eventstream':
      return (awsEventStreamDecoder ??= import('../http/aws-event-stream.js').then((m) => m.createAwsEventStreamDecoder));
    default:
      throw new InvalidResponseError(`Stream format "${String(format)}" has no decoder`, errorDetails);
  }
}

/**
 * Pulls chunks from one streamed attempt: bytes → events → mapper → chunks, one pass, no
 * per-chunk allocation beyond the mapper's own. Owns the idle timer: silence (keep-alives do
 * not count) longer than `idleTimeoutMs` aborts the attempt with `TimeoutError('idle')`.
 */
export class StreamReader {
  private readonly queue: ChatCompletionChunk[] = [];
  private head = 0;
  private finished = false;
  private pendingError: unknown = undefined;
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly decoder: EventDecoder;
  private lastEventAt = Date.now();
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly response: HttpResponse,
    readonly mapper: StreamMapper,
    private readonly attempt: AttemptController,
    private readonly settings: StreamReaderSettings,
  ) {
    this.iterator = response.body[Symbol.asyncIterator]();
    this.decoder = settings.decoder({
      limits: settings.limits,
      errorDetails: settings.errorDetails,
      onEvent: (event) => {
        if (this.mapper.isKeepAlive?.(event) !== true) this.lastEventAt = Date.now();
        this.mapper.push(event, this.queue);
      },
    });
    this.armIdle(settings.idleTimeoutMs);
  }

  private readonly onIdle = (): void => {
    this.idleTimer = undefined;
    const silentFor = Date.now() - this.lastEventAt;
    if (silentFor < this.settings.idleTimeoutMs) {
      this.armIdle(this.settings.idleTimeoutMs - silentFor);
      return;
    }
    this.attempt.abort(
      new TimeoutError('idle', `The stream was silent for ${this.settings.idleTimeoutMs} ms (idleTimeoutMs)`, this.settings.errorDetails),
    );
  };

  private armIdle(delay: number): void {
    if (this.finished) return;
    const timer = setTimeout(this.onIdle, delay);
    (timer as { unref?: () => void }).unref?.();
    this.idleTimer = timer;
  }

  /** The next chunk, or `undefined` when the stream completed. Throws a typed error otherwise. */
  async next(): Promise<ChatCompletionChunk | undefined> {
    for (;;) {
      if (this.head < this.queue.length) return this.queue[this.head++];
      if (this.head > 0) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (this.pendingError !== undefined) throw this.pendingError;
      if (this.finished) return undefined;
      let result: IteratorResult<Uint8Array>;
      try {
        result = await this.iterator.next();
      } catch (error) {
        // After the terminal signal, a broken connection or an idle cut loses nothing.
        if (this.mapper.complete) {
          this.finish();
          continue;
        }
        throw this.attempt.aborted ? this.attempt.reason : error;
      }
      if (result.done) {
        if (!this.decode(() => this.decoder.end())) continue;
        this.finish();
        if (!this.mapper.complete) {
          throw new InvalidResponseError("The stream ended before the provider's terminal signal", this.settings.errorDetails);
        }
        continue;
      }
      const bytes = result.value;
      this.decode(() => this.decoder.feed(bytes));
    }
  }

  /**
   * Runs the decoder; an error it throws (an in-band error event, a malformed event) is held
   * until the chunks decoded before it in the same read have been handed out: nothing delivered
   * by the provider is lost. Returns false when an error is now pending.
   */
  private decode(run: () => void): boolean {
    try {
      run();
      return true;
    } catch (error) {
      this.pendingError = error;
      this.finished = true;
      this.stopTimer();
      return false;
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimer();
    const usage = this.mapper.usage;
    if (this.settings.includeUsage && usage !== undefined && this.mapper.complete) {
      const meta = this.mapper.meta;
      this.queue.push({
        id: meta.id,
        object: 'chat.completion.chunk',
        created: meta.created,
        model: meta.model,
        choices: [],
        usage: { ...usage, cost: this.settings.cost(usage) },
        provider: this.settings.provider,
      });
    }
  }

  private stopTimer(): void {
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  /** Stops reading: frees the connection and the timer. Idempotent. */
  close(): void {
    this.finished = true;
    this.stopTimer();
    this.response.cancel();
    this.attempt.release();
  }
}

/** A chunk that commits the stream: content, reasoning, a tool call, a refusal or a finish. */
export function isMeaningful(chunk: ChatCompletionChunk): boolean {
  for (const choice of chunk.choices) {
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) return true;
    const delta = choice.delta;
    if (!delta) continue;
    if (delta.content || delta.reasoning_content || delta.refusal) return true;
    // `!= null`: a custom adapter may pass a provider's `tool_calls: null` through.
    if (delta.tool_calls != null && delta.tool_calls.length > 0) return true;
    if (delta.reasoning_details != null && delta.reasoning_details.length > 0) return true;
  }
  return false;
}
