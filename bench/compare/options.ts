// Command-line options of `npm run bench` and the two presets: --quick (< 4 min) and full (< 15 min).
import { parseArgs } from 'node:util';
import type { BurstParams } from './scenarios/burst.js';
import type { ConnectionsParams } from './scenarios/connections.js';
import type { FanOutParams } from './scenarios/fan-out.js';
import type { ManyRoomsParams } from './scenarios/many-rooms.js';
import type { TargetId } from './targets.js';

export const SCENARIOS = ['fan-out', 'connections', 'many-rooms', 'join', 'burst', 'first-screen'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  scenarios: ScenarioId[];
  targets: TargetId[] | undefined;
  /** Write docs/benchmarks.md and docs/benchmarks.svg (off with --no-write). */
  write: boolean;
  /** Directory for a CPU profile of each Parley child (--cpu-prof). */
  cpuProfDir: string | undefined;
  /** Directory for CPU profiles of each phase of the connections scenario and of each fan-out batch, every target (--phase-prof). */
  phaseProfDir: string | undefined;
  runs: { fanOut: number; connections: number; manyRooms: number; join: number; burst: number };
  /** Fan-out is measured once per entry (receivers and messages per run). */
  fanOut: FanOutParams[];
  connections: ConnectionsParams;
  manyRooms: ManyRoomsParams;
  historyMessages: number;
  burst: BurstParams;
}

export const HELP = `Usage: npm run bench -- [--quick] [--only fan-out,connections,many-rooms,join,burst,first-screen] [--targets parley,raw-ws]
                        [--runs N] [--no-write] [--cpu-prof DIR] [--phase-prof DIR]

Compares Parley's relay with y-websocket 1.5.4, Hocuspocus 4 and a raw ws floor; prints a table of medians
and writes docs/benchmarks.md and docs/benchmarks.svg (unless --no-write, or --only/--targets narrow the run).
first-screen runs the browser client's first-screen curve in Debian's Chromium (skipped when it is not installed).
`;

export const parseOptions = (argv: string[]): BenchOptions | undefined => {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      targets: { type: 'string' },
      runs: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      'phase-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const quick = values.quick === true;
  const scenarios = values.only ? (values.only.split(',') as ScenarioId[]) : [...SCENARIOS];
  for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (one of ${SCENARIOS.join(', ')})`);
  const targets = values.targets ? (values.targets.split(',') as TargetId[]) : undefined;
  const forced = values.runs ? Number.parseInt(values.runs, 10) : undefined;
  const runs = quick
    ? { fanOut: 3, connections: 1, manyRooms: 1, join: 3, burst: 1 }
    : { fanOut: 5, connections: 3, manyRooms: 3, join: 5, burst: 3 };
  if (forced !== undefined) for (const key of Object.keys(runs) as Array<keyof typeof runs>) runs[key] = forced;
  return {
    quick,
    scenarios,
    targets,
    // A partial run must not overwrite the published page.
    write: values['no-write'] !== true && values.only === undefined && values.targets === undefined && values['phase-prof'] === undefined,
    cpuProfDir: values['cpu-prof'],
    phaseProfDir: values['phase-prof'],
    runs,
    // Warm-up long enough for the JIT: after 50 (10) warm-up messages V8 was still optimizing the servers' per-message
    // code during the measured runs (`--trace-opt`, per 500-message run: Parley 39–55 TurboFan compilations taking
    // 110–230 ms, y-websocket 17–32 taking 41–63 ms), which billed a one-time warm-up as CPU per message.
    fanOut: [
      { receivers: 100, messages: 500, gapMs: 4, warmupMessages: 1500 },
      // 500 receivers: 5× the deliveries per message, and all 500 replicas apply each one in this process; so
      // fewer messages at a wider gap, or the client side (not the server) sets the latency.
      { receivers: 500, messages: quick ? 50 : 100, gapMs: 40, warmupMessages: 150 },
    ],
    connections: { connections: 10_000, rooms: 1_000, messagesPerRoom: quick ? 1 : 2, gapMs: 1 },
    manyRooms: { connections: 2000, rooms: 200, settleMs: quick ? 1000 : 2000 },
    historyMessages: 50_000,
    burst: {
      receivers: 10,
      seconds: quick ? 1 : 2,
      rates: quick ? [500, 1000, 2000, 4000, 8000] : [500, 1000, 2000, 3000, 4000, 6000, 8000, 12000, 16000],
      bisect: quick ? 0 : 2,
      p99LimitMs: 100,
    },
  };
};
