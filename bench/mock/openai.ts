/**
 * OpenAI Chat Completions payloads of the mock, serialized once: the non-streaming completion and
 * the SSE events of a stream (`n` content chunks, a finish chunk, a usage chunk, `[DONE]`).
 */
import { PROMPT_TOKENS, tokens } from '../wire.js';

const ID = 'chatcmpl-bench000000000000000000000';
const CREATED = 1_700_000_000;
const MODEL = 'bench-model';

export function openaiPayloads(n: number): { completion: Buffer; events: Buffer[] } {
  const words = tokens(n);
  const usage = { prompt_tokens: PROMPT_TOKENS, completion_tokens: n, total_tokens: PROMPT_TOKENS + n };

  const completion = Buffer.from(
    JSON.stringify({
      id: ID,
      object: 'chat.completion',
      created: CREATED,
      model: MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: words.join(''), refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: 'fp_bench',
    }),
  );

  const chunk = (choices: unknown[], u: unknown = null) =>
    Buffer.from(
      `data: ${JSON.stringify({
        id: ID,
        object: 'chat.completion.chunk',
        created: CREATED,
        model: MODEL,
        service_tier: 'default',
        system_fingerprint: 'fp_bench',
        choices,
        usage: u,
      })}\n\n`,
    );

  const events: Buffer[] = [
    ...words.map((content, i) =>
      chunk([
        {
          index: 0,
          delta: i === 0 ? { role: 'assistant', content, refusal: null } : { content },
          logprobs: null,
          finish_reason: null,
        },
      ]),
    ),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
    chunk([], usage),
    Buffer.from('data: [DONE]\n\n'),
  ];
  return { completion, events };
}
