import { defineCreateGateway } from './gateway.js';
import { createFetchTransport } from './http/fetch-transport.js';

export * from './public.js';

/** Creates a gateway. Outside Node, providers are called through the runtime's `fetch`. */
export const createGateway = defineCreateGateway(() => createFetchTransport());
