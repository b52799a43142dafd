// /sync benchmark (npm run bench:relay): relay memory per attached document and per socket, attach+sync time, fan-out /sync vs /rooms.
// Prints figures only; nothing here asserts a timing. The relay runs as a child process so its CPU and RSS are its own.
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { sendMessage } from '../shared/conversation.js';
import { settledMemory, sleep, startRelayChild, stopChild, token, waitFor } from './relay-child.js';

const DOCS = 300;

const bytes = (write: (e: encoding.Encoder) => void) => {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
};
const sync = (step: number, payload: Uint8Array) => bytes((e) => (encoding.writeVarUint(e, 0), encoding.writeVarUint(e, step), encoding.writeVarUint8Array(e, payload)));
const wrap = (doc: string, message: Uint8Array) => bytes((e) => (encoding.writeVarUint(e, 5), encoding.writeVarString(e, doc), encoding.writeUint8Array(e, message)));

/** A /sync client keeping a Y.Doc per attached document; `onUpdate(doc, update)` sees every live update instead of applying it. */
const muxSocket = async (url: string, sub: string, onUpdate?: (doc: string, update: Uint8Array) => void) => {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/sync`);
  const docs = new Map<string, { doc: Y.Doc; synced: boolean }>();
  let authed = false;
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    const kind = decoding.readVarUint(d);
    if (kind === 1) authed = true;
    if (kind === 4) throw new Error(`bench: document refused: ${decoding.readVarString(d)}`);
    if (kind !== 5) return;
    const name = decoding.readVarString(d);
    const entry = docs.get(name);
    if (!entry || decoding.readVarUint(d) !== 0) return;
    const step = decoding.readVarUint(d);
    const payload = decoding.readVarUint8Array(d);
    if (step === 0) ws.send(wrap(name, sync(1, Y.encodeStateAsUpdate(entry.doc, payload))));
    else {
      if (onUpdate && step === 2) onUpdate(name, payload);
      else Y.applyUpdate(entry.doc, payload);
      if (step === 1) entry.synced = true;
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const jwt = await token(sub);
  ws.send(bytes((e) => (encoding.writeVarUint(e, 0), encoding.writeVarString(e, jwt))));
  await waitFor(() => authed, 10_000, 'authOk');
  return {
    ws,
    docs,
    attach(name: string, doc = new Y.Doc()) {
      docs.set(name, { doc, synced: false });
      ws.send(bytes((e) => (encoding.writeVarUint(e, 2), encoding.writeVarString(e, name), encoding.writeVarUint(e, 0))));
      ws.send(wrap(name, sync(0, Y.encodeStateVector(doc))));
    },
    allSynced: () => [...docs.values()].every((entry) => entry.synced),
  };
};

/** A per-room socket (/rooms/:room); `onUpdate` sees live updates. */
const roomSocket = async (url: string, room: string, sub: string, onUpdate?: (update: Uint8Array) => void, onAck?: () => void) => {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/rooms/${room}?token=${await token(sub)}${onAck ? '&acks=1' : ''}`);
  ws.on('message', (data: Buffer) => {
    const d = decoding.createDecoder(new Uint8Array(data));
    const type = decoding.readVarUint(d);
    if (type === 100) onAck?.();
    if (type !== 0 || decoding.readVarUint(d) !== 2) return;
    onUpdate?.(decoding.readVarUint8Array(d));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
};

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** A 20-message conversation, as one update. */
const conversation = (seed: number): Uint8Array => {
  const doc = new Y.Doc();
  for (let i = 0; i < 20; i++) sendMessage(doc, { userId: `seeder-${seed}`, role: 'write' }, { text: `room ${seed} message ${i}` });
  return Y.encodeStateAsUpdate(doc);
};

const benchMemoryAndAttach = async () => {
  const child = await startRelayChild(['--idle-unload-seconds', '600']);
  const names = Array.from({ length: DOCS }, (_, i) => `conv-${i}`);
  // Seed every room through its own per-room socket and user (one new client id each, within the client-id
  // budget), waiting for the durable ack; idle rooms stay loaded (idle unload is 10 min here).
  const copies = new Map<string, Y.Doc>();
  for (const [i, name] of names.entries()) {
    const update = conversation(i);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, update);
    copies.set(name, doc);
    let acked = false;
    const ws = await roomSocket(child.url, name, `seeder-${i}`, undefined, () => (acked = true));
    ws.send(sync(2, update));
    await waitFor(() => acked, 10_000, 'seed acked');
    ws.close();
  }
  // Let the seeding's transient state (acks, catch-ups, broadcast batches) go before the baseline.
  await sleep(2000);
  await settledMemory(child.proc, child.output);
  await settledMemory(child.proc, child.output);
  const base = await settledMemory(child.proc, child.output);

  // Sockets with 1 document each (several, so the figure is above the noise of one GC).
  const singles = 50;
  const ones: Awaited<ReturnType<typeof muxSocket>>[] = [];
  for (let i = 0; i < singles; i++) {
    const one = await muxSocket(child.url, `reader-1-${i}`);
    one.attach(names[i]!, copyOf(copies.get(names[i]!)!));
    ones.push(one);
  }
  await waitFor(() => ones.every((one) => one.allSynced()), 10_000, 'single-document sockets synced');
  const withOnes = await settledMemory(child.proc, child.output);

  // Sockets with all 300 documents; the first one is timed.
  const fulls = 3;
  const manys: Awaited<ReturnType<typeof muxSocket>>[] = [];
  let attachMs = 0;
  for (let i = 0; i < fulls; i++) {
    const many = await muxSocket(child.url, `reader-300-${i}`);
    const started = performance.now();
    for (const name of names) many.attach(name, copyOf(copies.get(name)!));
    await waitFor(many.allSynced, 60_000, '300 synced');
    if (i === 0) attachMs = performance.now() - started;
    manys.push(many);
  }
  const withManys = await settledMemory(child.proc, child.output);

  // The same 300 rooms over 300 per-room sockets, for comparison.
  const perRoom: WebSocket[] = [];
  for (const name of names) perRoom.push(await roomSocket(child.url, name, 'reader-rooms'));
  await sleep(300);
  const withRoomSockets = await settledMemory(child.proc, child.output);

  const socketWithOne = { rss: (withOnes.rss - base.rss) / singles, heap: (withOnes.heap - base.heap) / singles };
  const socketWithMany = { rss: (withManys.rss - withOnes.rss) / fulls, heap: (withManys.heap - withOnes.heap) / fulls };
  const perDoc = { rss: (socketWithMany.rss - socketWithOne.rss) / (DOCS - 1), heap: (socketWithMany.heap - socketWithOne.heap) / (DOCS - 1) };
  const roomSockets = { rss: withRoomSockets.rss - withManys.rss, heap: withRoomSockets.heap - withManys.heap };
  console.log(`/sync relay memory, a socket with 1 document: heap ${kb(socketWithOne.heap)}, RSS ${kb(socketWithOne.rss)} (mean of ${singles}, after a full GC)`);
  console.log(`/sync relay memory, a socket with ${DOCS} documents: heap ${kb(socketWithMany.heap)}, RSS ${kb(socketWithMany.rss)} (mean of ${fulls})`);
  console.log(`/sync relay memory per attached idle document (beyond its room): heap ${kb(perDoc.heap)}, RSS ${kb(perDoc.rss)}`);
  console.log(`/rooms: the same ${DOCS} rooms over ${DOCS} per-room sockets: heap ${kb(roomSockets.heap)}, RSS ${kb(roomSockets.rss)} (${kb(roomSockets.heap / DOCS)} heap per socket; /sync with ${DOCS} documents is ${(socketWithMany.heap / Math.max(1, roomSockets.heap)).toFixed(2)}× that)`);
  console.log(`/sync attach + sync of ${DOCS} up-to-date conversations on one socket (rooms loaded): ${attachMs.toFixed(0)} ms`);
  for (const ws of perRoom) ws.close();
  for (const s of [...ones, ...manys]) s.ws.close();
  await stopChild(child);
};

const copyOf = (doc: Y.Doc): Y.Doc => {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
};

/** Fan-out latency through one endpoint: 1 /rooms writer → `receivers` receivers on `/rooms` or `/sync`. */
const fanOut = async (via: 'rooms' | 'sync', receivers: number, messages: number): Promise<number[]> => {
  const child = await startRelayChild(['--idle-unload-seconds', '600']);
  const warmUp = 50;
  const writer = new Y.Doc();
  const frames: Uint8Array[] = [];
  let last: Uint8Array | undefined;
  writer.on('update', (u: Uint8Array) => (last = u));
  for (let i = 0; i < warmUp + messages; i++) {
    sendMessage(writer, { userId: 'writer', role: 'write' }, { text: `fan-out ${i}` });
    frames.push(sync(2, last!));
  }
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const record = (index: { n: number }) => (update: Uint8Array) => {
    const { from, to } = Y.parseUpdateMeta(update);
    const count = (to.get(writer.clientID) ?? 0) - (from.get(writer.clientID) ?? 0);
    const now = performance.now();
    for (let k = 0; k < count; k++) {
      const at = sentAt[index.n++];
      if (at !== undefined && !Number.isNaN(at)) latencies.push(now - at);
    }
  };
  const sockets: WebSocket[] = [];
  for (let r = 0; r < receivers; r++) {
    const onUpdate = record({ n: 0 });
    if (via === 'rooms') {
      sockets.push(await roomSocket(child.url, 'fanout', `receiver-${r}`, onUpdate));
      continue;
    }
    const mux = await muxSocket(child.url, `receiver-${r}`, (_doc, update) => onUpdate(update));
    mux.attach('fanout');
    // Each /sync receiver also holds 9 idle documents, as a client with several conversations would.
    for (let k = 0; k < 9; k++) mux.attach(`idle-${r}-${k}`);
    await waitFor(mux.allSynced, 10_000, 'receiver synced');
    sockets.push(mux.ws);
  }
  const writerSocket = await roomSocket(child.url, 'fanout', 'writer');
  for (let i = 0; i < warmUp + messages; i++) {
    sentAt.push(i < warmUp ? Number.NaN : performance.now());
    writerSocket.send(frames[i]!);
    await sleep(4);
  }
  await waitFor(() => latencies.length >= receivers * messages, 60_000, 'fan-out deliveries');
  latencies.sort((a, b) => a - b);
  for (const ws of [...sockets, writerSocket]) ws.close();
  await stopChild(child);
  return latencies;
};

const benchFanOut = async () => {
  const receivers = 100;
  const messages = 400;
  const line = (list: number[]) => `p50 ${percentile(list, 50).toFixed(1)} ms, p99 ${percentile(list, 99).toFixed(1)} ms, max ${list.at(-1)!.toFixed(1)} ms`;
  // Alternated twice: the machine's load drifts, and one pair alone can mislead.
  const rooms = [await fanOut('rooms', receivers, messages)];
  const viaSync = [await fanOut('sync', receivers, messages)];
  rooms.push(await fanOut('rooms', receivers, messages));
  viaSync.push(await fanOut('sync', receivers, messages));
  console.log(`fan-out latency, 1 writer → ${receivers} receivers, ${messages} messages at 4 ms (runs alternated /rooms, /sync, /rooms, /sync; same setup):`);
  console.log(`  through /rooms: ${rooms.map(line).join(' | ')}`);
  console.log(`  through /sync (10 documents per socket): ${viaSync.map(line).join(' | ')}`);
};

console.log(`Parley /sync benchmark — Node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`);
await benchMemoryAndAttach();
await benchFanOut();
