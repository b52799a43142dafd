// Issue 11 items 2 and 5: catch-ups go through the send budget in bounded pieces; the durable ack never trips a limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getMessages } from '../../shared/conversation.js';
import type { RunningRelay } from '../../relay/index.js';
import { decodeServerFrame, frames, metric, mintToken, rawClient, startTestRelay, tempDir, waitFor, type RawClient } from './helpers.js';
import { bigConversation, bufferBytes, memoryStore, stopReading } from './hardening-fixtures.js';

const MiB = 1024 * 1024;
const BIG = 20 * MiB;
const HUGE = 24 * MiB;

const messagesIn = (relay: RunningRelay, type: string) =>
  fetch(`${relay.url}/metrics`)
    .then((r) => r.text())
    .then((text) => {
      const line = text.split('\n').find((l) => l.startsWith(`parley_messages_in_total{type="${type}"} `));
      return line === undefined ? 0 : Number(line.split(' ')[1]);
    });

/** Whether the client has received the final sync step 2 (the stock client's "synced"). */
const gotStep2 = (client: RawClient) => client.frames.some((f) => f[0] === 0 && f[1] === 1);

describe('catch-ups under the send budget (issue 11, items 2 and 5)', () => {
  let relay: RunningRelay;
  const data = tempDir();
  let bigCount = 0;
  let hugeCount = 0;
  beforeAll(async () => {
    const big = bigConversation(BIG);
    const huge = bigConversation(HUGE);
    const count = (update: Uint8Array) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, update);
      return getMessages(doc).length;
    };
    bigCount = count(big);
    hugeCount = count(huge);
    relay = await startTestRelay({
      dataDir: data.dir,
      backend: memoryStore({ big, huge }),
      // Pings every second; three missed pongs close the socket (a reader that does not read cannot answer).
      // Generous: relay and readers share this busy process, and honest readers must never miss three.
      limits: { heartbeatIntervalMs: 1000, heartbeatMisses: 3 },
    });
  }, 120_000);
  afterAll(async () => {
    await relay.close();
    data.cleanup();
  });

  it('keeps relay memory bounded with four readers that never read on a 20 MiB room, and frees it after', async () => {
    // Load the room first, so that its document is not counted as the readers' cost.
    const warm = rawClient(relay, 'big', { token: await mintToken({ sub: 'warm', rooms: { big: 'read' } }) });
    await warm.opened;
    warm.ws.close();
    const baseline = bufferBytes();
    const readers: RawClient[] = [];
    for (let i = 0; i < 4; i++) {
      const reader = rawClient(relay, 'big', { token: await mintToken({ sub: `reader-${i}`, rooms: { big: 'read' } }) });
      await reader.opened;
      stopReading(reader.ws);
      // Within the sync-request burst (10): each asks for the whole room again.
      for (let k = 0; k < 5; k++) reader.send(frames.syncStep1(new Y.Doc()));
      readers.push(reader);
    }
    await waitFor(async () => (await messagesIn(relay, 'sync-step1')) >= 20, 60_000, 'all sync requests handled');
    const held = bufferBytes() - baseline;
    if (process.env.PARLEY_REPORT) console.log(`held by 4 non-readers: ${(held / MiB).toFixed(1)} MiB`);
    // Before: every request queued a full copy of the room (4 × 5 × 20 MiB ≈ 400 MiB). Bounded pieces: a few MiB each.
    expect(held).toBeLessThan(100 * MiB);
    // Readers that never read miss their pongs and are closed; what they held is freed.
    await waitFor(async () => (await metric(relay, 'parley_connections')) === 0, 60_000, 'non-readers closed');
    expect(bufferBytes() - baseline).toBeLessThan(32 * MiB);
    for (const reader of readers) reader.ws.terminate();
  }, 180_000);

  it('still delivers a 20 MiB room to a slow reader that does read', async () => {
    const reader = rawClient(relay, 'big', { token: await mintToken({ sub: 'slow-honest', rooms: { big: 'read' } }) });
    await reader.opened;
    const socket = stopReading(reader.ws);
    reader.send(frames.syncStep1(new Y.Doc()));
    // Reads in short bursts, like a slow link.
    const timer = setInterval(() => {
      socket.resume();
      setTimeout(() => socket.pause(), 5);
    }, 20);
    try {
      await waitFor(() => gotStep2(reader), 120_000, 'the whole room');
    } finally {
      clearInterval(timer);
      socket.resume();
    }
    const doc = new Y.Doc();
    for (const frame of reader.frames) {
      const message = decodeServerFrame(frame);
      if (message.type === 'sync' && message.step !== 0) Y.applyUpdate(doc, message.payload);
    }
    expect(getMessages(doc).length).toBe(bigCount);
    expect(reader.closed).toBeUndefined();
    // The catch-up came in pieces within the sync frame limit (1 MiB by default), plus framing.
    expect(reader.frames.filter((f) => f[0] === 0 && f[1] === 2).length).toBeGreaterThan(10);
    expect(Math.max(...reader.frames.map((f) => f.byteLength))).toBeLessThanOrEqual(MiB + 64);
    reader.ws.close();
  }, 180_000);

  it('lets a client with durable acks join a 24 MiB room: synced, acked, not closed', async () => {
    // What the Parley client sends with acks=1: its sync step 1, then (answering the relay's step 1) its step 2.
    const client = rawClient(relay, 'huge', { token: await mintToken({ sub: 'joiner' }), acks: '1' });
    await client.opened;
    const local = new Y.Doc();
    client.send(frames.syncStep1(local));
    client.send(frames.update(Y.encodeStateAsUpdate(local), 1));
    await waitFor(() => gotStep2(client) || client.closed, 120_000, 'synced or closed');
    await waitFor(() => client.frames.some((f) => decodeServerFrame(f).type === 'ack') || client.closed, 30_000, 'durable ack');
    expect(client.closed).toBeUndefined();
    for (const frame of client.frames) {
      const message = decodeServerFrame(frame);
      if (message.type === 'sync' && message.step !== 0) Y.applyUpdate(local, message.payload);
    }
    expect(getMessages(local).length).toBe(hugeCount);
    client.ws.close();
  }, 180_000);
});
