// Minimal use of the official Anthropic client, for the bundle-size measurement.
import Anthropic from '@anthropic-ai/sdk';

export async function ask(apiKey: string, content: string): Promise<string | undefined> {
  const client = new Anthropic({ apiKey });
  const res = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content }] });
  const block = res.content[0];
  return block?.type === 'text' ? block.text : undefined;
}
