import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A provider key used in tests; the CLI must never print it. */
export const secretKey = 'sk-test-0123456789-never-printed';

/** Options of {@link mockChainConfig}. */
export interface MockChainConfigOptions {
  /** The mock provider's base URL (with `/v1`). */
  baseUrl: string;
  /** Models of the `default` chain, in order; each entry is its own provider `p1`, `p2`, …. */
  models: readonly string[];
}

/**
 * A YAML config whose `default` chain runs over loopback mock providers (type `generic`),
 * each holding {@link secretKey}. Cooldowns are short and retries quick so failures end fast.
 */
export function mockChainConfig({ baseUrl, models }: MockChainConfigOptions): string {
  const providers = models
    .map(
      (_, index) =>
        `  - id: p${index + 1}\n    type: generic\n    baseUrl: ${baseUrl}\n    apiKey: ${secretKey}`,
    )
    .join('\n');
  const entries = models
    .map((model, index) => `      - provider: p${index + 1}\n        model: ${model}`)
    .join('\n');
  return `version: 1
settings:
  defaultChain: default
  requestTimeoutMs: 5000
  requestBudgetMs: 10000
providers:
${providers}
chains:
  - name: default
    entries:
${entries}
`;
}

/** Writes `text` as `429chain.yaml` in `directory`; returns its path. */
export function writeConfig(directory: string, text: string, name = '429chain.yaml'): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}
