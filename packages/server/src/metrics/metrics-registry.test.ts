import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from './metrics-registry.ts';

describe('MetricsRegistry', () => {
  it('counts one series per label set, whatever the order the labels were given in', () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter('requests_total', 'Requests.');
    requests.inc({ chain: 'fast', outcome: 'answered' });
    requests.inc({ outcome: 'answered', chain: 'fast' }, 2);
    requests.inc({ chain: 'fast', outcome: 'failed' });
    expect(registry.render()).toBe(
      [
        '# HELP requests_total Requests.',
        '# TYPE requests_total counter',
        'requests_total{chain="fast",outcome="answered"} 3',
        'requests_total{chain="fast",outcome="failed"} 1',
        '',
      ].join('\n'),
    );
  });

  it('keeps its own copy of the labels, so a caller reusing its object changes nothing', () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter('requests_total', 'Requests.');
    const labels = { chain: 'fast' };
    requests.inc(labels);
    labels.chain = 'slow';
    requests.inc(labels);
    expect(registry.render()).toContain('requests_total{chain="fast"} 1');
    expect(registry.render()).toContain('requests_total{chain="slow"} 1');
  });

  it('counts histogram observations into cumulative buckets, with sum and count, and escapes label values', () => {
    const registry = new MetricsRegistry();
    const latency = registry.histogram('latency_seconds', 'Latency.', [0.1, 1]);
    latency.observe({ provider: 'a"b' }, 0.05);
    latency.observe({ provider: 'a"b' }, 0.5);
    latency.observe({ provider: 'a"b' }, 5);
    expect(registry.render()).toBe(
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{provider="a\\"b",le="0.1"} 1',
        'latency_seconds_bucket{provider="a\\"b",le="1"} 2',
        'latency_seconds_bucket{provider="a\\"b",le="+Inf"} 3',
        'latency_seconds_sum{provider="a\\"b"} 5.55',
        'latency_seconds_count{provider="a\\"b"} 3',
        '',
      ].join('\n'),
    );
  });
});
