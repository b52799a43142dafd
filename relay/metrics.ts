// A small Prometheus registry (counters, gauges, one histogram) rendered in the text exposition format.

type Labels = Record<string, string>;

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Series keys of one-label sets, by name and value: counters are bumped per message, their labels come from fixed sets. */
const singleLabelKeys = new Map<string, Map<string, string>>();
const MAX_CACHED_VALUES = 256;

/** Series keys of frozen label objects (constants a hot path passes every time), by identity. */
const frozenLabelKeys = new WeakMap<Labels, string>();

/** Label objects for hot paths: frozen, so their series key is computed once (see labelKey). */
export const constantLabels = <T extends Labels>(labels: T): Readonly<T> => Object.freeze(labels);

const labelKey = (labels: Labels | undefined): string => {
  if (labels === undefined) return '';
  const known = frozenLabelKeys.get(labels);
  if (known !== undefined) return known;
  if (Object.isFrozen(labels)) {
    const key = computeLabelKey(labels);
    frozenLabelKeys.set(labels, key);
    return key;
  }
  return computeLabelKey(labels);
};

const computeLabelKey = (labels: Labels): string => {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  if (keys.length === 1) {
    const name = keys[0]!;
    const value = labels[name]!;
    let byValue = singleLabelKeys.get(name);
    if (byValue === undefined) singleLabelKeys.set(name, (byValue = new Map()));
    let key = byValue.get(value);
    if (key === undefined) {
      key = `{${name}="${escape(value)}"}`;
      if (byValue.size < MAX_CACHED_VALUES) byValue.set(value, key);
    }
    return key;
  }
  return `{${keys.sort().map((k) => `${k}="${escape(labels[k]!)}"`).join(',')}}`;
};

/** A monotonically increasing count, optionally split by labels. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}

/** A value read when metrics are scraped. */
export type GaugeReader = () => number;

/** A latency histogram with fixed buckets, in seconds. */
export interface Histogram {
  observe(seconds: number): void;
  readonly count: number;
}

/** The relay's metrics and their text rendering. */
export interface Metrics {
  connectionsOpened: Counter;
  updatesIn: Counter;
  updatesOut: Counter;
  messagesIn: Counter;
  bytesIn: Counter;
  bytesOut: Counter;
  refusals: Counter;
  writeRefusals: Counter;
  persistSeconds: Histogram;
  /** Registers a gauge evaluated at scrape time. */
  gauge(name: string, help: string, read: GaugeReader): void;
  /** Registers a further counter (e.g. a subsystem's own: push). */
  counter(name: string, help: string): Counter;
  render(): string;
}

const counter = (): Counter & { series: Map<string, number> } => {
  const series = new Map<string, number>();
  return {
    series,
    inc(labels, by = 1) {
      const key = labelKey(labels);
      series.set(key, (series.get(key) ?? 0) + by);
    },
    get(labels) {
      return series.get(labelKey(labels)) ?? 0;
    },
  };
};

const PERSIST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Creates an empty registry. */
export const createMetrics = (): Metrics => {
  const counters: [string, string, ReturnType<typeof counter>][] = [];
  const addCounter = (name: string, help: string) => {
    const c = counter();
    counters.push([name, help, c]);
    return c;
  };
  const gauges: [string, string, GaugeReader][] = [];
  const bucketCounts = PERSIST_BUCKETS.map(() => 0);
  let histogramCount = 0;
  let histogramSum = 0;

  const metrics: Metrics = {
    connectionsOpened: addCounter('parley_connections_opened_total', 'WebSocket connections accepted after authentication.'),
    messagesIn: addCounter('parley_messages_in_total', 'Protocol messages received, by type.'),
    updatesIn: addCounter('parley_updates_in_total', 'Document updates received and accepted.'),
    updatesOut: addCounter('parley_updates_out_total', 'Document updates sent to connections (one per receiver).'),
    bytesIn: addCounter('parley_bytes_in_total', 'WebSocket payload bytes received.'),
    bytesOut: addCounter('parley_bytes_out_total', 'WebSocket payload bytes sent.'),
    refusals: addCounter('parley_refusals_total', 'Connections closed or requests refused, by reason.'),
    writeRefusals: addCounter('parley_write_refusals_total', 'Updates refused by the write check, by rule.'),
    persistSeconds: {
      observe(seconds: number) {
        histogramCount++;
        histogramSum += seconds;
        PERSIST_BUCKETS.forEach((bound, i) => {
          if (seconds <= bound) bucketCounts[i]!++;
        });
      },
      get count() {
        return histogramCount;
      },
    },
    gauge(name, help, read) {
      gauges.push([name, help, read]);
    },
    counter: addCounter,
    render() {
      const lines: string[] = [];
      for (const [name, help, read] of gauges) {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${read()}`);
      }
      for (const [name, help, c] of counters) {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
        if (c.series.size === 0) lines.push(`${name} 0`);
        for (const [key, value] of c.series) lines.push(`${name}${key} ${value}`);
      }
      const h = 'parley_persist_seconds';
      lines.push(`# HELP ${h} Time to make a batch of updates durable (write + fsync), or to write a snapshot.`);
      lines.push(`# TYPE ${h} histogram`);
      PERSIST_BUCKETS.forEach((bound, i) => lines.push(`${h}_bucket{le="${bound}"} ${bucketCounts[i]}`));
      lines.push(`${h}_bucket{le="+Inf"} ${histogramCount}`, `${h}_sum ${histogramSum}`, `${h}_count ${histogramCount}`);
      return `${lines.join('\n')}\n`;
    },
  };
  return metrics;
};
