import { type ProviderPreset, presets } from '@429chain/core';
import { formatLimits } from '../format/format-limits.ts';

/** The free tiers the starter `default` chain runs over, in the order it tries them. */
export const starterProviderIds: readonly string[] = ['groq', 'cerebras', 'gemini', 'openrouter'];

/** A starter provider: its preset, the model the chain uses, and the variable that holds its key. */
export interface StarterProvider {
  preset: ProviderPreset;
  model: string;
  envKey: string;
}

/** The starter providers, from core's presets (each preset's first suggested model). */
export function starterProviders(): StarterProvider[] {
  return starterProviderIds.flatMap((id) => {
    const preset = presets[id];
    const model = preset?.suggestedModels[0];
    const envKey = preset?.envKeys[0];
    return preset && model && envKey ? [{ preset, model, envKey }] : [];
  });
}

/**
 * The commented starter config `429chain init` writes: it explains each section, keeps keys
 * out of the file with `${NAME}` references, and builds a `default` chain over the free tiers
 * of Groq, Cerebras, Gemini and OpenRouter. It validates with core's `parseConfig`.
 */
export function starterConfig(options: { strategy?: 'ordered' | 'expiring-first' } = {}): string {
  const strategyLine =
    options.strategy === 'expiring-first' ? '    strategy: expiring-first' : '    # strategy: expiring-first';
  const providers = starterProviders();
  const first = providers[0];
  const providerBlocks = providers.map(({ preset, envKey }, index) => {
    const lines = [
      `  - id: ${preset.id}`,
      `    type: ${preset.id}`,
      `    apiKey: "\${${envKey}}"`,
      `    # free tier: ${formatLimits(preset.knownLimits)}`,
    ];
    if (index === 0) {
      lines.push(
        '    # Manual limits, for when a provider sends no rate-limit headers (or wrong ones):',
        '    # 429chain then counts requests itself and skips the entry before it is refused.',
        '    # rateLimits:',
        `    #   requestsPerMinute: ${preset.knownLimits?.requestsPerMinute ?? 30}`,
        `    #   requestsPerDay: ${preset.knownLimits?.requestsPerDay ?? 1000}`,
        `    #   tokensPerMinute: ${preset.knownLimits?.tokensPerMinute ?? 6000}`,
        '    #   scope: model          # limits per key and model (model), or per key (key)',
      );
    }
    if (preset.id === 'openrouter') {
      lines.push(
        '    # Several keys (accounts): each has its own quota and they are tried in turn.',
        `    # apiKeys: ["\${${envKey}}", "\${${envKey}_2}"]`,
      );
    }
    return lines.join('\n');
  });
  const entryBlocks = providers.map(({ preset, model }, index) => {
    const lines = [`      - provider: ${preset.id}`, `        model: ${model}`];
    if (index === 0) {
      lines.push(
        '        # What this entry can do; requests that need more skip it.',
        '        # capabilities:',
        '        #   contextWindow: 131072  # longer prompts skip this entry',
        '        #   tools: true            # function calling',
        '        #   vision: false          # image inputs',
        '        #   jsonMode: true         # response_format',
        '        #   prefill: false         # can finish a stream another entry began',
        '        # tier: 1                  # with strategy: expiring-first (see the chain below)',
      );
    }
    return lines.join('\n');
  });
  const envKeys = providers.map(({ envKey }) => envKey);

  return `# 429chain configuration
#
# 429chain is one OpenAI-compatible endpoint over many free-tier LLM quotas. A client
# sends \`model: <chain name>\`; the chain's entries are tried in order, entries known to
# be rate-limited are skipped, and 429s and faults fail over to the next entry.
#
#   429chain validate                 check this file
#   429chain test default "hello"     run one prompt through the default chain
#   429chain                          start the proxy and dashboard
#
# Keys are \${NAME} references, read from the environment when the file is loaded, so
# this file holds no secret. Set these variables:
#   ${envKeys.join(' ')}
# or delete the providers you do not use, together with their chain entries.
version: 1

# --- settings: the server and routing (everything here is optional) ----------------
settings:
  port: 3429                 # the proxy: http://127.0.0.1:3429/v1
  host: 127.0.0.1            # another address needs apiKeys below
  defaultChain: default      # used when a request's model names no chain
  # Keys clients must send ("Authorization: Bearer <key>"); without any, /v1 is open
  # to everyone who can reach the host.
  # apiKeys:
  #   - "\${CHAIN429_CLIENT_KEY}"
  # Keys for the admin API and dashboard; without any, one is generated into
  # admin.key next to the database on first start.
  # adminKeys:
  #   - "\${CHAIN429_ADMIN_KEY}"
  # dbPath: ./data/429chain.db    # request log and rate-limit state (SQLite)
  # cooldownDefaultMs: 60000      # the window assumed for a 429 that gives no reset time
  # requestTimeoutMs: 30000       # time allowed for an upstream's response headers
  # requestBudgetMs: 60000        # time allowed to find an answer across all entries
  #
  # When every entry is rate-limited, wait for the earliest reset instead of
  # answering 429 at once (bounded in time and in size).
  # queueMode: true
  # queueMaxWaitMs: 120000
  # queueMaxSize: 100

# --- providers: one per account -----------------------------------------------------
# \`type\` picks a preset (\`429chain providers\` lists them): it knows the base URL,
# the rate-limit headers and the 429 formats of that provider.
providers:
${providerBlocks.join('\n')}
  # Any OpenAI-compatible server (vLLM, LM Studio, llama.cpp, another proxy):
  # - id: local
  #   type: generic
  #   baseUrl: http://127.0.0.1:8000/v1
  #   apiKey: "\${LOCAL_API_KEY}"   # omit when the server needs none
  #   models: [my-model]

# --- chains: ordered lists of provider + model, tried in turn ------------------------
chains:
  - name: default
    # Entries are tried in order (a preference order). For interchangeable free models,
    # \`strategy: expiring-first\` answers more of them: within a tier it spends first the
    # capacity that expires soonest (a per-minute window before a daily pool), tries
    # entries whose limits are unknown early, and paces daily pools; give paid fallbacks
    # a higher \`tier\` (tiers are tried in order, lowest first).
${strategyLine}
    entries:
${entryBlocks.join('\n')}
  # A second chain, selected with \`model: fast\`:
  # - name: fast
  #   entries:
  #     - provider: ${first?.preset.id ?? 'groq'}
  #       model: ${first?.model ?? 'llama-3.1-8b-instant'}
`;
}
