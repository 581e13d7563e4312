/** The standard request every preset translates, and the body each preset must send for it. */
import type {
  ChatCompletionCreateParams,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from '../../../src/request/types.js';
import type { PresetCase } from './cases.js';

export const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

export function standardRequest(model: string, stream: true): ChatCompletionCreateParamsStreaming;
export function standardRequest(model: string, stream: false): ChatCompletionCreateParamsNonStreaming;
export function standardRequest(model: string, stream: boolean): ChatCompletionCreateParams;
export function standardRequest(model: string, stream: boolean): ChatCompletionCreateParams {
  return {
    model,
    messages: [
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: 'Bonjour', name: 'alice' },
    ],
    max_tokens: 256,
    temperature: 0.2,
    seed: 7,
    user: 'u_42',
    store: false,
    tools: [WEATHER_TOOL],
    tool_choice: 'auto',
    ...(stream ? { stream: true as const, stream_options: { include_usage: false } } : {}),
  };
}

export function expectedBody(c: PresetCase, stream: boolean): Record<string, unknown> {
  const user: Record<string, unknown> = { role: 'user', content: 'Bonjour' };
  if (c.body.messageName) user.name = 'alice';
  const body: Record<string, unknown> = {
    model: c.model,
    messages: [{ role: c.body.developerRole ? 'developer' : 'system', content: 'Be brief.' }, user],
    temperature: 0.2,
    [c.body.tokenField]: 256,
    [c.body.seedField]: 7,
    tools: [WEATHER_TOOL],
    tool_choice: 'auto',
  };
  if (!c.body.warned.includes('user')) body.user = 'u_42';
  if (!c.body.warned.includes('store')) body.store = false;
  if (stream) {
    body.stream = true;
    if (c.body.streamOptions) body.stream_options = { include_usage: true };
  }
  return body;
}
