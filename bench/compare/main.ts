// `npm run bench`: runs every scenario against Parley and its peers, prints medians and ratios, writes docs/benchmarks.md.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { chromiumPath, runFirstScreen, type FirstScreen } from './first-screen.js';
import { buildHistory, type History } from './history.js';
import { describeMachine, finishMachine, versions, wasBusy } from './machine.js';
import { HELP, parseOptions, type BenchOptions } from './options.js';
import { chartPanels, firstScreenGoals, firstScreenTable, goalChecks, markdownPage, resultsTable, textTable, type Metric } from './report.js';
import { runBurst } from './scenarios/burst.js';
import { runConnections } from './scenarios/connections.js';
import { openFanOut } from './scenarios/fan-out.js';
import { openHolder, runJoin } from './scenarios/join.js';
import { runManyRooms } from './scenarios/many-rooms.js';
import { renderChart } from './svg-chart.js';
import { TARGETS, launch, type RunningTarget, type Target, type TargetId } from './targets.js';

/** Parley's idle unload in the connections and many-rooms scenarios (see their descriptions). */
const CONNECTIONS_IDLE_UNLOAD_MS = 1000;

const log = (line: string) => process.stdout.write(`${line}\n`);

const metric = (key: string, label: string, unit: string, better: 'lower' | 'higher'): Metric => ({ key, label, unit, better, runs: {} });
const record = (m: Metric, id: TargetId, value: number) => (m.runs[id] ??= []).push(value);

/** Targets in a different order each run, so a slow phase of the machine does not always hit the same server. */
const rotate = <T>(items: readonly T[], run: number): T[] => items.map((_, i) => items[(i + run) % items.length]!);

/** Starts the targets in parallel (their start-up dominates short scenarios); if one fails, the others are stopped. */
const launchAll = async (targets: readonly Target[], options: BenchOptions, seed?: History, room?: string, idleUnloadMs?: number) => {
  const settled = await Promise.allSettled(
    targets.map((target) =>
      launch(target, {
        seed: seed && room ? { room, file: seed.file } : undefined,
        cpuProfDir: target.id === 'parley' ? options.cpuProfDir : undefined,
        idleUnloadMs,
      }),
    ),
  );
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopAll(started);
    throw failed.reason;
  }
  return started;
};

const stopAll = (running: readonly RunningTarget[]) => Promise.all(running.map((r) => r.stop()));

const main = async () => {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    process.stdout.write(HELP);
    return;
  }
  const started = performance.now();
  const targets = TARGETS.filter((t) => !options.targets || options.targets.includes(t.id));
  let machine = describeMachine();
  log(`Parley relay benchmarks (${options.quick ? 'quick' : 'full'}) — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadStart.toFixed(2)}`);
  for (const t of targets) log(`  ${t.label}: ${t.settings}`);
  const metrics: Metric[] = [];
  const notes: string[] = [];
  const scenarioText: string[] = [];
  const running: RunningTarget[] = [];
  let firstScreen: FirstScreen[] | undefined;
  // Whatever happens, every child is stopped (and server-process kills leftovers on exit).
  const stopping = async () => stopAll(running.splice(0));

  try {
    if (options.scenarios.includes('fan-out')) {
      for (const p of options.fanOut) {
        // The 100-receiver figures keep their historical keys; other sizes carry the receiver count.
        const key = p.receivers === 100 ? 'fanout' : `fanout${p.receivers}`;
        scenarioText.push(`Fan-out to ${p.receivers}: 1 writer and ${p.receivers} receivers in one room; ${p.messages} chat messages made with sendMessage, one every ${p.gapMs} ms, after ${p.warmupMessages} warm-up messages. Latency = writer's send → receiver's document applied it, over every (message, receiver) pair.`);
        log(`\n== fan-out: ${p.receivers} receivers, ${p.messages} messages at ${p.gapMs} ms gaps, ${options.runs.fanOut} runs`);
        const m = {
          p50: metric(`${key}-p50`, `Fan-out to ${p.receivers}, latency p50`, 'ms', 'lower'),
          p99: metric(`${key}-p99`, `Fan-out to ${p.receivers}, latency p99`, 'ms', 'lower'),
          max: metric(`${key}-max`, `Fan-out to ${p.receivers}, latency max`, 'ms', 'lower'),
          cpu: metric(`${key}-cpu`, `Server CPU per message (fan-out to ${p.receivers})`, 'ms', 'lower'),
        };
        if (options.phaseProfDir) mkdirSync(options.phaseProfDir, { recursive: true });
        running.push(...(await launchAll(targets, options)));
        // One room per server, joined once and warmed up; each run is a further batch of messages in it.
        const rooms = new Map<RunningTarget, Awaited<ReturnType<typeof openFanOut>>>();
        try {
          for (const r of running) rooms.set(r, await openFanOut(r, key, p));
          for (let run = 0; run < options.runs.fanOut; run++) {
            for (const r of rotate(running, run)) {
              // With --phase-prof, each measured batch is profiled (every target), as the connections scenario's phases are.
              const profile = options.phaseProfDir ? join(options.phaseProfDir, `${r.target.id}-${key}-run${run + 1}.cpuprofile`) : undefined;
              const result = await rooms.get(r)!.measure(profile);
              log(`  run ${run + 1} ${r.target.label.padEnd(18)} p50 ${result.p50.toFixed(1)} ms  p99 ${result.p99.toFixed(1)} ms  max ${result.max.toFixed(1)} ms  cpu/msg ${result.serverCpuMsPerMessage.toFixed(3)} ms  lost ${result.lost}`);
              if (result.lost > 0) notes.push(`fan-out to ${p.receivers} run ${run + 1}: ${r.target.label} lost ${result.lost} deliveries.`);
              record(m.p50, r.target.id, result.p50);
              record(m.p99, r.target.id, result.p99);
              record(m.max, r.target.id, result.max);
              record(m.cpu, r.target.id, result.serverCpuMsPerMessage);
            }
          }
        } finally {
          await Promise.all([...rooms.values()].map((room) => room.close()));
        }
        await stopping();
        metrics.push(m.p50, m.p99, m.max, m.cpu);
      }
    }

    if (options.scenarios.includes('connections')) {
      const p = options.connections;
      scenarioText.push(
        `Connections: in a fresh server process per run, ${p.connections.toLocaleString('en-US')} clients (each its own user; Parley verifies each one's token) join ${p.rooms.toLocaleString('en-US')} rooms (${p.connections / p.rooms} each), 100 connecting at a time, each until synced: server CPU from the first connect until the server is idle again (room creation included, and what the connects leave for later: Parley lists each room in each new user's conversation list, durably: a group-committed record in its journal of pending listings, applied when that user's account document next loads — no benchmark user opens it; rooms unload ${CONNECTIONS_IDLE_UNLOAD_MS / 1000} s after their last connection instead of 30 s so that this work falls in the phase that caused it). ` +
          `Then one chat message per room from one member (its first write: on Parley it creates the room's log on disk, durably), and after it ${p.messagesPerRoom} more per room, rooms taking turns every ${p.gapMs} ms: server CPU per message for each pass, delivered to the room's other ${p.connections / p.rooms - 1}. ` +
          'Then every client leaves, the server settles (rooms unload), and all come back with tokens the server has not seen: server CPU per reconnection (tokens verified; nothing left to list).',
      );
      log(`\n== connections: ${p.connections} over ${p.rooms} rooms, ${options.runs.connections} runs`);
      const m = {
        total: metric('connect-cpu-total', `CPU to connect ${p.connections.toLocaleString('en-US')} clients`, 's', 'lower'),
        per: metric('connect-cpu', 'CPU per connection (token verified, synced)', 'µs', 'lower'),
        msg: metric('many-conn-cpu', `Server CPU per message (${p.connections.toLocaleString('en-US')} connections, ${p.rooms.toLocaleString('en-US')} rooms)`, 'ms', 'lower'),
        first: metric('many-conn-first-cpu', `Server CPU per room's first message (same rooms)`, 'ms', 'lower'),
        reconnect: metric('reconnect-cpu', 'CPU per reconnection (same users, new tokens verified, synced)', 'µs', 'lower'),
      };
      if (options.phaseProfDir) mkdirSync(options.phaseProfDir, { recursive: true });
      for (let run = 0; run < options.runs.connections; run++) {
        for (const r of rotate(targets, run)) {
          // One server at a time: 10,000 sockets per process, and CPU measured without the others connecting.
          const [running1] = await launchAll([r], options, undefined, undefined, CONNECTIONS_IDLE_UNLOAD_MS);
          running.push(running1!);
          const result = await runConnections(running1!, `conn${run}`, p, options.phaseProfDir);
          log(`  run ${run + 1} ${r.label.padEnd(18)} connect ${(result.connectCpuMs / 1000).toFixed(2)} s CPU (${result.connectCpuMicrosPerConnection.toFixed(0)} µs/conn, again ${result.reconnectCpuMicrosPerConnection.toFixed(0)} µs/conn)  cpu/msg ${result.cpuMsPerMessage.toFixed(3)} ms (first ${result.firstWriteCpuMsPerMessage.toFixed(3)} ms)  lost ${result.lost}`);
          if (result.lost > 0) notes.push(`connections run ${run + 1}: ${r.label} lost ${result.lost} deliveries.`);
          if (result.retries > 0) notes.push(`connections run ${run + 1}: ${result.retries} of ${r.label}'s connections failed and were made again.`);
          record(m.total, r.id, result.connectCpuMs / 1000);
          record(m.per, r.id, result.connectCpuMicrosPerConnection);
          record(m.msg, r.id, result.cpuMsPerMessage);
          record(m.first, r.id, result.firstWriteCpuMsPerMessage);
          record(m.reconnect, r.id, result.reconnectCpuMicrosPerConnection);
          await stopping();
        }
      }
      metrics.push(m.msg, m.first, m.total, m.per, m.reconnect);
    }

    if (options.scenarios.includes('many-rooms')) {
      const p = options.manyRooms;
      scenarioText.push(`Many rooms: ${p.connections} idle connections over ${p.rooms} rooms (each synced, then idle, and the server idle too: Parley's idle unload set to ${CONNECTIONS_IDLE_UNLOAD_MS / 1000} s); server RSS growth ÷ connections, after forced GCs, in a fresh server process per run.`);
      log(`\n== many rooms: ${p.connections} connections over ${p.rooms} rooms, ${options.runs.manyRooms} runs`);
      const rss = metric('rss-per-connection', 'RSS per idle connection', 'KB', 'lower');
      const heap = metric('heap-per-connection', 'JS heap per idle connection', 'KB', 'lower');
      for (let run = 0; run < options.runs.manyRooms; run++) {
        // A fresh process per server and run: RSS does not shrink back after connections close.
        running.push(...(await launchAll(targets, options, undefined, undefined, CONNECTIONS_IDLE_UNLOAD_MS)));
        for (const r of rotate(running, run)) {
          const result = await runManyRooms(r, `many${run}`, p);
          log(`  run ${run + 1} ${r.target.label.padEnd(18)} RSS/conn ${(result.rssPerConnection / 1024).toFixed(1)} KB  heap/conn ${(result.heapPerConnection / 1024).toFixed(1)} KB  (baseline RSS ${(result.baselineRss / 2 ** 20).toFixed(0)} MiB)`);
          record(rss, r.target.id, result.rssPerConnection / 1024);
          record(heap, r.target.id, result.heapPerConnection / 1024);
        }
        await stopping();
      }
      metrics.push(rss, heap);
    }

    if (options.scenarios.includes('join')) {
      log(`\n== join: building a ${options.historyMessages.toLocaleString('en-US')}-message room`);
      const history = buildHistory(options.historyMessages);
      log(`  built in ${(history.buildMs / 1000).toFixed(1)} s: ${(history.state.byteLength / 2 ** 20).toFixed(2)} MiB of state`);
      scenarioText.push(
        `Cold join: a room of ${options.historyMessages.toLocaleString('en-US')} messages by 8 authors (one in fifty edited; ${(history.state.byteLength / 2 ** 20).toFixed(1)} MiB encoded), already loaded on the server (a holder client stays connected); a new client with an empty document joins: time until its document holds every message, and bytes it received. ` +
          'Warm rejoin: the same client reconnects with its up-to-date document: time until the sync answer, and bytes both ways (counted until 300 ms after). ' +
          'The raw floor cannot hold a document: there the holder client answers the joiner through the relay.',
      );
      const m = {
        coldMs: metric('cold-ms', 'Cold join, time to synced', 'ms', 'lower'),
        coldBytes: metric('cold-bytes', 'Cold join, bytes received', 'MiB', 'lower'),
        warmMs: metric('warm-ms', 'Warm rejoin, time', 'ms', 'lower'),
        warmIn: metric('warm-bytes-in', 'Warm rejoin, bytes received', 'B', 'lower'),
        warmOut: metric('warm-bytes-out', 'Warm rejoin, bytes sent', 'B', 'lower'),
      };
      const room = 'history';
      try {
        running.push(...(await launchAll(targets, options, history, room)));
        const holders = [];
        for (const r of running) holders.push(await openHolder(r, room, history));
        // Warm-up join (discarded) per server.
        for (const r of running) await runJoin(r, room, history, -1);
        for (let run = 0; run < options.runs.join; run++) {
          for (const r of rotate(running, run)) {
            const result = await runJoin(r, room, history, run);
            log(`  run ${run + 1} ${r.target.label.padEnd(18)} cold ${result.coldMs.toFixed(0)} ms ${(result.coldBytesIn / 2 ** 20).toFixed(2)} MiB  warm ${result.warmMs.toFixed(1)} ms in ${result.warmBytesIn} B out ${result.warmBytesOut} B`);
            record(m.coldMs, r.target.id, result.coldMs);
            record(m.coldBytes, r.target.id, result.coldBytesIn / 2 ** 20);
            record(m.warmMs, r.target.id, result.warmMs);
            record(m.warmIn, r.target.id, result.warmBytesIn);
            record(m.warmOut, r.target.id, result.warmBytesOut);
          }
        }
        await Promise.all(holders.map((h) => h.close()));
        await stopping();
      } finally {
        rmSync(history.file, { force: true });
      }
      metrics.push(m.coldMs, m.coldBytes, m.warmMs, m.warmIn, m.warmOut);
    }

    if (options.scenarios.includes('burst')) {
      const p = options.burst;
      scenarioText.push(`Burst: 1 writer and ${p.receivers} receivers in a fresh room per step; the writer sends pre-made sendMessage updates (one frame each) at a fixed rate for ${p.seconds} s; rates ${p.rates.join(', ')}/s in turn until one fails${p.bisect > 0 ? `, then ${p.bisect} bisection steps` : ''}. A step passes when every update reaches every receiver and p99 latency < ${p.p99LimitMs} ms. The figure is the highest passing rate. Clients run in one process on the same 2-core machine, so the floor's figure is also the client side's limit.`);
      log(`\n== burst: ${p.receivers} receivers, ${p.seconds} s per rate, ${options.runs.burst} runs`);
      const rate = metric('burst-rate', 'Burst: highest rate with p99 < 100 ms', 'updates/s', 'higher');
      running.push(...(await launchAll(targets, options)));
      for (let run = 0; run < options.runs.burst; run++) {
        for (const r of rotate(running, run)) {
          const result = await runBurst(r, `burst${run}`, p);
          const steps = result.steps.map((s) => `${s.rate}:${s.pass ? 'ok' : 'fail'}(p99 ${s.p99.toFixed(0)}${s.lost > 0 ? `, lost ${s.lost}` : ''})`).join(' ');
          log(`  run ${run + 1} ${r.target.label.padEnd(18)} max ${result.maxRate}/s  ${steps}`);
          record(rate, r.target.id, result.maxRate);
        }
      }
      await stopping();
      metrics.push(rate);
    }

    if (options.scenarios.includes('first-screen')) {
      log('\n== browser first screen: 10k / 50k / 100k messages from IndexedDB (Parley client, Chromium)');
      if (chromiumPath() === undefined) {
        notes.push('The browser first-screen curve was skipped: no Chromium at /usr/bin/chromium (or CHROMIUM_PATH).');
        log('  skipped: no Chromium');
      } else {
        firstScreen = await runFirstScreen(log);
      }
    }
  } finally {
    await stopping();
  }

  machine = finishMachine(machine);
  if (wasBusy(machine)) notes.push(`The machine was busy (load average ${machine.loadStart.toFixed(2)} → ${(machine.loadEnd ?? 0).toFixed(2)} on ${machine.cores} cores): other work shared the CPU.`);
  const durationS = (performance.now() - started) / 1000;
  log('\n== medians');
  log(textTable(resultsTable(metrics, targets)));
  if (firstScreen) log(`\n${textTable(firstScreenTable(firstScreen))}`);
  log('');
  for (const line of [...goalChecks(metrics), ...firstScreenGoals(firstScreen ?? [])]) log(line);
  for (const note of notes) log(`note: ${note}`);
  log(`\ndone in ${durationS.toFixed(0)} s`);

  if (options.write) {
    const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
    mkdirSync(docs, { recursive: true });
    const page = markdownPage({
      command: `npm run bench${options.quick ? ' -- --quick' : ''}`,
      mode: options.quick ? 'quick' : 'full',
      runs: Object.fromEntries(Object.entries(options.runs).filter(([k]) => options.scenarios.some((s) => s.replace('-', '').toLowerCase() === k.toLowerCase()))),
      machine,
      versions: versions(),
      targets,
      scenarios: scenarioText,
      metrics,
      notes,
      durationS,
      firstScreen,
    });
    writeFileSync(`${docs}benchmarks.md`, page);
    writeFileSync(
      `${docs}benchmarks.svg`,
      renderChart('Parley relay vs. y-websocket, Hocuspocus and a raw ws floor (medians)', `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`, chartPanels(metrics, targets)),
    );
    log('wrote docs/benchmarks.md and docs/benchmarks.svg');
  }
};

// `npm run bench -- --cluster [--quick]`: the cluster benchmark (the same as `npm run bench:cluster`), which runs itself on import.
if (process.argv.includes('--cluster')) void import('../cluster-bench.js');
else main().then(() => process.exit(process.exitCode ?? 0), (error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  // Exit explicitly: a failed run may leave sockets and timers behind (children are killed on exit).
  process.exit(1);
});
