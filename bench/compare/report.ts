// Turns per-run results into the medians table, Parley's ratios to each peer, the goal checks, and the Markdown page.
import type { FirstScreen } from './first-screen.js';
import type { Machine } from './machine.js';
import { wasBusy } from './machine.js';
import { median } from './stats.js';
import type { ChartPanel } from './svg-chart.js';
import type { Target, TargetId } from './targets.js';

/** One figure of one scenario: its value in each run, per target. */
export interface Metric {
  key: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  runs: Partial<Record<TargetId, number[]>>;
}

export const medianOf = (metric: Metric, id: TargetId): number => median(metric.runs[id] ?? []);

const fmt = (value: number): string => {
  if (Number.isNaN(value)) return 'n/a';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
};

const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

/** The main table: medians per target, then Parley ÷ each other target. */
export const resultsTable = (metrics: readonly Metric[], targets: readonly Target[]): string[][] => {
  const peers = targets.filter((t) => t.id !== 'parley');
  const header = ['figure', ...targets.map((t) => t.label), ...peers.map((p) => `Parley ÷ ${p.label}`)];
  const rows = metrics.map((m) => {
    const parley = medianOf(m, 'parley');
    return [
      `${m.label} (${m.unit}, ${m.better} is better)`,
      ...targets.map((t) => fmt(medianOf(m, t.id))),
      ...peers.map((p) => ratio(parley, medianOf(m, p.id))),
    ];
  });
  return [header, ...rows];
};

export const markdownTable = (rows: string[][]): string => {
  const [header, ...body] = rows;
  if (!header) return '';
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
};

export const textTable = (rows: string[][]): string => {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
};

/** The issue's goals, checked against the medians. Each line says met or missed and by how much. */
export const goalChecks = (metrics: readonly Metric[]): string[] => {
  const find = (key: string) => metrics.find((m) => m.key === key);
  const lines: string[] = [];
  const p99 = find('fanout-p99');
  // A goal is checked only when the run measured every server it compares.
  const has = (m: Metric, ids: TargetId[]) => ids.every((id) => Number.isFinite(medianOf(m, id)));
  if (p99 && has(p99, ['parley', 'y-websocket', 'hocuspocus', 'raw-ws'])) {
    const parley = medianOf(p99, 'parley');
    const bestPeer = Math.min(medianOf(p99, 'y-websocket'), medianOf(p99, 'hocuspocus'));
    const floor = medianOf(p99, 'raw-ws');
    const okPeers = parley <= bestPeer;
    const okFloor = parley <= 1.5 * floor;
    lines.push(
      `Fan-out p99 no worse than either peer: ${okPeers ? 'met' : 'MISSED'} (Parley ${fmt(parley)} ms, best peer ${fmt(bestPeer)} ms, ${ratio(parley, bestPeer)}).`,
      `Fan-out p99 within 1.5× of the raw floor: ${okFloor ? 'met' : 'MISSED'} (Parley ${fmt(parley)} ms, floor ${fmt(floor)} ms, ${ratio(parley, floor)}).`,
    );
  }
  // Issue 13: relay CPU per delivered message ≤ y-websocket's; CPU to accept a connection ≤ 1.2× y-websocket's.
  for (const [key, what] of [
    ['fanout-cpu', 'fan-out to 100'],
    ['fanout500-cpu', 'fan-out to 500'],
    ['many-conn-cpu', '10,000 connections / 1,000 rooms'],
  ] as const) {
    const m = find(key);
    if (!m || !has(m, ['parley', 'y-websocket'])) continue;
    const parley = medianOf(m, 'parley');
    const peer = medianOf(m, 'y-websocket');
    lines.push(`CPU per message, ${what}, ≤ y-websocket's: ${parley <= peer ? 'met' : 'MISSED'} (Parley ${fmt(parley)} ms, y-websocket ${fmt(peer)} ms, ${ratio(parley, peer)}).`);
  }
  const connect = find('connect-cpu');
  if (connect && has(connect, ['parley', 'y-websocket'])) {
    const parley = medianOf(connect, 'parley');
    const peer = medianOf(connect, 'y-websocket');
    lines.push(`CPU per connection ≤ 1.2× y-websocket's: ${parley <= 1.2 * peer ? 'met' : 'MISSED'} (Parley ${fmt(parley)} µs, y-websocket ${fmt(peer)} µs, ${ratio(parley, peer)}; a first connection of a new user, with its conversation listed durably).`);
  }
  const reconnect = find('reconnect-cpu');
  if (reconnect && has(reconnect, ['parley', 'y-websocket'])) {
    const parley = medianOf(reconnect, 'parley');
    const peer = medianOf(reconnect, 'y-websocket');
    lines.push(`CPU per reconnection ≤ 1.2× y-websocket's: ${parley <= 1.2 * peer ? 'met' : 'MISSED'} (Parley ${fmt(parley)} µs, y-websocket ${fmt(peer)} µs, ${ratio(parley, peer)}; new tokens verified, nothing to list).`);
  }
  const rss = find('rss-per-connection');
  if (rss && has(rss, ['parley', 'y-websocket', 'hocuspocus'])) {
    const parley = medianOf(rss, 'parley');
    const best = Math.min(medianOf(rss, 'y-websocket'), medianOf(rss, 'hocuspocus'));
    lines.push(`Memory per idle connection no worse than the best peer: ${parley <= best ? 'met' : 'MISSED'} (Parley ${fmt(parley)} KB, best peer ${fmt(best)} KB, ${ratio(parley, best)}).`);
  }
  const warmIn = find('warm-bytes-in');
  const warmOut = find('warm-bytes-out');
  if (warmIn && warmOut && has(warmIn, ['parley'])) {
    const received = medianOf(warmIn, 'parley');
    const total = received + medianOf(warmOut, 'parley');
    lines.push(`Warm rejoin under 1 KB: ${total < 1024 ? 'met' : 'MISSED'} (Parley ${fmt(received)} B received, ${fmt(total)} B both ways).`);
  }
  return lines;
};

/** The browser's first-screen curve as a table: medians per conversation length. */
export const firstScreenTable = (results: readonly FirstScreen[]): string[][] => [
  ['messages', 'encoded MiB', 'first screen (newest messages in state), ms', 'full history in state, ms', 'longest main-thread task, ms'],
  ...results.map((r) => [r.messages.toLocaleString('en-US'), r.mib.toFixed(1), fmt(median(r.screenMs)), fmt(median(r.fullMs)), fmt(median(r.longestTaskMs))]),
];

/** Issue 13's browser goals: first screen under 150 ms at 100,000 messages; no main-thread task over 50 ms while the rest loads. */
export const firstScreenGoals = (results: readonly FirstScreen[]): string[] => {
  const largest = [...results].sort((a, b) => b.messages - a.messages)[0];
  if (!largest) return [];
  const n = largest.messages.toLocaleString('en-US');
  const screen = median(largest.screenMs);
  const longest = Math.max(...results.map((r) => median(r.longestTaskMs)));
  return [
    `Browser first screen from IndexedDB under 150 ms at ${n} messages: ${screen < 150 ? 'met' : 'MISSED'} (${fmt(screen)} ms).`,
    `Browser main thread never blocked over 50 ms while the rest loads: ${longest <= 50 ? 'met' : 'MISSED'} (longest task ${fmt(longest)} ms, median over runs, worst length).`,
  ];
};

export const chartPanels = (metrics: readonly Metric[], targets: readonly Target[]): ChartPanel[] =>
  metrics.map((m) => ({
    title: m.label,
    unit: m.unit,
    better: m.better,
    bars: targets.map((t) => ({ label: t.label, value: medianOf(m, t.id), highlight: t.id === 'parley' })),
  }));

export interface PageInput {
  command: string;
  mode: string;
  runs: Record<string, number>;
  machine: Machine;
  versions: Record<string, string>;
  targets: readonly Target[];
  scenarios: string[];
  metrics: readonly Metric[];
  notes: string[];
  durationS: number;
  /** The browser's first-screen curve (Parley's client only), when it ran. */
  firstScreen?: readonly FirstScreen[];
}

export const markdownPage = (input: PageInput): string => {
  const { machine } = input;
  const runsText = Object.entries(input.runs).map(([k, v]) => `${k}: ${v}`).join(', ');
  const perRun = input.metrics.map((m) =>
    `| ${m.label} (${m.unit}) | ${input.targets.map((t) => (m.runs[t.id] ?? []).map(fmt).join(', ') || 'n/a').join(' | ')} |`,
  );
  return `# Parley relay benchmarks, side by side

Generated by \`${input.command}\` (${input.mode}) in ${input.durationS.toFixed(0)} s. Method: [benchmarks-method.md](benchmarks-method.md). Goals, each performance pass and the remaining gaps: [performance.md](performance.md). Never asserted in tests.

**Machine**: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}.
Load average (1 min) ${machine.loadStart.toFixed(2)} at start, ${(machine.loadEnd ?? Number.NaN).toFixed(2)} at end${wasBusy(machine) ? ' — **the machine was busy with other work during this run; treat small differences as noise**' : ''}.
**Versions**: ${Object.entries(input.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.
**Runs** (medians over): ${runsText}.

## Servers
${input.targets.map((t) => `- **${t.label}**: ${t.settings}.`).join('\n')}

Every server runs in its own child process on 127.0.0.1 with an OS-assigned port. Clients: the same y-protocols sync client over \`ws\` for Parley, y-websocket and the floor; \`@hocuspocus/provider\` for Hocuspocus (its protocol differs).

## Scenarios
${input.scenarios.map((s) => `- ${s}`).join('\n')}

## Results (medians)
${markdownTable(resultsTable(input.metrics, input.targets))}

![Benchmark chart](benchmarks.svg)

${input.firstScreen && input.firstScreen.length > 0 ? `## Browser: first screen from IndexedDB (Parley's client only)
Real Chromium (Debian's), \`bench/client.bench.ts\` ("first screen" test, as \`npm run bench:client\` runs it): a conversation of two authors alternating, seeded into IndexedDB as y-indexeddb keeps it (one whole-state row), opened once (the visit that writes the tail cache and rewrites the cache as 64 KiB pieces), then opened 3 times with the relay unreachable; medians of the 3.

${markdownTable(firstScreenTable(input.firstScreen))}
` : ''}
## Goals
${[...goalChecks(input.metrics), ...firstScreenGoals(input.firstScreen ?? [])].map((l) => `- ${l}`).join('\n')}

${input.notes.length > 0 ? `## Notes from this run\n${input.notes.map((n) => `- ${n}`).join('\n')}\n` : ''}
## Every run
| figure | ${input.targets.map((t) => t.label).join(' | ')} |
|---|${input.targets.map(() => '---').join('|')}|
${perRun.join('\n')}

Why Parley misses a goal, with profiles: see "Findings" in [benchmarks-method.md](benchmarks-method.md).
`;
};
