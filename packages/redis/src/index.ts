/**
 * @429chain/redis: a rate-limit store on Redis, so that several 429chain replicas
 * share one quota picture. Pass it a client you own; wrap it in core's
 * `createFallbackStore` to decide what happens while Redis is away.
 */
export { createRedisClient, type RedisClientOptions, waitUntilReady } from './create-redis-client.ts';
export { rateLimitScript } from './rate-limit-script.ts';
export {
  createRedisStore,
  type RedisScriptClient,
  RedisStore,
  type RedisStoreOptions,
  rateLimitScriptSha,
} from './redis-store.ts';
