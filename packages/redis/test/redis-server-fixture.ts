/**
 * One throwaway redis-server and an ioredis client for a test file: started before its
 * tests, stopped after them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type RedisServerProcess, startRedisServer } from './start-redis-server.ts';

/** The server and client of {@link useRedisServer}; read them inside tests and hooks. */
export interface RedisFixture {
  readonly server: RedisServerProcess;
  readonly client: Redis;
}

/** Registers the hooks that start and stop the file's redis-server. */
export function useRedisServer(): RedisFixture {
  let server: RedisServerProcess | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('the redis-server starts before the tests');
      return server;
    },
    get client() {
      if (!client) throw new Error('the redis-server starts before the tests');
      return client;
    },
  };
}
