// Many connections: 10,000 sockets over 1,000 rooms; server CPU to accept them all (tokens verified), then CPU per chat message.
import { newMessageId, sendMessage } from '../../../shared/conversation.js';
import type { BenchClient } from '../clients/bench-client.js';
import { DeliveryTracker } from '../delivery.js';
import { chatText, writerFor } from '../messages.js';
import type { RunningTarget } from '../targets.js';
import { inBatches, sleep, waitUntil } from '../timing.js';
import { ready } from './room-setup.js';

export interface ConnectionsParams {
  connections: number;
  rooms: number;
  /** Messages sent in each room (by its first client) after everybody joined. */
  messagesPerRoom: number;
  /** Gap between two messages across the whole server (rooms take turns). */
  gapMs: number;
}

export interface ConnectionsResult {
  /** Server CPU from the first connect until every client is synced, ms (token verification included). */
  connectCpuMs: number;
  /** The same per connection, µs. */
  connectCpuMicrosPerConnection: number;
  /** Server CPU per chat message (fan-out to the room's other clients included), ms. */
  cpuMsPerMessage: number;
  /** Deliveries that never arrived. */
  lost: number;
}

const DRAIN_TIMEOUT_MS = 30_000;

/** Expects a freshly started server: the connect figure includes creating every room. */
export const runConnections = async (running: RunningTarget, prefix: string, params: ConnectionsParams): Promise<ConnectionsResult> => {
  await sleep(300);
  let clients: BenchClient[] = [];
  try {
    const before = (await running.server.stats()).cpuMicros;
    clients = await inBatches(params.connections, 100, async (i) => {
      const client = await running.connect(`${prefix}-room-${i % params.rooms}`, `${prefix}-u${i}`);
      await ready(running, client);
      return client;
    });
    const connected = (await running.server.stats()).cpuMicros;
    await sleep(300);

    // The first `rooms` clients are one per room (client i is in room i % rooms): they write; the rest receive.
    const tracker = new DeliveryTracker();
    for (let i = params.rooms; i < clients.length; i++) tracker.watch(clients[i]!.doc);
    const writers = clients.slice(0, params.rooms).map((client, r) => ({ client, author: writerFor(`${prefix}-u${r}`) }));
    const total = params.rooms * params.messagesPerRoom;
    const cpuBefore = (await running.server.stats()).cpuMicros;
    const start = performance.now();
    for (let n = 0; n < total; n++) {
      const wait = start + n * params.gapMs - performance.now();
      if (wait > 0.5) await sleep(wait);
      const { client, author } = writers[n % params.rooms]!;
      const id = newMessageId();
      tracker.markSent(id, performance.now());
      sendMessage(client.doc, author, { text: chatText(n), id });
    }
    const expected = total * ((params.connections - params.rooms) / params.rooms);
    await waitUntil(() => tracker.latencies.length >= expected, DRAIN_TIMEOUT_MS);
    const cpuAfter = (await running.server.stats()).cpuMicros;
    tracker.stop();
    return {
      connectCpuMs: (connected - before) / 1000,
      connectCpuMicrosPerConnection: (connected - before) / params.connections,
      cpuMsPerMessage: (cpuAfter - cpuBefore) / 1000 / total,
      lost: expected - tracker.latencies.length,
    };
  } finally {
    await inBatches(clients.length, 500, (i) => clients[i]!.close());
  }
};
