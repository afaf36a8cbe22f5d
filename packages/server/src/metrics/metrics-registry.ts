/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered
 * in the text exposition format (version 0.0.4).
 */

type Labels = Record<string, string>;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function labelText(labels: Labels, extra?: Labels): string {
  const entries = Object.entries({ ...labels, ...extra });
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

/** Label names are identifiers: code-unit order is enough, and avoids ICU collation per update. */
const byName = ([left]: [string, string], [right]: [string, string]) =>
  left < right ? -1 : left > right ? 1 : 0;

/**
 * Series by label set. An update looks its labels up by a key in the order they were given
 * (one string, no sorting); only a label set not seen in that order yet is put in canonical
 * (sorted) order, so `{a, b}` and `{b, a}` still share one series.
 */
class SeriesMap<Series> {
  readonly #byGivenOrder = new Map<string, Series>();
  readonly #byCanonicalKey = new Map<string, Series>();

  get(labels: Labels, create: () => Series): Series {
    let given = '';
    for (const name in labels) given += `${name}\u0000${labels[name]}\u0001`;
    let series = this.#byGivenOrder.get(given);
    if (series) return series;
    const canonical = JSON.stringify(Object.entries(labels).sort(byName));
    series = this.#byCanonicalKey.get(canonical);
    if (!series) {
      series = create();
      this.#byCanonicalKey.set(canonical, series);
    }
    this.#byGivenOrder.set(given, series);
    return series;
  }

  values(): IterableIterator<Series> {
    return this.#byCanonicalKey.values();
  }
}

interface Metric {
  render(): string;
}

/** A monotonically increasing count per label set. */
export class Counter implements Metric {
  readonly #values = new SeriesMap<{ labels: Labels; value: number }>();
  readonly #name: string;
  readonly #help: string;

  constructor(name: string, help: string) {
    this.#name = name;
    this.#help = help;
  }

  inc(labels: Labels = {}, amount = 1): void {
    this.#values.get(labels, () => ({ labels: { ...labels }, value: 0 })).value += amount;
  }

  render(): string {
    const lines = [`# HELP ${this.#name} ${this.#help}`, `# TYPE ${this.#name} counter`];
    for (const { labels, value } of this.#values.values())
      lines.push(`${this.#name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram implements Metric {
  readonly #series = new SeriesMap<{ labels: Labels; counts: number[]; sum: number; count: number }>();
  readonly #name: string;
  readonly #help: string;
  readonly #buckets: number[];

  constructor(name: string, help: string, buckets: number[]) {
    this.#name = name;
    this.#help = help;
    this.#buckets = buckets;
  }

  observe(labels: Labels, value: number): void {
    const series = this.#series.get(labels, () => ({
      labels: { ...labels },
      counts: this.#buckets.map(() => 0),
      sum: 0,
      count: 0,
    }));
    const buckets = this.#buckets;
    for (let index = 0; index < buckets.length; index++) {
      if (value <= buckets[index]!) series.counts[index]! += 1;
    }
    series.sum += value;
    series.count += 1;
  }

  render(): string {
    const lines = [`# HELP ${this.#name} ${this.#help}`, `# TYPE ${this.#name} histogram`];
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.#buckets.forEach((bound, index) => {
        lines.push(`${this.#name}_bucket${labelText(labels, { le: String(bound) })} ${counts[index]}`);
      });
      lines.push(`${this.#name}_bucket${labelText(labels, { le: '+Inf' })} ${count}`);
      lines.push(`${this.#name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.#name}_count${labelText(labels)} ${count}`);
    }
    return lines.join('\n');
  }
}

/** Values read at scrape time. */
export class Gauge implements Metric {
  readonly #name: string;
  readonly #help: string;
  #samples: Array<{ labels: Labels; value: number }> = [];

  constructor(name: string, help: string) {
    this.#name = name;
    this.#help = help;
  }

  /** Replaces every sample. */
  set(samples: Array<{ labels: Labels; value: number }>): void {
    this.#samples = samples;
  }

  render(): string {
    const lines = [`# HELP ${this.#name} ${this.#help}`, `# TYPE ${this.#name} gauge`];
    for (const { labels, value } of this.#samples) lines.push(`${this.#name}${labelText(labels)} ${value}`);
    return lines.join('\n');
  }
}

/** Holds metrics in registration order and renders them all. */
export class MetricsRegistry {
  readonly #metrics: Metric[] = [];

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  histogram(name: string, help: string, buckets: number[]): Histogram {
    return this.#add(new Histogram(name, help, buckets));
  }

  gauge(name: string, help: string): Gauge {
    return this.#add(new Gauge(name, help));
  }

  render(): string {
    return `${this.#metrics.map((metric) => metric.render()).join('\n')}\n`;
  }

  #add<Type extends Metric>(metric: Type): Type {
    this.#metrics.push(metric);
    return metric;
  }
}
