import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropic, type ChatMessage, createGateway, google, mistral } from '../../../src/index.js';
import { type Loopback, sendJson, startLoopback } from '../../helpers/loopback.js';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());

const origin = () => server.baseURL.replace(/\/v1$/, '');

const tools = [
  { type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } } },
  { type: 'function' as const, function: { name: 'get_time', description: 'Local time in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
];

/** Answers each provider in its own wire format, by path. */
function serveThreeProviders(): void {
  server.handle((req, res) => {
    const url = req.url ?? '';
    if (url === '/v1/messages') {
      return sendJson(res, 200, {
        id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5-20251001',
        content: [
          { type: 'text', text: 'Let me check the weather.' },
          { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { city: 'Lyon' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 412, output_tokens: 58, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      });
    }
    if (url.startsWith('/v1beta/models/gemini-2.5-flash:generateContent')) {
      return sendJson(res, 200, {
        candidates: [
          {
            content: { role: 'model', parts: [{ text: 'It is sunny in Lyon. Checking the time too.' }, { functionCall: { name: 'get_time', args: { city: 'Lyon' } } }] },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 520, candidatesTokenCount: 31, totalTokenCount: 551 },
        modelVersion: 'gemini-2.5-flash',
        responseId: 'resp-cross-1',
      });
    }
    if (url === '/v1/chat/completions') {
      return sendJson(res, 200, {
        id: '5c0e7d9a1b2f4c38a6e4d9f07b12c3aa',
        object: 'chat.completion',
        created: 1767612300,
        model: 'mistral-small-latest',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Sunny and 14:05 in Lyon.', tool_calls: null }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 610, completion_tokens: 12, total_tokens: 622 },
      });
    }
    res.statusCode = 404;
    res.end();
  });
}

describe('one conversation across Anthropic, Gemini and Mistral', () => {
  it('rewrites tool-call ids and tool results for each provider, so the conversation moves freely', async () => {
    serveThreeProviders();
    const mux = createGateway({
      providers: {
        anthropic: anthropic({ apiKey: 'sk-ant-cross-0000000000000000', baseURL: origin() }),
        google: google({ apiKey: 'gemini-cross-key-000000000000', baseURL: origin() }),
        mistral: mistral({ apiKey: 'mistral-cross-key-0000000000', baseURL: server.baseURL }),
      },
      retry: { maxRetries: 0 },
    });
    const history: ChatMessage[] = [{ role: 'user', content: 'What is the weather in Lyon, and what time is it there?' }];

    // 1. Anthropic calls get_weather with its own toolu_ id.
    const first = await mux.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages: history, tools });
    const weatherCall = first.choices[0]!.message.tool_calls![0]!;
    expect(weatherCall).toEqual({ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    history.push({ role: 'assistant', content: first.choices[0]!.message.content, tool_calls: first.choices[0]!.message.tool_calls! });
    history.push({ role: 'tool', tool_call_id: weatherCall.id, content: '{"sky":"sunny","celsius":21}' });

    // 2. Gemini continues: the call becomes a functionCall, the result a functionResponse named after it.
    const second = await mux.chat.completions.create({ model: 'google/gemini-2.5-flash', messages: history, tools });
    const geminiBody = JSON.parse(server.requests.at(-1)!.body) as { contents: Array<{ role: string; parts: Array<Record<string, unknown>> }> };
    expect(geminiBody.contents.map((c) => c.role)).toEqual(['user', 'model', 'user']);
    expect(geminiBody.contents[1]!.parts).toContainEqual(expect.objectContaining({ functionCall: { name: 'get_weather', args: { city: 'Lyon' } } }));
    expect(geminiBody.contents[2]!.parts).toEqual([
      { functionResponse: { name: 'get_weather', response: { sky: 'sunny', celsius: 21 } } },
    ]);
    const timeCall = second.choices[0]!.message.tool_calls![0]!;
    expect(timeCall.function).toEqual({ name: 'get_time', arguments: '{"city":"Lyon"}' });
    expect(timeCall.id).not.toBe(weatherCall.id);
    expect(second.choices[0]!.finish_reason).toBe('tool_calls');
    history.push({ role: 'assistant', content: second.choices[0]!.message.content, tool_calls: second.choices[0]!.message.tool_calls! });
    history.push({ role: 'tool', tool_call_id: timeCall.id, content: '14:05' });

    // 3. Mistral finishes: every id becomes 9 alphanumerics, each tool message keeps its pairing and gets the function name.
    const third = await mux.chat.completions.create({ model: 'mistral/mistral-small-latest', messages: history, tools });
    expect(third.choices[0]!.message.content).toBe('Sunny and 14:05 in Lyon.');
    const mistralBody = JSON.parse(server.requests.at(-1)!.body) as { messages: Array<Record<string, unknown>> };
    const assistantCalls = mistralBody.messages
      .filter((m) => m.role === 'assistant')
      .flatMap((m) => (m.tool_calls as Array<{ id: string; function: { name: string } }>) ?? []);
    const toolMessages = mistralBody.messages.filter((m) => m.role === 'tool') as Array<{ tool_call_id: string; name: string }>;
    expect(assistantCalls).toHaveLength(2);
    for (const call of assistantCalls) expect(call.id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(toolMessages.map((m) => m.tool_call_id)).toEqual(assistantCalls.map((c) => c.id));
    expect(toolMessages.map((m) => m.name)).toEqual(['get_weather', 'get_time']);
    mux.close();
  });
});
