import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Theme } from '../hooks/use-theme.ts';

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  color: string;
  /** One value per x; null leaves a gap. Pass memoized arrays: a new array redraws. */
  values: Array<number | null>;
}

interface TimeSeriesChartProps {
  title: string;
  /** Bucket starts, epoch ms. */
  times: number[];
  series: ChartSeries[];
  /** Formats values on the y axis and in the legend. */
  format: (value: number) => string;
  theme: Theme;
  height?: number | undefined;
  /** A sentence for screen readers (the canvas itself says nothing). */
  summary: string;
  /** Whole numbers only (counts): the y axis never shows a half. */
  integer?: boolean | undefined;
}

const axisColors: Record<Theme, { text: string; grid: string }> = {
  light: { text: '#4b5563', grid: 'rgba(15, 23, 42, 0.08)' },
  dark: { text: '#a3acba', grid: 'rgba(226, 232, 240, 0.09)' },
};

/** Tick steps for counts: 1, 2, 5, 10, 20, 50, … */
const wholeSteps = Array.from(
  { length: 27 },
  (_, index) => [1, 2, 5][index % 3]! * 10 ** Math.floor(index / 3),
);

const hourMinute = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** Time axis labels: `14:05` within two days, `26 Nov` beyond. */
function timeLabels(splits: number[], scale: uPlot.Scale | undefined): string[] {
  const span = (scale?.max ?? 0) - (scale?.min ?? 0);
  const format = span > 2 * 86_400 ? dayMonth : hourMinute;
  return splits.map((seconds) => format.format(seconds * 1_000));
}

/**
 * A uPlot line chart over time that fills its container's width. The instance is
 * rebuilt when the series or the theme change, and only given new data otherwise.
 */
export function TimeSeriesChart({
  title,
  times,
  series,
  format,
  theme,
  height = 170,
  summary,
  integer,
}: TimeSeriesChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${theme}|${series.map((line) => `${line.label}:${line.color}`).join(',')}`;
  const data: uPlot.AlignedData = [times.map((time) => time / 1_000), ...series.map((line) => line.values)];
  const dataRef = useRef(data);
  dataRef.current = data;
  const formatRef = useRef(format);
  formatRef.current = format;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `shape` stands for the series and theme
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const colors = axisColors[theme];
    const axis = (extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
      stroke: colors.text,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1, size: 4 },
      font: '11px system-ui, sans-serif',
      ...extra,
    });
    const instance = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height,
        scales: { x: { time: true }, y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        series: [
          { label: 'Time' },
          ...series.map(
            (line): uPlot.Series => ({
              label: line.label,
              stroke: line.color,
              fill: `${line.color}1f`,
              width: 1.75,
              spanGaps: false,
              points: { show: false },
              value: (_plot, value) =>
                value === null || value === undefined ? '–' : formatRef.current(value),
            }),
          ),
        ],
        axes: [
          axis({ values: (_plot, splits) => timeLabels(splits, _plot.scales.x) }),
          axis({
            size: 56,
            values: (_plot, values) => values.map((value) => formatRef.current(value)),
            ...(integer ? { incrs: wholeSteps } : {}),
          }),
        ],
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
      },
      dataRef.current,
      element,
    );
    plot.current = instance;
    const resize = new ResizeObserver(() => {
      const width = Math.max(element.clientWidth, 200);
      if (width !== instance.width) instance.setSize({ width, height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      instance.destroy();
      plot.current = null;
    };
  }, [shape, height, integer]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: new data arrives as new `times`/`series` arrays
  useEffect(() => {
    plot.current?.setData(dataRef.current);
  }, [times, series]);

  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <div ref={container} className="chart-canvas" role="img" aria-label={`${title}: ${summary}`} />
    </figure>
  );
}
