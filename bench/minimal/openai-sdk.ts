// Minimal use of the official openai client, for the bundle-size measurement.
import OpenAI from 'openai';

export async function ask(apiKey: string, content: string): Promise<string | null | undefined> {
  const client = new OpenAI({ apiKey });
  const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
  return res.choices[0]?.message.content;
}
