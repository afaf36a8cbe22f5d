import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Where the admin key came from, for messages (never the key itself). */
export interface ResolvedAdminKey {
  /** The key, when one was found. */
  key: string | undefined;
  /** `--admin-key`, `CHAIN429_ADMIN_KEY`, `CHAIN429_ADMIN_KEYS`, or the file's path; undefined when none was found. */
  source: string | undefined;
  /** The admin.key file looked at. */
  keyFile: string;
}

/** Options of {@link resolveAdminKey}. */
export interface ResolveAdminKeyOptions {
  /** `--admin-key`. */
  explicit?: string | undefined;
  /** The server's database (`--db`); its folder holds `admin.key`. @default CHAIN429_DB, else './data/429chain.db' */
  dbPath?: string | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
}

/**
 * Finds the admin key of a running server: `--admin-key`, else `CHAIN429_ADMIN_KEY`, else the
 * first of `CHAIN429_ADMIN_KEYS`, else the `admin.key` file the server generates next to its
 * database (`./data/admin.key` by default).
 */
export async function resolveAdminKey(options: ResolveAdminKeyOptions): Promise<ResolvedAdminKey> {
  const dbPath = resolve(options.cwd, options.dbPath ?? options.env.CHAIN429_DB ?? './data/429chain.db');
  const keyFile = join(dirname(dbPath), 'admin.key');
  if (options.explicit) return { key: options.explicit, source: '--admin-key', keyFile };
  if (options.env.CHAIN429_ADMIN_KEY) {
    return { key: options.env.CHAIN429_ADMIN_KEY, source: 'CHAIN429_ADMIN_KEY', keyFile };
  }
  const listed = options.env.CHAIN429_ADMIN_KEYS?.split(',')
    .map((item) => item.trim())
    .find(Boolean);
  if (listed) return { key: listed, source: 'CHAIN429_ADMIN_KEYS', keyFile };
  const fromFile = (await readFile(keyFile, 'utf8').catch(() => undefined))?.trim();
  if (fromFile) return { key: fromFile, source: keyFile, keyFile };
  return { key: undefined, source: undefined, keyFile };
}
