import type OpenAI from 'openai';
import { describe, expectTypeOf, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams, ChatMessage } from '../../src/index.js';

// Compile-time checks, run by `npm run typecheck`: modelmux's results can go wherever code
// written against the official client expects OpenAI's types, and the common request shapes
// written for the official client are accepted by modelmux.
describe('types line up with the official openai package', () => {
  // Plain assignability (extra fields such as `provider` are allowed, as TypeScript allows them).
  it('a ChatCompletion is an OpenAI ChatCompletion', () => {
    const asOpenAI = (completion: ChatCompletion): OpenAI.ChatCompletion => completion;
    expectTypeOf(asOpenAI).toBeFunction();
  });

  it('a ChatCompletionChunk is an OpenAI ChatCompletionChunk', () => {
    const asOpenAI = (chunk: ChatCompletionChunk): OpenAI.ChatCompletionChunk => chunk;
    expectTypeOf(asOpenAI).toBeFunction();
  });

  it('OpenAI message params for text, images and tool calls are modelmux messages', () => {
    expectTypeOf<OpenAI.ChatCompletionSystemMessageParam>().toExtend<ChatMessage>();
    expectTypeOf<OpenAI.ChatCompletionUserMessageParam>().toExtend<ChatMessage>();
    expectTypeOf<OpenAI.ChatCompletionToolMessageParam>().toExtend<ChatMessage>();
    expectTypeOf<OpenAI.ChatCompletionDeveloperMessageParam>().toExtend<ChatMessage>();
  });

  it('a typical request written for the official client is a modelmux request', () => {
    const params = {
      model: 'openai/gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'auto',
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      max_completion_tokens: 100,
    } satisfies OpenAI.ChatCompletionCreateParamsNonStreaming;
    expectTypeOf(params).toExtend<ChatCompletionCreateParams>();
  });
});
