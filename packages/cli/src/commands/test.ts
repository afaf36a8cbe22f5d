import {
  type AttemptRecord,
  createChain,
  createRedactor,
  parsePromptTarget,
  pickEngineConfig,
  type Redact,
  type RequestRecord,
  runPrompt,
  UnknownTargetError,
} from '@429chain/core';
import type { ConfigFile } from '@429chain/server';
import type { TestAnswer, TestInput } from '@429chain/server/admin-api';
import { type Command, Option } from 'commander';
import { requestAdminApi } from '../admin/request-admin-api.ts';
import { resolveAdminKey } from '../admin/resolve-admin-key.ts';
import type { CliContext } from '../cli-context.ts';
import { CliError } from '../cli-error.ts';
import { loadConfigFile } from '../config/load-config-file.ts';
import { formatLatency } from '../format/format-latency.ts';
import { formatTable } from '../format/format-table.ts';
import { parsePositiveInteger } from '../options/parse-positive-integer.ts';
import { readSseEvents } from '../stream/read-sse-events.ts';

/** Options of `429chain test`. */
interface TestOptions {
  /** Config file for the in-process run. @default CHAIN429_CONFIG, else ./429chain.yaml, …, else keys in the environment */
  config?: string;
  /** Stream the answer as it arrives. @default false */
  stream?: boolean;
  /** Print `{ answered, status, answer, error, record }` as JSON. @default false */
  json?: boolean;
  /** Largest answer, in tokens. @default the provider's */
  maxTokens?: number;
  /** Run through a running server's `POST /api/test` instead of in-process. */
  server?: string;
  /** Admin key for `--server`. @default CHAIN429_ADMIN_KEY, else admin.key next to the database */
  adminKey?: string;
  /** The server's database, whose folder holds admin.key. @default ./data/429chain.db */
  db?: string;
}

/** How one test request ended. */
interface TestResult {
  answered: boolean;
  /** HTTP status of the answer. */
  status: number;
  /** The answer's text, when there is one. */
  answer: string | null;
  /** Why it did not answer. */
  error: string | null;
  /** The request record with its attempt trail. */
  record: RequestRecord | null;
}

/** Writes answer text as it streams (nothing in JSON mode). */
type ChunkSink = (text: string) => void;

const defaultPrompt = 'Say hello in one short sentence.';
/** How long to wait for the request record once the answer is read (it comes at once in practice). */
const recordWaitMs = 5_000;

/** `429chain test <chain> [prompt]`: one prompt through a chain, with its attempt trail. */
export function registerTestCommand(program: Command, context: CliContext): void {
  program
    .command('test')
    .description('Run one prompt through a chain and show each attempt of the trail, then the answer')
    .argument('<chain>', 'chain name, or provider/model for one entry')
    .argument('[prompt]', 'the prompt', defaultPrompt)
    .option(
      '-c, --config <path>',
      'config file (default: CHAIN429_CONFIG, else ./429chain.yaml, …, else keys in the environment)',
    )
    .option('--stream', 'stream the answer to stdout as it arrives')
    .option('--json', 'print { answered, status, answer, error, record } as JSON')
    .option('--max-tokens <n>', 'largest answer, in tokens', parsePositiveInteger)
    .addOption(
      new Option(
        '--server <url>',
        "run it through a running server's POST /api/test instead of in-process",
      ).conflicts('config'),
    )
    .option(
      '--admin-key <key>',
      'admin key for --server (default: CHAIN429_ADMIN_KEY, else admin.key next to the database)',
    )
    .option(
      '--db <path>',
      "with --server: the server's database, whose folder holds admin.key (default: ./data/429chain.db)",
    )
    .addHelpText(
      'after',
      `
Examples:
  $ 429chain test default "Write a haiku about rate limits"
  $ 429chain test default "Count to ten" --stream
  $ 429chain test groq/llama-3.1-8b-instant "hi"          # one entry, no failover
  $ 429chain test default "hi" --server http://127.0.0.1:3429
  $ 429chain test default "hi" --json | jq '.record.attempts'

In-process (the default), the config file's chains run here with fresh rate-limit
state; with --server, the running server's state and request log are used.
Exit code 0 when the chain answered, 1 when it did not.`,
    )
    .action(async (chainName: string, prompt: string, options: TestOptions) => {
      let redact: Redact = (text) => text;
      const write = (text: string) => context.stdout.write(redact(text));
      const sink: ChunkSink | undefined = options.stream && !options.json ? write : undefined;
      let result: TestResult;
      if (options.server !== undefined) {
        result = await runOnServer({ chainName, prompt, options, context, sink });
      } else {
        const configFile = await loadConfigFile({
          explicit: options.config,
          env: context.env,
          cwd: context.cwd,
          environmentFallback: true,
        });
        redact = createRedactor(secretsOf(configFile));
        result = await runInProcess({ chainName, prompt, options, configFile, sink });
      }

      if (options.json) {
        write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        const trail = renderTrail(result, context);
        if (sink) {
          // The answer streamed already: end its line, then the trail.
          write(`${result.answer ? '\n\n' : ''}${trail.join('\n')}\n`);
        } else {
          write(`${trail.join('\n')}\n`);
          if (result.answer !== null) write(`\n${result.answer}\n`);
        }
        if (result.record && result.record.chain !== chainName && !chainName.includes('/')) {
          context.stderr.write(
            `note: the server has no chain "${chainName}" and used its default chain "${result.record.chain}"\n`,
          );
        }
      }
      if (!result.answered) {
        throw new CliError(redact(result.error ?? `not answered (status ${result.status})`), {
          detailsOnly: options.json === true,
        });
      }
    });
}

/** Runs the prompt through a chain built here from the config (fresh in-memory rate-limit state). */
async function runInProcess(input: {
  chainName: string;
  prompt: string;
  options: TestOptions;
  configFile: ConfigFile;
  sink: ChunkSink | undefined;
}): Promise<TestResult> {
  const chain = createChain(pickEngineConfig(input.configFile.config));
  try {
    const { response, record } = await runPrompt({
      chain,
      target: input.chainName,
      prompt: input.prompt,
      stream: input.options.stream === true,
      maxTokens: input.options.maxTokens,
      metadata: { client: 'cli test' },
      unknownChain: 'refuse',
    }).catch((error: unknown) => {
      if (error instanceof UnknownTargetError) {
        const plural = error.what === 'chain' ? 'chains' : 'providers';
        throw new CliError(
          `unknown ${error.what} "${error.target}" (${plural}: ${error.known.join(', ') || 'none'})`,
        );
      }
      throw error;
    });
    const isStream = (response.headers.get('content-type') ?? '').includes('text/event-stream');
    if (isStream && response.body) {
      const streamed = await readAnswerStream(response.body, input.sink);
      return { ...streamed, status: response.status, record: await settleWithin(record, recordWaitMs) };
    }
    const body = (await response.json()) as Record<string, unknown>;
    return {
      ...readAnswerBody(response.ok, body),
      status: response.status,
      record: await settleWithin(record, recordWaitMs),
    };
  } finally {
    await chain.close();
  }
}

/** Runs the prompt through a running server's `POST /api/test` (its state, its request log). */
async function runOnServer(input: {
  chainName: string;
  prompt: string;
  options: TestOptions;
  context: CliContext;
  sink: ChunkSink | undefined;
}): Promise<TestResult> {
  const { options, context } = input;
  const adminKey = await resolveAdminKey({
    explicit: options.adminKey,
    dbPath: options.db,
    env: context.env,
    cwd: context.cwd,
  });
  const target = parsePromptTarget(input.chainName);
  const response = await requestAdminApi({
    baseUrl: options.server ?? '',
    path: '/api/test',
    method: 'POST',
    body: {
      ...target,
      prompt: input.prompt,
      stream: options.stream === true,
      maxTokens: options.maxTokens,
    } satisfies TestInput,
    adminKey,
    fetch: context.fetch,
    timeoutMs: 300_000,
  });
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream') && response.body) {
    let record: RequestRecord | null = null;
    const streamed = await readAnswerStream(response.body, input.sink, (event) => {
      if (event.event === 'record') record = JSON.parse(event.data) as RequestRecord;
    });
    return { ...streamed, status: response.status, record };
  }
  const summary = (await response.json()) as TestAnswer;
  return {
    ...readAnswerBody(summary.ok, summary.answer as Record<string, unknown>),
    status: summary.status,
    record: summary.record,
  };
}

/** The answer (or error) of a JSON chat completion. */
function readAnswerBody(
  ok: boolean,
  body: Record<string, unknown>,
): Pick<TestResult, 'answered' | 'answer' | 'error'> {
  if (!ok) {
    const error = body.error as { message?: unknown } | undefined;
    return {
      answered: false,
      answer: null,
      error: typeof error?.message === 'string' ? error.message : 'the request failed',
    };
  }
  const choices = body.choices as Array<{ message?: { content?: unknown } }> | undefined;
  const content = choices?.[0]?.message?.content;
  return { answered: true, answer: typeof content === 'string' ? content : '', error: null };
}

/**
 * Reads an OpenAI chat stream, writing each piece of content as it arrives. The answer is
 * complete only with `[DONE]`; an in-band error or an end without it is a failure.
 */
async function readAnswerStream(
  body: ReadableStream<Uint8Array>,
  sink: ChunkSink | undefined,
  onOtherEvent?: (event: { event: string; data: string }) => void,
): Promise<Pick<TestResult, 'answered' | 'answer' | 'error'>> {
  let answer = '';
  let done = false;
  let error: string | null = null;
  for await (const event of readSseEvents(body)) {
    if (event.event !== 'message') {
      onOtherEvent?.(event);
      continue;
    }
    if (event.data === '[DONE]') {
      done = true;
      continue;
    }
    let chunk: {
      choices?: Array<{ delta?: { content?: unknown } }>;
      error?: { message?: unknown };
    };
    try {
      chunk = JSON.parse(event.data) as typeof chunk;
    } catch {
      continue;
    }
    if (chunk.error) {
      error = typeof chunk.error.message === 'string' ? chunk.error.message : 'the stream failed';
      continue;
    }
    const content = chunk.choices?.[0]?.delta?.content;
    if (typeof content === 'string' && content !== '') {
      answer += content;
      sink?.(content);
    }
  }
  if (!done && error === null) error = 'the stream ended before the answer was complete';
  return { answered: done && error === null, answer: answer === '' && !done ? null : answer, error };
}

/** The trail as a summary line and a table of attempts. */
function renderTrail(result: TestResult, context: CliContext): string[] {
  const { palette } = context;
  const record = result.record;
  if (!record) return [palette.dim('(no attempt trail)')];
  const attempts = record.attempts;
  const headline = result.answered
    ? `${palette.green('answered')} by ${record.provider}/${record.model} in ${formatLatency(record.latencyMs)}`
    : `${palette.red('not answered')} (${record.status}) after ${formatLatency(record.latencyMs)}`;
  const lines = [
    `chain ${palette.bold(record.chain)}: ${headline}, ${attempts.length} ${attempts.length === 1 ? 'attempt' : 'attempts'}`,
  ];
  if (attempts.length === 0) return lines;
  lines.push(
    ...formatTable({
      indent: 2,
      headerStyle: palette.dim,
      columns: [
        { header: '#', align: 'right' },
        { header: 'PROVIDER/MODEL' },
        { header: 'KEY' },
        { header: 'OUTCOME' },
        { header: 'REASON' },
        { header: 'STATUS', align: 'right' },
        { header: 'LATENCY', align: 'right' },
      ],
      rows: attempts.map((attempt: AttemptRecord, index) => [
        String(index + 1),
        `${attempt.provider}/${attempt.model}`,
        attempt.key,
        { text: attempt.outcome, style: outcomeStyle(attempt.outcome, context) },
        `${attempt.reason}${attempt.retries ? ` (${attempt.retries} ${attempt.retries === 1 ? 'retry' : 'retries'})` : ''}${attempt.continuation ? ' (continuation)' : ''}`,
        attempt.status === undefined ? '-' : String(attempt.status),
        attempt.outcome === 'skipped' ? '-' : formatLatency(attempt.latencyMs),
      ]),
    }),
  );
  return lines;
}

function outcomeStyle(outcome: AttemptRecord['outcome'], context: CliContext): (text: string) => string {
  const { palette } = context;
  if (outcome === 'answered') return palette.green;
  if (outcome === 'failed') return palette.red;
  return palette.dim;
}

/** Every key and header value in the config, so nothing printed can contain one. */
function secretsOf(configFile: ConfigFile): string[] {
  return configFile.config.providers.flatMap((provider) => [
    ...(provider.apiKey ? [provider.apiKey] : []),
    ...(provider.apiKeys ?? []),
    ...Object.entries(provider.headers ?? {})
      .filter(([name]) => /auth|key|token|secret|cookie/i.test(name))
      .map(([, value]) => value),
  ]);
}

/** The promise's value, or null when it takes longer than `milliseconds`. */
function settleWithin<Value>(promise: Promise<Value>, milliseconds: number): Promise<Value | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), milliseconds);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
