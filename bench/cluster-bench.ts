// `npm run bench:cluster`: relays over Redis + PostgreSQL next to one relay on disk — fan-out, cold loads, durable writes/s.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { SignJWT } from 'jose';
import { newMessageId, type MessageRecord } from '../shared/conversation.js';
import { startTestRedis } from '../test/support/redis-server.js';
import { startTestPostgres } from '../test/support/postgres-server.js';
import { buildRelay, startRelayProcess, type RelayProcess } from '../test/support/relay-process.js';

/*
 * Every figure comes from real processes: relays started with the real command line, a real redis-server with
 * `appendonly yes` + `appendfsync always`, a real PostgreSQL 15. Clients are raw y-websocket clients in this
 * process. Figures from one run on a shared machine: compare the columns of one run, not runs with each other.
 */

const SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const quick = process.argv.includes('--quick');
const FANOUT_RECEIVERS = 20;
const FANOUT_MESSAGES = quick ? 150 : 400;
const FANOUT_GAP_MS = 5;
const COLD_MESSAGES = quick ? 10_000 : 50_000;
const DURABLE_MESSAGES = quick ? 2000 : 5000;

const log = (line: string) => process.stdout.write(`${line}\n`);

const token = async (sub: string, room = '*', role = 'write') => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ name: sub, rooms: { [room]: role } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(SECRET));
};

const updateFrame = (update: Uint8Array): Uint8Array => {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
};

/** A raw client: applies every sync payload it receives to `doc`, records the highest ack for `ackClient`. */
const connect = async (relay: RelayProcess, room: string, sub: string, acks = false) => {
  const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/rooms/${room}?token=${await token(sub)}${acks ? '&acks=1' : ''}`);
  ws.binaryType = 'nodebuffer';
  const doc = new Y.Doc();
  const state = { acked: new Map<number, number>() };
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    const type = decoding.readVarUint(d);
    if (type === 0) {
      const step = decoding.readVarUint(d);
      if (step !== 0) Y.applyUpdate(doc, decoding.readVarUint8Array(d));
    } else if (type === 100) {
      for (const [client, clock] of Y.decodeStateVector(decoding.readVarUint8Array(d))) state.acked.set(client, clock);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, doc, state };
};

/** A writer whose every message is one update frame; the text carries the send time. */
const writer = (sub: string) => {
  const doc = new Y.Doc();
  let last: Uint8Array | undefined;
  doc.on('update', (u: Uint8Array) => (last = u));
  return {
    doc,
    frame(text: string): Uint8Array {
      const record: MessageRecord = { id: newMessageId(), author: sub, text, createdAt: Date.now() };
      doc.getArray<MessageRecord>('messages').push([record]);
      return updateFrame(last!);
    },
  };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (check: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

/** User + system CPU of a process so far, ms (Linux /proc; clock ticks of 10 ms). */
const cpuMs = (pid: number | undefined): number => {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** Fan-out: one writer on `writeTo`, receivers on `readFrom`; latency to every receiver and relay CPU per message. */
export const fanOut = async (writeTo: RelayProcess, readFrom: RelayProcess, all: RelayProcess[], room: string) => {
  const receivers = await Promise.all(Array.from({ length: FANOUT_RECEIVERS }, (_, i) => connect(readFrom, room, `r${i}`)));
  const source = await connect(writeTo, room, 'writer');
  const w = writer('writer');
  const latencies: number[] = [];
  for (const r of receivers) {
    r.doc.getArray<MessageRecord>('messages').observe((event) => {
      const now = performance.now();
      for (const item of event.changes.added) for (const record of item.content.getContent() as MessageRecord[]) {
        const sent = Number(record.text.split(':')[1]);
        if (record.text.startsWith('m:')) latencies.push(now - sent);
      }
    });
  }
  // Warm up, then measure.
  for (let i = 0; i < 20; i++) source.ws.send(w.frame(`warm:${performance.now()}`));
  await until(() => receivers.every((r) => r.doc.getArray('messages').length >= 20), 30_000, 'warm-up').catch((error: Error) => {
    const counts = receivers.map((r) => r.doc.getArray('messages').length).join(',');
    throw new Error(`${error.message} (received ${counts}; writer socket state ${source.ws.readyState}; relay: ${writeTo.output().slice(-500)})`);
  });
  const cpuBefore = all.reduce((sum, r) => sum + cpuMs(r.pid), 0);
  const start = performance.now();
  for (let i = 0; i < FANOUT_MESSAGES; i++) {
    const wait = start + i * FANOUT_GAP_MS - performance.now();
    if (wait > 0.5) await sleep(wait);
    source.ws.send(w.frame(`m:${performance.now()}`));
  }
  await until(() => latencies.length >= FANOUT_MESSAGES * FANOUT_RECEIVERS, 60_000, 'fan-out deliveries');
  const cpu = all.reduce((sum, r) => sum + cpuMs(r.pid), 0) - cpuBefore;
  for (const c of [source, ...receivers]) c.ws.close();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpuPerMessage: cpu / FANOUT_MESSAGES };
};

/** Writes `count` messages with acks, at most `window` unacknowledged; returns acknowledged updates per second. */
export const durableWrites = async (relay: RelayProcess, room: string, count: number, window = 500) => {
  const c = await connect(relay, room, 'writer', true);
  const w = writer('writer');
  const acked = () => c.state.acked.get(w.doc.clientID) ?? 0;
  const start = performance.now();
  let sent = 0;
  while (acked() < count) {
    while (sent < count && sent - acked() < window) {
      c.ws.send(w.frame(`d:${sent}`));
      sent++;
    }
    await sleep(1);
  }
  const seconds = (performance.now() - start) / 1000;
  c.ws.close();
  return count / seconds;
};

/** Time for a relay that has never loaded `room` to export it (load from storage included), ms. */
const coldExport = async (relay: RelayProcess, room: string) => {
  const admin = await token('admin', room, 'admin');
  const start = performance.now();
  const res = await fetch(`${relay.url}/rooms/${room}/export?format=yjs`, { headers: { authorization: `Bearer ${admin}` } });
  const body = new Uint8Array(await res.arrayBuffer());
  const ms = performance.now() - start;
  if (res.status !== 200) throw new Error(`export failed: ${res.status}`);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, body);
  return { ms, messages: doc.getArray('messages').length };
};

const main = async () => {
  log(`Parley cluster benchmark (${quick ? 'quick' : 'full'}): Node ${process.version}`);
  const [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres(), buildRelay()]);
  const common = ['--messages-per-second', '1000000', '--max-pending-sockets-per-ip', '0', '--log-level', process.env.BENCH_LOG ?? 'error'];
  const clusterEnv = { PARLEY_JWT_SECRET: SECRET, PARLEY_REDIS_URL: redis.url, PARLEY_POSTGRES_URL: postgres.url };
  const relays: RelayProcess[] = [];
  try {
    const [disk, a, b] = await Promise.all([
      startRelayProcess({ env: { PARLEY_JWT_SECRET: SECRET }, args: common }),
      startRelayProcess({ env: clusterEnv, args: common }),
      startRelayProcess({ env: clusterEnv, args: common }),
    ]);
    relays.push(disk!, a!, b!);

    log(`\nFan-out: 1 writer, ${FANOUT_RECEIVERS} receivers, ${FANOUT_MESSAGES} messages at ${FANOUT_GAP_MS} ms gaps`);
    const fanDisk = await fanOut(disk!, disk!, [disk!], 'fan-disk');
    const fanSame = await fanOut(a!, a!, [a!, b!], 'fan-same');
    const fanCross = await fanOut(a!, b!, [a!, b!], 'fan-cross');
    log('                                    p50 ms   p99 ms   relay CPU ms/message');
    for (const [label, r] of [['disk, one relay', fanDisk], ['cluster, writer+receivers on A', fanSame], ['cluster, writer on A, receivers on B', fanCross]] as const) {
      log(`  ${label.padEnd(34)}${r.p50.toFixed(1).padStart(7)}  ${r.p99.toFixed(1).padStart(7)}  ${r.cpuPerMessage.toFixed(2).padStart(10)}`);
    }

    log(`\nDurable updates/s (one writer with acks, ≤ 500 unacknowledged, ${DURABLE_MESSAGES} messages)`);
    const durDisk = await durableWrites(disk!, 'dur-disk', DURABLE_MESSAGES);
    const durCluster = await durableWrites(a!, 'dur-cluster', DURABLE_MESSAGES);
    log(`  disk log (fdatasync, group commit)      ${durDisk.toFixed(0).padStart(8)} /s`);
    log(`  Redis Stream (AOF appendfsync always)   ${durCluster.toFixed(0).padStart(8)} /s`);

    log(`\nCold load of a ${COLD_MESSAGES}-message room (written through a relay, which then stops gracefully and compacts; a fresh relay exports it)`);
    await durableWrites(disk!, 'cold-disk', COLD_MESSAGES, 2000);
    await durableWrites(a!, 'cold-cluster', COLD_MESSAGES, 2000);
    await Promise.all([disk!.stop(), a!.stop(), b!.stop()]);
    await Promise.all([disk!.start(), b!.start()]);
    const coldDisk = await coldExport(disk!, 'cold-disk');
    const coldCluster = await coldExport(b!, 'cold-cluster');
    log(`  from local disk (snapshot + log)        ${coldDisk.ms.toFixed(0).padStart(8)} ms  (${coldDisk.messages} messages)`);
    log(`  from PostgreSQL snapshot + Redis Stream ${coldCluster.ms.toFixed(0).padStart(8)} ms  (${coldCluster.messages} messages)`);
  } finally {
    await Promise.all(relays.map((r) => r.destroy()));
    await Promise.all([redis.destroy(), postgres.destroy()]);
  }
};

if (process.env.BENCH_DEBUG === undefined) main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
