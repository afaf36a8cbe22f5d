/**
 * @429chain/server: the OpenAI-compatible proxy with an admin API, a SQLite request
 * log, metrics and the dashboard.
 */
export { ConfigFile, type ConfigFileOptions, type ConfigFormat } from './config/config-file.ts';
export { configFromEnvironment } from './config/environment-config.ts';
export { maskSecret } from './config/mask-secret.ts';
export { demoConfig } from './demo/demo-providers.ts';
export { describeStartup } from './describe-startup.ts';
export { type AppContext, createApp, type ServerMode } from './http/create-app.ts';
export {
  configCandidates,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from './start-server.ts';
