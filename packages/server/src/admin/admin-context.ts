import type { DatabaseSync } from 'node:sqlite';
import type { Chain } from '@429chain/core';
import type { ServerMode, StoreInfo } from '../admin-api/admin-api.ts';
import type { ConfigFile } from '../config/config-file.ts';
import type { SqliteRequestLogger } from '../persistence/sqlite-request-logger.ts';

/** What the admin API works with. */
export interface AdminContext {
  chain: Chain;
  configFile: ConfigFile;
  database: DatabaseSync;
  requestLogger: SqliteRequestLogger;
  mode: ServerMode;
  version: string;
  startedAt: number;
  storeInfo(): StoreInfo;
  /** Tells live listeners that the config changed. */
  configChanged: EventTarget;
  /** Aborted when the server begins to shut down: live streams end so draining can finish. */
  shutdown: AbortSignal;
}
