// Minimal use of the Vercel AI SDK with its OpenAI provider (Chat Completions), for the bundle-size measurement.
import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';

export async function ask(apiKey: string, content: string): Promise<string> {
  const { text } = await generateText({ model: createOpenAI({ apiKey }).chat('gpt-4o-mini'), messages: [{ role: 'user', content }] });
  return text;
}
