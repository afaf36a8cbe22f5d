import type { UsageCounts, UsageStats } from '@429chain/server/admin-api';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState, useSyncExternalStore } from 'react';
import { adminJson, queryString } from '../api/admin-client.ts';
import { useChains, useProviders, useStatus } from '../api/admin-queries.ts';
import { queryKeys } from '../api/query-keys.ts';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorMessage } from '../components/error-message.tsx';
import { FreeCapacity } from '../components/free-capacity.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { type ChartSeries, TimeSeriesChart } from '../components/time-series-chart.tsx';
import { formatCount, formatLatency } from '../format/format.ts';
import { providerColor } from '../format/provider-colors.ts';
import { useTheme } from '../hooks/use-theme.ts';
import { inFlightStore } from '../live/live-activity.ts';
import { Link } from '../router.tsx';

const ranges = [
  { value: '1h', label: '1h', name: 'last hour', ms: 3_600_000 },
  { value: '24h', label: '24h', name: 'last 24 hours', ms: 86_400_000 },
  { value: '7d', label: '7d', name: 'last 7 days', ms: 7 * 86_400_000 },
] as const;
type Range = (typeof ranges)[number]['value'];

interface Metric {
  title: string;
  value: (counts: UsageCounts) => number | null;
  format: (value: number) => string;
}

const metrics: Metric[] = [
  { title: 'Requests answered', value: (counts) => counts.requests, format: formatCount },
  {
    title: 'Tokens (prompt + completion)',
    value: (counts) => counts.promptTokens + counts.completionTokens,
    format: formatCount,
  },
  {
    title: 'Fallbacks (answered after another entry)',
    value: (counts) => counts.fallbacks,
    format: formatCount,
  },
  { title: 'Failed attempts (errors and 429s)', value: (counts) => counts.failed, format: formatCount },
  { title: 'Mean latency', value: (counts) => counts.latencyAvgMs, format: formatLatency },
];

/** Usage per provider over time (uPlot), what is left in each provider's buckets, and live activity. */
export default function OverviewPage() {
  const [range, setRange] = useState<Range>('1h');
  const { theme } = useTheme();
  const status = useStatus();
  const providers = useProviders();
  const chains = useChains();
  const inFlight = useSyncExternalStore(inFlightStore.subscribe, inFlightStore.get);
  const stats = useQuery({
    queryKey: queryKeys.stats(range),
    queryFn: ({ signal }) => {
      const to = Date.now();
      const ms = ranges.find((option) => option.value === range)!.ms;
      return adminJson<UsageStats>(`/api/stats${queryString({ from: to - ms, to, groupBy: 'provider' })}`, {
        signal,
      });
    },
    // A slow refresh is enough for charts; the board and the log are live.
    refetchInterval: 15_000,
    placeholderData: keepPreviousData,
  });

  const known = useMemo(() => {
    const ids = (providers.data ?? []).map((provider) => provider.id);
    for (const group of stats.data?.groups ?? []) if (!ids.includes(group)) ids.push(group);
    return ids;
  }, [providers.data, stats.data]);

  const charts = useMemo(
    () => (stats.data ? buildCharts(stats.data, known) : undefined),
    [stats.data, known],
  );
  const totals = stats.data?.overall;
  const rangeName = ranges.find((option) => option.value === range)!.name;
  const noChains = chains.data && chains.data.data.length === 0;

  return (
    <>
      <PageHeading
        title="Overview"
        actions={
          <fieldset className="segmented" aria-label="Time range">
            <legend className="visually-hidden">Time range</legend>
            {ranges.map((option) => (
              <button
                key={option.value}
                type="button"
                className="segmented-option"
                aria-pressed={range === option.value}
                onClick={() => setRange(option.value)}
              >
                {option.label}
              </button>
            ))}
          </fieldset>
        }
      >
        Requests, tokens, fallbacks, failures and latency per provider over the {rangeName}.
      </PageHeading>
      <ErrorMessage error={stats.error} />

      {noChains ? (
        <EmptyState title="Welcome to 429chain.">
          Start by adding a provider (its base URL and free-tier limits are pre-filled from a preset) on the{' '}
          <Link to="/providers">Providers</Link> page, then build a chain of provider + model entries on the{' '}
          <Link to="/chains">Chains</Link> page. Clients send the chain's name as <code>model</code>.
        </EmptyState>
      ) : null}

      <ul className="kpis" aria-label={`Totals over the ${rangeName}`}>
        <li className="kpi">
          <span className="kpi-label">Requests answered</span>
          <span className="kpi-value">{formatCount(totals?.requests)}</span>
        </li>
        <li className="kpi">
          <span className="kpi-label">Tokens</span>
          <span className="kpi-value">
            {formatCount(totals ? totals.promptTokens + totals.completionTokens : undefined)}
          </span>
        </li>
        <li className="kpi">
          <span className="kpi-label">Fallbacks</span>
          <span className="kpi-value">{formatCount(totals?.fallbacks)}</span>
        </li>
        <li className="kpi">
          <span className="kpi-label">Failed attempts</span>
          <span className="kpi-value">{formatCount(totals?.failed)}</span>
        </li>
        <li className="kpi">
          <span className="kpi-label">Mean latency</span>
          <span className="kpi-value">{formatLatency(totals?.latencyAvgMs)}</span>
        </li>
        <li className="kpi kpi-live">
          <span className="kpi-label">In flight now</span>
          <span className="kpi-value">{inFlight.size}</span>
        </li>
      </ul>

      <section aria-labelledby="usage-heading" className="panel">
        <h2 id="usage-heading">Usage per provider</h2>
        {stats.data && stats.data.groups.length === 0 ? (
          <EmptyState title={`No requests in the ${rangeName}.`}>
            Send a prompt from the <Link to="/playground">Playground</Link>, or point an OpenAI client at{' '}
            <code>{window.location.origin}/v1</code> with a chain's name as <code>model</code>.
          </EmptyState>
        ) : charts ? (
          <div className="charts">
            {charts.map((chart) => (
              <TimeSeriesChart
                key={chart.metric.title}
                title={chart.metric.title}
                times={chart.times}
                series={chart.series}
                format={chart.metric.format}
                theme={theme}
                summary={chart.summary}
                integer={chart.metric.format === formatCount}
              />
            ))}
          </div>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </section>

      <section aria-labelledby="capacity-heading" className="panel">
        <div className="panel-head">
          <h2 id="capacity-heading">Free capacity now</h2>
          <Link to="/ratelimits">Rate-limit board</Link>
        </div>
        <ErrorMessage error={status.error} />
        {status.data ? <FreeCapacity status={status.data} /> : <p className="muted">Loading…</p>}
      </section>

      {stats.data && stats.data.totals.length > 0 ? (
        <section aria-labelledby="totals-heading" className="panel">
          <h2 id="totals-heading">Per provider, {rangeName}</h2>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col" className="numeric">
                    Answered
                  </th>
                  <th scope="col" className="numeric">
                    Tokens
                  </th>
                  <th scope="col" className="numeric">
                    Fallbacks
                  </th>
                  <th scope="col" className="numeric">
                    Failed
                  </th>
                  <th scope="col" className="numeric">
                    Rate-limited
                  </th>
                  <th scope="col" className="numeric">
                    Skipped
                  </th>
                  <th scope="col" className="numeric">
                    Mean latency
                  </th>
                </tr>
              </thead>
              <tbody>
                {stats.data.totals.map((total) => (
                  <tr key={total.group}>
                    <th scope="row">
                      <span
                        className="swatch"
                        style={{ background: providerColor(total.group, known) }}
                        aria-hidden="true"
                      />{' '}
                      {total.group}
                    </th>
                    <td className="numeric">{formatCount(total.requests)}</td>
                    <td className="numeric">{formatCount(total.promptTokens + total.completionTokens)}</td>
                    <td className="numeric">{formatCount(total.fallbacks)}</td>
                    <td className="numeric">{formatCount(total.failed)}</td>
                    <td className="numeric">{formatCount(total.rateLimited)}</td>
                    <td className="numeric">{formatCount(total.skipped)}</td>
                    <td className="numeric">{formatLatency(total.latencyAvgMs)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
    </>
  );
}

interface Chart {
  metric: Metric;
  times: number[];
  series: ChartSeries[];
  summary: string;
}

function buildCharts(stats: UsageStats, known: readonly string[]): Chart[] {
  const times: number[] = [];
  for (let time = stats.from; time < stats.to; time += stats.bucketMs) times.push(time);
  const slot = new Map(times.map((time, index) => [time, index]));
  return metrics.map((metric) => {
    const series = stats.groups.map((group): ChartSeries => {
      const isLatency = metric.format === formatLatency;
      const values: Array<number | null> = times.map(() => (isLatency ? null : 0));
      for (const point of stats.series) {
        if (point.group !== group) continue;
        const index = slot.get(point.bucketStart);
        if (index !== undefined) values[index] = metric.value(point);
      }
      return { label: group, color: providerColor(group, known), values };
    });
    const summary = stats.totals
      .map((total) => `${total.group} ${metric.format(metric.value(total) ?? 0)}`)
      .join(', ');
    return { metric, times, series, summary };
  });
}
