// The `modelmux/redis` entry point (Node only): a budget store shared by many processes through
// the user's own ioredis or node-redis client.
export { redisStore, type RedisStoreOptions } from './budget/redis-store.js';
export type { BudgetStore } from './budget/types.js';
