import { defineCreateGateway } from './gateway.js';
import { createNodeTransport } from './http/node-transport.js';
import { providerEnvironment } from './providers/environment.js';
import { NATIVE_LOADERS } from './providers/native-environment.js';

export * from './public.js';

/**
 * Creates a gateway. On Node, providers are called through keep-alive `node:http`/`node:https`
 * agents; without `providers`, every provider whose key is in the environment is configured.
 */
export const createGateway = defineCreateGateway(() => createNodeTransport(), providerEnvironment(NATIVE_LOADERS));
