// Relay benchmark (npm run bench:relay): CPU per chat update, fan-out latency, memory per connection and room, durable throughput.
// Prints figures only; nothing here asserts a timing. The relay runs as a child process so its CPU and RSS are its own.
import { spawn } from 'node:child_process';
import { reapOnExit } from './child-reaper.js';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { sendMessage } from '../shared/conversation.js';
import { GC_ON_SIGNAL, settledMemory, sleep, startRelayChild, stopChild, token as signToken, waitFor, type RelayChild } from './relay-child.js';

/** Bench users are admins of every room. */
const token = (sub: string) => signToken(sub, 'admin');
/** The child's per-room WebSocket base URL. */
const roomsUrl = (child: RelayChild) => `${child.url.replace('http', 'ws')}/rooms`;

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds a process has used so far, user and system. */
const cpuSeconds = (pid: number): { user: number; system: number } => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
};

const updateFrame = (update: Uint8Array): Uint8Array => {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
};

/**
 * A raw client: counts the chat messages it receives from `writer.client` (the relay merges the updates of
 * one loop turn into one frame, so frames are not messages; each message is one clock of its writer),
 * optionally applies them, records acks.
 */
const connect = async (
  wsUrl: string,
  room: string,
  sub: string,
  opts: { acks?: boolean; apply?: boolean; writer?: { client: number }; onUpdate?: (messages: number) => void; onAck?: () => void } = {},
) => {
  const ws = new WebSocket(`${wsUrl}/${room}?token=${await token(sub)}${opts.acks ? '&acks=1' : ''}`);
  const doc = new Y.Doc();
  const state = { ws, doc, updates: 0, lastAckClock: new Map<number, number>() };
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    const type = decoding.readVarUint(d);
    if (type === 0) {
      const step = decoding.readVarUint(d);
      if (step === 2) {
        const update = decoding.readVarUint8Array(d);
        const client = opts.writer?.client;
        const { from, to } = Y.parseUpdateMeta(update);
        const messages = client === undefined ? 0 : (to.get(client) ?? 0) - (from.get(client) ?? 0);
        state.updates += messages;
        if (opts.apply) Y.applyUpdate(doc, update);
        if (messages > 0) opts.onUpdate?.(messages);
      }
    } else if (type === 100) {
      state.lastAckClock = Y.decodeStateVector(decoding.readVarUint8Array(d));
      opts.onAck?.();
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return state;
};

/** A writer that produces one update per chat message using the real conversation model. */
const chatWriter = (userId: string) => {
  const doc = new Y.Doc();
  let last: Uint8Array | undefined;
  doc.on('update', (u: Uint8Array) => (last = last ? Y.mergeUpdates([last, u]) : u));
  return {
    doc,
    next(text: string): Uint8Array {
      last = undefined;
      sendMessage(doc, { userId, role: 'write' }, { text });
      return updateFrame(last!);
    },
  };
};

/** Pre-generates `n` chat-message update frames, so the measured loop costs the relay, not the model. */
const chatFrames = (userId: string, n: number, text: (i: number) => string): { frames: Uint8Array[]; doc: Y.Doc } => {
  const w = chatWriter(userId);
  return { frames: Array.from({ length: n }, (_, i) => w.next(text(i))), doc: w.doc };
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const benchCpu = async () => {
  const child = await startRelayChild();
  const n = 5000;
  const { frames, doc } = chatFrames('writer', 500 + n, (i) => `message ${i}: the quick brown fox jumps over the lazy dog`);
  const writerConn = await connect(roomsUrl(child), 'cpu', 'writer');
  const reader = await connect(roomsUrl(child), 'cpu', 'reader', { writer: { client: doc.clientID } });
  // Warm up the JIT, then measure, sending at a steady pace (about 2000/s) rather than one huge burst.
  for (let i = 0; i < 500; i++) writerConn.ws.send(frames[i]!);
  await waitFor(() => reader.updates >= 500, 20_000, 'warm-up');
  const before = cpuSeconds(child.proc.pid!);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    writerConn.ws.send(frames[500 + i]!);
    if (i % 20 === 19) await sleep(10);
  }
  await waitFor(() => reader.updates >= 500 + n, 30_000, 'all updates');
  const elapsed = (performance.now() - started) / 1000;
  const after = cpuSeconds(child.proc.pid!);
  const user = after.user - before.user;
  const system = after.system - before.system;
  const cpu = user + system;
  console.log(`relay CPU per chat-message update (auth'd connection, durable log, 1 receiver, ~2000 updates/s): ${((cpu / n) * 1e6).toFixed(0)} µs  (user ${((user / n) * 1e6).toFixed(0)} µs + system ${((system / n) * 1e6).toFixed(0)} µs incl. fsync; ${n} updates, ${cpu.toFixed(2)} s CPU in ${elapsed.toFixed(2)} s wall)`);
  writerConn.ws.close();
  reader.ws.close();
  await stopChild(child);
};

const benchFanOut = async (apply: boolean) => {
  const child = await startRelayChild();
  const receivers = 100;
  const messages = 500;
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const clients = [];
  const warmUp = 100;
  const { frames, doc } = chatFrames('writer', warmUp + messages, (i) => `fan-out ${i}`);
  for (let r = 0; r < receivers; r++) {
    const index = { n: 0 };
    const client = await connect(roomsUrl(child), 'fanout', `receiver-${r}`, {
      apply,
      writer: { client: doc.clientID },
      onUpdate: (received) => {
        const now = performance.now();
        for (let k = 0; k < received; k++) {
          const at = sentAt[index.n++];
          if (at !== undefined && !Number.isNaN(at)) latencies.push(now - at);
        }
      },
    });
    clients.push(client);
  }
  const writerConn = await connect(roomsUrl(child), 'fanout', 'writer');
  // Warm-up messages (JIT, buffers) are sent the same way but not counted.
  for (let i = 0; i < warmUp + messages; i++) {
    const frame = frames[i]!;
    sentAt.push(i < warmUp ? Number.NaN : performance.now());
    writerConn.ws.send(frame);
    await sleep(4);
  }
  await waitFor(() => latencies.length >= receivers * messages, 30_000, 'fan-out deliveries');
  latencies.sort((a, b) => a - b);
  const how = apply ? 'applying each update (all receivers share one bench process)' : 'only timestamping';
  console.log(`fan-out latency, 1 writer → ${receivers} receivers ${how}, ${messages} messages at 4 ms: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
  for (const c of [...clients, writerConn]) c.ws.close();
  await stopChild(child);
};

/** RSS growth per idle connection for a bare `ws` server (the floor) in a child process. */
const bareWsFloor = async (count: number): Promise<{ rss: number; heap: number }> => {
  const script = `
    ${GC_ON_SIGNAL}
    const { WebSocketServer } = require('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => console.log('port ' + wss.address().port));
  `;
  const proc = reapOnExit(spawn(process.execPath, ['--expose-gc', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() }));
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => /port \d+/.test(out), 10_000, 'bare ws');
  const port = /port (\d+)/.exec(out)![1];
  const base = await settledMemory(proc, () => out);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise((resolve) => ws.once('open', resolve));
    sockets.push(ws);
  }
  const after = await settledMemory(proc, () => out);
  const per = { rss: (after.rss - base.rss) / count, heap: (after.heap - base.heap) / count };
  for (const ws of sockets) ws.terminate();
  proc.kill('SIGKILL');
  return per;
};

const benchMemory = async () => {
  const count = 1000;
  const child = await startRelayChild(['--idle-unload-seconds', '600']);
  // One loaded room first, so the per-connection figure does not include the room.
  const first = await connect(roomsUrl(child), 'idle', 'user-0');
  const base = await settledMemory(child.proc, child.output);
  const clients = [first];
  for (let i = 1; i <= count; i++) clients.push(await connect(roomsUrl(child), 'idle', `user-${i}`));
  const withConnections = await settledMemory(child.proc, child.output);
  const perConnection = { rss: (withConnections.rss - base.rss) / count, heap: (withConnections.heap - base.heap) / count };
  for (const c of clients) c.ws.close();
  await sleep(500);

  // Rooms holding a 50-message chat each, loaded through the admin export and kept (idle unload is 10 min here).
  const rooms = 200;
  const seeder = await connect(roomsUrl(child), 'seed', 'seeder');
  seeder.ws.close();
  const admin = await token('admin');
  const seedDoc = chatWriter('seeder');
  for (let i = 0; i < 50; i++) seedDoc.next(`seed message ${i}`);
  const seed = Y.encodeStateAsUpdate(seedDoc.doc);
  for (let r = 0; r < rooms; r++) {
    const c = await connect(roomsUrl(child), `room-${r}`, `seed-${r}`);
    c.ws.send(updateFrame(seed));
    c.ws.close();
  }
  const beforeRooms = await settledMemory(child.proc, child.output);
  const loadedBefore = await loadedRooms(child.url);
  // Unload them all by restarting is too coarse; instead measure a fresh set of rooms loaded from disk.
  for (let r = 0; r < rooms; r++) {
    const res = await fetch(`${child.url}/rooms/extra-${r}/export`, { headers: { authorization: `Bearer ${admin}` } });
    await res.arrayBuffer();
    const c = await connect(roomsUrl(child), `extra-${r}`, `extra-${r}`);
    c.ws.send(updateFrame(seed));
    c.ws.close();
  }
  const withRooms = await settledMemory(child.proc, child.output);
  const added = (await loadedRooms(child.url)) - loadedBefore;
  const perRoom = { rss: (withRooms.rss - beforeRooms.rss) / added, heap: (withRooms.heap - beforeRooms.heap) / added };
  const floor = await bareWsFloor(count);
  console.log(`memory per idle connection: RSS ${kb(perConnection.rss)}, heap ${kb(perConnection.heap)} (bare ws server floor measured alongside: RSS ${kb(floor.rss)}, heap ${kb(floor.heap)}; ${count} connections, after a full GC)`);
  console.log(`memory per loaded room holding a 50-message chat: heap ${kb(perRoom.heap)}, RSS ${kb(perRoom.rss)} (${added} rooms, after a full GC; RSS moves in pages and is noisy at this size)`);
  await stopChild(child);
};

const loadedRooms = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^parley_rooms_loaded (\d+)/m.exec(text)![1]);
};

const benchDurable = async () => {
  const child = await startRelayChild();
  const writers = 20;
  const perWriter = 500;
  const clients = await Promise.all(Array.from({ length: writers }, (_, i) => connect(roomsUrl(child), 'durable', `writer-${i}`, { acks: true })));
  const docs = clients.map((_, i) => chatFrames(`writer-${i}`, perWriter, (j) => `durable ${j}`));
  const metricsBefore = await (await fetch(`${child.url}/metrics`)).text();
  const commitsBefore = Number(/^parley_persist_seconds_count (\d+)/m.exec(metricsBefore)![1]);
  const started = performance.now();
  for (let i = 0; i < perWriter; i++) {
    clients.forEach((c, k) => c.ws.send(docs[k]!.frames[i]!));
    if (i % 50 === 49) await sleep(0);
  }
  await waitFor(
    () => clients.every((c, k) => (c.lastAckClock.get(docs[k]!.doc.clientID) ?? 0) >= Y.getState(docs[k]!.doc.store, docs[k]!.doc.clientID)),
    60_000,
    'all acks',
  );
  const seconds = (performance.now() - started) / 1000;
  const metricsAfter = await (await fetch(`${child.url}/metrics`)).text();
  const commits = Number(/^parley_persist_seconds_count (\d+)/m.exec(metricsAfter)![1]) - commitsBefore;
  const total = writers * perWriter;
  console.log(`durable updates per second with group commit (acks=1, ${writers} writers, one room): ${Math.round(total / seconds)}/s  (${total} updates acked in ${seconds.toFixed(2)} s, ${commits} fsyncs, ${(total / Math.max(1, commits)).toFixed(1)} updates per fsync)`);
  for (const c of clients) c.ws.close();
  await stopChild(child);
};

/** Each writer sends its next update only when the previous one is acked: durable round trips, batched by group commit. */
const benchDurableClosedLoop = async () => {
  const child = await startRelayChild();
  const writers = 20;
  const perWriter = 200;
  const sent = new Array<number>(writers).fill(0);
  const docs = Array.from({ length: writers }, (_, i) => chatFrames(`loop-${i}`, perWriter, (j) => `loop ${j}`));
  const clients: Awaited<ReturnType<typeof connect>>[] = [];
  // Per writer, not a counter: the connect greeting's ack can put a second update in flight, so a writer may see
  // one ack more or fewer at the end (two acked together), and a counter compared with === could step past it.
  const finished = new Array<boolean>(writers).fill(false);
  for (let i = 0; i < writers; i++) {
    clients.push(
      await connect(roomsUrl(child), 'closed-loop', `loop-${i}`, {
        acks: true,
        onAck: () => {
          if (sent[i]! < perWriter) clients[i]!.ws.send(docs[i]!.frames[sent[i]!++]!);
          else finished[i] = true;
        },
      }),
    );
  }
  const commits = async () => Number(/^parley_persist_seconds_count (\d+)/m.exec(await (await fetch(`${child.url}/metrics`)).text())![1]);
  const commitsBefore = await commits();
  const started = performance.now();
  clients.forEach((c, i) => c.ws.send(docs[i]!.frames[sent[i]!++]!));
  await waitFor(() => finished.every(Boolean), 60_000, 'closed-loop acks');
  const seconds = (performance.now() - started) / 1000;
  const fsyncs = (await commits()) - commitsBefore;
  const total = writers * perWriter;
  console.log(`durable round trips with group commit (${writers} writers, each waiting for its ack before the next update): ${Math.round(total / seconds)} updates/s, ${((seconds / perWriter) * 1000).toFixed(2)} ms per acked update per writer, ${(total / Math.max(1, fsyncs)).toFixed(1)} updates per fsync`);
  for (const c of clients) c.ws.close();
  await stopChild(child);
};

console.log(`Parley relay benchmark — Node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
await benchCpu();
await benchFanOut(false);
await benchFanOut(true);
await benchMemory();
await benchDurable();
await benchDurableClosedLoop();
