import type { RunningServer } from './start-server.ts';

/** The lines printed at startup: where the proxy and dashboard listen, which chains exist, and warnings. */
export function describeStartup(server: RunningServer): string[] {
  const config = server.configFile.config;
  const defaultChain = config.settings?.defaultChain;
  const source =
    server.mode === 'demo'
      ? 'DEMO MODE: no config file and no provider keys found, serving simulated free-tier providers'
      : server.mode === 'environment'
        ? 'provider keys from the environment (no config file)'
        : `config file ${server.configFile.path}`;
  const lines = [
    `429chain: ${source}`,
    `  proxy:      ${server.url}/v1  (OpenAI-compatible; model = a chain name)`,
    `  dashboard:  ${server.dashboard ? `${server.url}/` : 'not built (run pnpm build)'}`,
    `  admin key:  ${server.adminKeyFile ? `in ${server.adminKeyFile}` : 'from settings.adminKeys or CHAIN429_ADMIN_KEYS'}`,
    `  chains:     ${config.chains
      .map(
        (chain) =>
          `${chain.name} (${chain.entries.length} ${chain.entries.length === 1 ? 'entry' : 'entries'})${chain.name === defaultChain ? ' [default]' : ''}`,
      )
      .join(', ')}`,
  ];
  for (const warning of server.warnings) lines.push(`  warning:    ${warning}`);
  if (server.mode === 'demo') {
    lines.push('  Add provider keys (GROQ_API_KEY, GEMINI_API_KEY, …) or a config file to leave demo mode.');
  }
  return lines;
}
