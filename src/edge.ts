import { defineCreateGateway } from './gateway.js';
import { createFetchTransport } from './http/fetch-transport.js';
import { providerEnvironment } from './providers/environment.js';

export * from './public.js';

/**
 * Creates a gateway. Outside Node, providers are called through the runtime's `fetch`; without
 * `providers`, the OpenAI-compatible ones whose key is in the environment are configured (the
 * native adapters are passed explicitly, so that a bundle carries only those it uses).
 */
export const createGateway = defineCreateGateway(() => createFetchTransport(), providerEnvironment({}));
