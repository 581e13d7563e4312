import type { ChatCompletionCreateParams, ChatMessage } from '../request/types.js';
import type { WebSearch } from './variants.js';

function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    return message.content.map((part) => (part.type === 'text' ? part.text : '')).join(' ').trim();
  }
  return '';
}

/**
 * `:online` for a provider without native search: runs the user's `webSearch` on the last user
 * message and adds the results as a system message just before it, asking for cited URLs.
 */
export async function withSearchContext(params: ChatCompletionCreateParams, search: WebSearch, signal: AbortSignal): Promise<ChatCompletionCreateParams> {
  const query = lastUserText(params.messages);
  if (query === '') return params;
  const results = await search(query, { signal });
  if (results.length === 0) return params;
  const date = new Date().toISOString().slice(0, 10);
  const listing = results.map((r, i) => `[${i + 1}] ${r.title} — ${r.url}\n${r.content}`).join('\n\n');
  const context: ChatMessage = {
    role: 'system',
    content: `Web search results for "${query}" (retrieved ${date}). Use them where relevant and cite the URLs you rely on as markdown links.\n\n${listing}`,
  };
  const messages = [...params.messages];
  let index = messages.length;
  while (index > 0 && messages[index - 1]!.role !== 'user') index--;
  messages.splice(Math.max(0, index - 1), 0, context);
  return { ...params, messages };
}
