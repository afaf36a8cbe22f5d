/** Type-level check, run by `tsc`: ioredis's standalone and cluster clients both fit the store. */
import type { Cluster, Redis } from 'ioredis';
import type { RedisScriptClient } from '../src/redis-store.ts';

type Fits<Client extends RedisScriptClient> = Client;
export type StandaloneClientFits = Fits<Redis>;
export type ClusterClientFits = Fits<Cluster>;
