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

/** A gauge whose labelled values are set (e.g. refreshed before each scrape). */
export interface LabelledGauge {
  set(value: number, labels?: Labels): void;
}

export interface Metrics {
  counter(name: string, help: string): Counter;
  /** A value read when scraped (e.g. streams open now). */
  gauge(name: string, help: string, read: () => number): void;
  labelledGauge(name: string, help: string): LabelledGauge;
  /** Work done before each scrape (reading values that need I/O); failures leave the previous values. */
  beforeScrape(refresh: () => Promise<void>): void;
  /** Runs the refreshes, then renders. */
  scrape(): Promise<string>;
  histogram(name: string, help: string, buckets: number[]): Histogram;
  /** The exposition text for GET /metrics. */
  render(): string;
}

export function createMetrics(): Metrics {
  const renderers: Array<() => string> = [];
  const refreshes: Array<() => Promise<void>> = [];
  const render = () => `${renderers.map((renderer) => renderer()).join('\n')}\n`;
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
    labelledGauge(name, help) {
      const values = new Map<string, number>();
      renderers.push(() => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...[...values].map(([key, value]) => `${name}${braces(key)} ${value}`)].join('\n'));
      return {
        set(value, labels = {}) {
          values.set(labelKey(labels), value);
        },
      };
    },
    beforeScrape(refresh) {
      refreshes.push(refresh);
    },
    async scrape() {
      await Promise.all(refreshes.map((refresh) => refresh().catch(() => undefined)));
      return render();
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
    render,
  };
}

/** The service's own metrics, created once per app. */
export function createServiceMetrics() {
  const metrics = createMetrics();
  const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  // Seconds to days: how long people take.
  const conversationBuckets = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 86_400];
  return {
    metrics,
    requestDuration: metrics.histogram('kefu_http_request_duration_seconds', 'HTTP request latency by route and status', latencyBuckets),
    answers: metrics.counter('kefu_answers_total', 'Answers given, by outcome (answered, faq, refused, handoff)'),
    retrievalDuration: metrics.histogram('kefu_retrieval_duration_seconds', 'Time spent retrieving passages for one question', latencyBuckets),
    tickets: metrics.counter('kefu_tickets_opened_total', 'Hand-over tickets opened, by reason'),
    streamsAborted: metrics.counter('kefu_streams_aborted_total', 'Streamed answers abandoned because the client disconnected'),
    agentMessages: metrics.counter('kefu_agent_messages_total', 'Agent replies and internal notes, by kind'),
    // The KPIs of the owner console, as they happen (the report computes them from the event log; these feed alerts).
    answerDuration: metrics.histogram('kefu_answer_duration_seconds', 'Bot response time: question received to complete answer', latencyBuckets),
    releaseAnswers: metrics.counter('kefu_release_answers_total', 'Answers during a gradual release, by arm (control, candidate) and outcome'),
    unstoredTurns: metrics.counter('kefu_unstored_turns_total', 'Customer turns answered while the records failed, by the step not stored (question: nothing stored; answer: question only; hand-over: not handed over)'),
    feedback: metrics.counter('kefu_feedback_total', 'Thumbs given to answers, by rating (up, down)'),
    ratings: metrics.counter('kefu_ratings_total', 'Customer ratings (1–5) after an agent resolved the conversation, by score'),
    agentFirstResponse: metrics.histogram('kefu_agent_first_response_seconds', 'Hand-over to the first agent reply', conversationBuckets),
    ticketResolution: metrics.histogram('kefu_ticket_resolution_seconds', 'Hand-over to the agent resolving it', conversationBuckets),
    waitingTickets: metrics.labelledGauge('kefu_handover_waiting_tickets', 'Handed-over conversations no agent has taken yet'),
    oldestWaiting: metrics.labelledGauge('kefu_handover_oldest_waiting_seconds', 'How long the longest-waiting handed-over conversation has waited (0 when none)'),
    firstResponseTarget: metrics.labelledGauge('kefu_handover_first_response_target_seconds', 'The first-response target (KEFU_FIRST_RESPONSE_TARGET_MINUTES), for alert rules'),
    documents: metrics.labelledGauge('kefu_documents', 'Documents in the index, by status (indexed, failed, skipped, indexing)'),
    indexingStalled: metrics.labelledGauge('kefu_indexing_stalled', '1 while the watcher is stalled (changes waiting longer than they should), else 0'),
    indexingLastSuccess: metrics.labelledGauge('kefu_indexing_last_success_timestamp_seconds', 'When the last sync of the ingest folder succeeded (Unix time; 0 before the first)'),
    releaseShare: metrics.labelledGauge('kefu_release_share_percent', 'Share of visitors in the candidate arm of the running release (0 when none runs)'),
  };
}

export type ServiceMetrics = ReturnType<typeof createServiceMetrics>;
