import {
  type BucketStatus,
  type ChainStatus,
  type EntryState,
  type EntryStatus,
  formatDuration,
} from '@429chain/core';
import type { Command } from 'commander';
import { requestAdminApi } from '../admin/request-admin-api.ts';
import { resolveAdminKey } from '../admin/resolve-admin-key.ts';
import type { CliContext } from '../cli-context.ts';
import type { Palette } from '../format/create-palette.ts';
import { formatTable } from '../format/format-table.ts';

/** Options of `429chain status`. */
interface StatusOptions {
  /** The running server. @default CHAIN429_URL, else http://127.0.0.1:3429 */
  url?: string;
  /** Admin key. @default CHAIN429_ADMIN_KEY, else admin.key next to the database */
  adminKey?: string;
  /** The server's database, whose folder holds admin.key. @default ./data/429chain.db */
  db?: string;
  /** Print the raw status. @default false */
  json?: boolean;
}

/** `429chain status`: the live rate-limit board of a running server. */
export function registerStatusCommand(program: Command, context: CliContext): void {
  program
    .command('status')
    .description('Show the live rate-limit board of a running server (entries, states, buckets, resets)')
    .option('--url <url>', 'the running server (default: CHAIN429_URL, else http://127.0.0.1:3429)')
    .option(
      '--admin-key <key>',
      'admin key (default: CHAIN429_ADMIN_KEY, else admin.key next to the database)',
    )
    .option(
      '--db <path>',
      "the server's database; admin.key is read from its folder (default: ./data/429chain.db)",
    )
    .option('--json', 'print the raw status (GET /api/ratelimits) as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ 429chain status
  $ 429chain status --url http://127.0.0.1:8080 --admin-key adm-…
  $ 429chain status --json | jq '.entries[] | select(.state != "available")'

States: available (nothing known limits it), tracking (quota known, room left),
exhausted (rate-limited until the reset shown), parked (out of credit or invalid
key), broken (model not found, or its circuit is open).`,
    )
    .action(async (options: StatusOptions) => {
      const baseUrl = options.url ?? context.env.CHAIN429_URL ?? 'http://127.0.0.1:3429';
      const adminKey = await resolveAdminKey({
        explicit: options.adminKey,
        dbPath: options.db,
        env: context.env,
        cwd: context.cwd,
      });
      const response = await requestAdminApi({
        baseUrl,
        path: '/api/ratelimits',
        adminKey,
        fetch: context.fetch,
      });
      const status = (await response.json()) as ChainStatus;
      if (options.json) {
        context.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      context.stdout.write(`${renderStatus(status, new URL(baseUrl).origin, context.palette).join('\n')}\n`);
    });
}

/** The board as lines: a summary, one row per entry and key, then the buckets. */
export function renderStatus(status: ChainStatus, origin: string, palette: Palette): string[] {
  const counts = new Map<EntryState, number>();
  for (const entry of status.entries) counts.set(entry.state, (counts.get(entry.state) ?? 0) + 1);
  const summary = [...counts].map(([state, count]) => `${count} ${state}`).join(', ') || 'no entries';
  const lines = [
    `${palette.bold('429chain')} at ${origin}: ${summary}; ${status.queue.size} queued`,
    '',
    palette.bold('ENTRIES'),
  ];
  const resetsIn = (until: number | null | undefined) =>
    until === null || until === undefined ? '-' : formatDuration(until - status.at, { zero: 'now' });
  lines.push(
    ...formatTable({
      indent: 2,
      headerStyle: palette.dim,
      columns: [
        { header: 'CHAIN' },
        { header: '#', align: 'right' },
        { header: 'PROVIDER/MODEL' },
        { header: 'KEY' },
        { header: 'STATE' },
        { header: 'REASON' },
        { header: 'RESETS IN', align: 'right' },
      ],
      rows: status.entries.map((entry: EntryStatus) => [
        entry.chain,
        String(entry.entryIndex + 1),
        `${entry.provider}/${entry.model}`,
        entry.key,
        { text: entry.state, style: stateStyle(entry.state, palette) },
        entry.reason ?? '',
        resetsIn(entry.until),
      ]),
    }),
  );
  lines.push('', palette.bold('BUCKETS'));
  if (status.buckets.length === 0) {
    lines.push(
      palette.dim(
        '  none yet: buckets appear once providers send rate-limit headers or limits are configured',
      ),
    );
  } else {
    lines.push(
      ...formatTable({
        indent: 2,
        headerStyle: palette.dim,
        columns: [
          { header: 'SCOPE' },
          { header: 'KIND' },
          { header: 'WINDOW' },
          { header: 'REMAINING', align: 'right' },
          { header: 'SOURCE' },
          { header: 'RESETS IN', align: 'right' },
        ],
        rows: status.buckets.map((bucket: BucketStatus) => [
          scopeOf(bucket),
          bucket.kind,
          // A sliding window: at most `limit` in any `windowMs`.
          bucket.windowMs === null ? bucket.window : `any ${formatDuration(bucket.windowMs)}`,
          remainingOf(bucket),
          bucket.learnt ? `learnt (${bucket.learnt.evidence})` : bucket.source,
          bucket.kind === 'concurrency' ? '-' : resetsIn(bucket.resetAt),
        ]),
      }),
    );
    const learnt = status.buckets.filter((bucket) => bucket.learnt !== undefined);
    if (learnt.length > 0) {
      lines.push('', palette.bold('LEARNT LIMITS'));
      for (const bucket of learnt) lines.push(`  ${scopeOf(bucket)}: ${bucket.learnt?.note ?? ''}`);
    }
  }
  return lines;
}

function scopeOf(bucket: BucketStatus): string {
  return [bucket.provider, bucket.model, bucket.key].filter(Boolean).join(' · ');
}

/** `remaining/limit`, `in flight/limit` for concurrency; `?` where unknown. */
function remainingOf(bucket: BucketStatus): string {
  const limit = bucket.limit === null ? '?' : String(bucket.limit);
  if (bucket.kind === 'concurrency') return `${bucket.inFlight}/${limit} in flight`;
  const remaining = bucket.remaining === null ? '?' : String(Math.max(0, Math.floor(bucket.remaining)));
  return `${remaining}/${limit}`;
}

function stateStyle(state: EntryState, palette: Palette): (text: string) => string {
  switch (state) {
    case 'available':
      return palette.green;
    case 'tracking':
      return palette.cyan;
    case 'exhausted':
      return palette.yellow;
    case 'probing':
      return palette.cyan;
    case 'parked':
      return palette.magenta;
    case 'broken':
      return palette.red;
  }
}
