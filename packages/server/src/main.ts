/**
 * Runs the proxy from the environment alone (the Docker image's entry point):
 * CHAIN429_CONFIG (a file) or CHAIN429_CONFIG_DIR (where to look for 429chain.yaml),
 * PORT, HOST, CHAIN429_DB, CHAIN429_API_KEYS, CHAIN429_ADMIN_KEYS, REDIS_URL, and
 * CHAIN429_DASHBOARD_DIR (the built dashboard the image copies in; the server package does
 * not depend on the dashboard). SIGTERM and SIGINT drain and exit 0. Operational messages
 * (e.g. a rate-limit store outage) go to stderr.
 */
import type { Logger } from '@429chain/core';
import { describeStartup } from './describe-startup.ts';
import { startServer } from './start-server.ts';

const env = process.env;
const line =
  (level: string) =>
  (message: string, fields?: Record<string, unknown>): void => {
    const details = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    process.stderr.write(`429chain ${level}: ${message}${details}\n`);
  };
const logger: Logger = { debug() {}, info: line('info'), warn: line('warn'), error: line('error') };
// PORT, HOST, CHAIN429_DB, CHAIN429_CONFIG and CHAIN429_CONFIG_DIR are read by startServer,
// exactly as for the CLI; the Docker image puts the dashboard's files in CHAIN429_DASHBOARD_DIR.
const server = await startServer({ env, logger, dashboardDirectory: env.CHAIN429_DASHBOARD_DIR }).catch(
  (error: unknown) => {
    process.stderr.write(`429chain: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
process.stdout.write(`${describeStartup(server).join('\n')}\n`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`429chain: ${signal} received, draining…\n`);
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`429chain: shutdown failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
