/**
 * A small Prometheus registry: histograms and counters rendered in the text exposition format
 * (version 0.0.4). Enough for what /metrics reports; no dependency.
 */

type Labels = Record<string, string>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}="${String(labels[name]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

function braces(...parts: string[]): string {
  const inner = parts.filter(Boolean).join(',');
  return inner ? `{${inner}}` : '';
}

export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

export interface Metrics {
  counter(name: string, help: string): Counter;
  /** A value read when scraped (e.g. streams open now). */
  gauge(name: string, help: string, read: () => number): void;
  histogram(name: string, help: string, buckets: number[]): Histogram;
  /** The exposition text for GET /metrics. */
  render(): string;
}

export function createMetrics(): Metrics {
  const renderers: Array<() => string> = [];
  return {
    counter(name, help) {
      const values = new Map<string, number>();
      renderers.push(() => {
        const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} counter`];
        for (const [key, value] of values) lines.push(`${name}${braces(key)} ${value}`);
        return lines.join('\n');
      });
      return {
        inc(labels = {}, by = 1) {
          const key = labelKey(labels);
          values.set(key, (values.get(key) ?? 0) + by);
        },
      };
    },
    gauge(name, help, read) {
      renderers.push(() => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${read()}`].join('\n'));
    },
    histogram(name, help, buckets) {
      const sorted = [...buckets].sort((a, b) => a - b);
      const series = new Map<string, { counts: number[]; sum: number; count: number }>();
      renderers.push(() => {
        const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
        for (const [key, entry] of series) {
          let cumulative = 0;
          sorted.forEach((bound, index) => {
            cumulative += entry.counts[index] ?? 0;
            lines.push(`${name}_bucket${braces(key, `le="${bound}"`)} ${cumulative}`);
          });
          lines.push(`${name}_bucket${braces(key, 'le="+Inf"')} ${entry.count}`);
          lines.push(`${name}_sum${braces(key)} ${entry.sum}`);
          lines.push(`${name}_count${braces(key)} ${entry.count}`);
        }
        return lines.join('\n');
      });
      return {
        observe(value, labels = {}) {
          const key = labelKey(labels);
          let entry = series.get(key);
          if (!entry) {
            entry = { counts: sorted.map(() => 0), sum: 0, count: 0 };
            series.set(key, entry);
          }
          const index = sorted.findIndex((bound) => value <= bound);
          if (index >= 0) entry.counts[index] = (entry.counts[index] ?? 0) + 1;
          entry.sum += value;
          entry.count += 1;
        },
      };
    },
    render: () => `${renderers.map((render) => render()).join('\n')}\n`,
  };
}

/** The service's own metrics, created once per app. */
export function createServiceMetrics() {
  const metrics = createMetrics();
  const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    metrics,
    requestDuration: metrics.histogram('kefu_http_request_duration_seconds', 'HTTP request latency by route and status', latencyBuckets),
    answers: metrics.counter('kefu_answers_total', 'Answers given, by outcome (answered, faq, refused, handoff)'),
    retrievalDuration: metrics.histogram('kefu_retrieval_duration_seconds', 'Time spent retrieving passages for one question', latencyBuckets),
    tickets: metrics.counter('kefu_tickets_opened_total', 'Hand-over tickets opened, by reason'),
    streamsAborted: metrics.counter('kefu_streams_aborted_total', 'Streamed answers abandoned because the client disconnected'),
    agentMessages: metrics.counter('kefu_agent_messages_total', 'Agent replies and internal notes, by kind'),
  };
}

export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;
