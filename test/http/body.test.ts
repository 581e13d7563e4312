import { describe, expect, it } from 'vitest';
import { ConnectionError, InvalidResponseError } from '../../src/errors/index.js';
import { readBody } from '../../src/http/body.js';
import type { HttpResponse } from '../../src/http/transport.js';

const encoder = new TextEncoder();
const details = { provider: 'p', model: 'm' };

/** An HttpResponse over fixed chunks that records how far it was read and whether it was cancelled. */
function fakeResponse(chunks: (Uint8Array | Error)[]) {
  const state = { pulled: 0, cancelled: 0, returned: false };
  const response: HttpResponse = {
    status: 200,
    header: () => null,
    body: {
      [Symbol.asyncIterator]() {
        let index = 0;
        return {
          async next() {
            if (index >= chunks.length) return { done: true, value: undefined };
            state.pulled++;
            const chunk = chunks[index++]!;
            if (chunk instanceof Error) throw chunk;
            return { done: false, value: chunk };
          },
          async return() {
            state.returned = true;
            return { done: true, value: undefined };
          },
        };
      },
    },
    cancel() {
      state.cancelled++;
    },
  };
  return { response, state };
}

describe('readBody', () => {
  it('reads and decodes a single chunk', async () => {
    const { response, state } = fakeResponse([encoder.encode('{"ok":true}')]);
    await expect(readBody(response, 1024, details)).resolves.toBe('{"ok":true}');
    expect(state.cancelled).toBe(0);
  });

  it('reads an empty body', async () => {
    const { response } = fakeResponse([]);
    await expect(readBody(response, 1024, details)).resolves.toBe('');
  });

  it('joins many chunks, including multi-byte characters split between them', async () => {
    const bytes = encoder.encode('héllo €uro 😀 中文 end');
    const chunks = [...bytes].map((b) => new Uint8Array([b]));
    chunks.splice(3, 0, new Uint8Array(0));
    const { response } = fakeResponse(chunks);
    await expect(readBody(response, 1024, details)).resolves.toBe('héllo €uro 😀 中文 end');
  });

  it('replaces invalid UTF-8 instead of throwing', async () => {
    const { response } = fakeResponse([new Uint8Array([0x61, 0xff, 0x62])]);
    await expect(readBody(response, 1024, details)).resolves.toBe('a\ufffdb');
  });

  it('accepts a body of exactly maxBytes', async () => {
    const { response } = fakeResponse([encoder.encode('12345'), encoder.encode('67890')]);
    await expect(readBody(response, 10, details)).resolves.toBe('1234567890');
  });

  it('cancels and throws InvalidResponseError naming the limit as soon as it is exceeded', async () => {
    const chunk = new Uint8Array(1000).fill(0x41);
    const { response, state } = fakeResponse(Array.from({ length: 100 }, () => chunk));
    const error = await readBody(response, 2500, details).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as InvalidResponseError).message).toBe('Response body exceeds 2500 bytes');
    expect((error as InvalidResponseError).code).toBe('invalid_response');
    expect((error as InvalidResponseError).provider).toBe('p');
    expect((error as InvalidResponseError).model).toBe('m');
    expect(state.cancelled).toBe(1);
    // Stopped at the third chunk: nothing more was read.
    expect(state.pulled).toBe(3);
  });

  it('propagates transport errors met while reading unchanged', async () => {
    const reset = new ConnectionError('connection reset while reading the response body', details);
    const { response } = fakeResponse([encoder.encode('{"partial":'), reset]);
    await expect(readBody(response, 1024, details)).rejects.toBe(reset);
  });

  it('propagates an abort reason unchanged', async () => {
    const reason = new Error('caller aborted');
    const { response } = fakeResponse([encoder.encode('x'), reason]);
    await expect(readBody(response, 1024, details)).rejects.toBe(reason);
  });
});
