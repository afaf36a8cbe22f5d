/**
 * @429chain/server: the OpenAI-compatible proxy with an admin API, a SQLite request
 * log and metrics; it serves the dashboard's files when it is handed them. The admin API's
 * types are `@429chain/server/admin-api`.
 */
export {
  ConfigConflictError,
  ConfigFile,
  type ConfigFileOptions,
  type ConfigFormat,
  ConfigWriteError,
} from './config/config-file.ts';
export { configFromEnvironment } from './config/environment-config.ts';
export { explainFileError, isPermissionError } from './config/explain-file-error.ts';
export { configCandidates, type FindConfigFileOptions, findConfigFile } from './config/find-config-file.ts';
export { maskSecret } from './config/mask-secret.ts';
export {
  parseServerConfig,
  type ServerConfig,
  type ServerConfigInput,
  type ServerSettings,
  serverConfigSchema,
  serverSettingsSchema,
} from './config/server-config-schema.ts';
export { demoConfig } from './demo/demo-providers.ts';
export { describeStartup } from './describe-startup.ts';
export { type AppContext, createApp, type ServerMode } from './http/create-app.ts';
export { type OpenDatabaseOptions, openDatabase } from './persistence/open-database.ts';
export {
  createSqliteRequestLogger,
  type RequestLogRetention,
  type SqliteRequestLogger,
  type SqliteRequestLoggerOptions,
} from './persistence/sqlite-request-logger.ts';
export {
  type RunningServer,
  type StartServerOptions,
  startServer,
} from './start-server.ts';
