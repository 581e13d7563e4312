// Minimal use of modelmux for the bundle-size and import-time measurements: the gateway core and the OpenAI adapter.
import { createGateway, openai } from 'modelmux';

export async function ask(apiKey: string, content: string): Promise<string | null | undefined> {
  const mux = createGateway({ providers: { openai: openai({ apiKey }) } });
  const res = await mux.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content }] });
  return res.choices[0]?.message.content;
}
