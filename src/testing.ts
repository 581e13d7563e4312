// The `modelmux/testing` entry point: an in-process mock provider for users' own tests and demos.
export * from './testing/index.js';
