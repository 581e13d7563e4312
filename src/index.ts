import { defineCreateGateway } from './gateway.js';
import { createNodeTransport } from './http/node-transport.js';

export * from './public.js';

/** Creates a gateway. On Node, providers are called through keep-alive `node:http`/`node:https` agents. */
export const createGateway = defineCreateGateway(() => createNodeTransport());
