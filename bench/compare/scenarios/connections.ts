// Many connections: 10,000 sockets over 1,000 rooms; server CPU to accept them all (tokens verified), per chat message, and to accept them again.
import { join } from 'node:path';
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
  /** Messages sent in each room (by its first client) after everybody joined and the room's first message. */
  messagesPerRoom: number;
  /** Gap between two messages across the whole server (rooms take turns). */
  gapMs: number;
}

export interface ConnectionsResult {
  /**
   * Server CPU from the first connect until every client is synced and the server is idle again, ms (token
   * verification and work the connects leave for later included, such as Parley listing each room in each new
   * user's conversation list, durably, and unloading those account documents).
   */
  connectCpuMs: number;
  /** The same per connection, µs. */
  connectCpuMicrosPerConnection: number;
  /** Server CPU per reconnection of the same users (every client closed, then back with a token never seen), µs. */
  reconnectCpuMicrosPerConnection: number;
  /** Server CPU per chat message (fan-out to the room's other clients included), ms; after each room's first write. */
  cpuMsPerMessage: number;
  /** The same for each room's first message (for Parley it also creates the room's log on disk, durably), ms. */
  firstWriteCpuMsPerMessage: number;
  /** Deliveries that never arrived. */
  lost: number;
  /** Connections that failed and were tried again. */
  retries: number;
}

const DRAIN_TIMEOUT_MS = 30_000;
/** The server counts as idle once it used less than this share of one core over a poll interval. */
const IDLE_SHARE = 0.03;
const IDLE_POLL_MS = 500;
const IDLE_TIMEOUT_MS = 60_000;

/** Waits until the server is idle (work a phase deferred, such as unloading rooms, is done); bounded. */
export const untilIdle = async (running: RunningTarget): Promise<void> => {
  const deadline = performance.now() + IDLE_TIMEOUT_MS;
  let last = await running.server.cpuMicros();
  while (performance.now() < deadline) {
    await sleep(IDLE_POLL_MS);
    const now = await running.server.cpuMicros();
    if (now - last < IDLE_POLL_MS * 1000 * IDLE_SHARE) return;
    last = now;
  }
};

/**
 * Expects a freshly started server: the connect figure includes creating every room. With `profileDir`, the
 * server's CPU is profiled per phase (…-connect, -first-write, -messages, -reconnect .cpuprofile there).
 */
export const runConnections = async (
  running: RunningTarget,
  prefix: string,
  params: ConnectionsParams,
  profileDir?: string,
): Promise<ConnectionsResult> => {
  await untilIdle(running);
  let clients: BenchClient[] = [];
  /** Server CPU of `work` and of whatever it leaves the server to do afterwards (until idle), µs. */
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<{ value: T; cpuMicros: number }> => {
    if (profileDir) await running.server.startProfile();
    const before = await running.server.cpuMicros();
    const value = await work();
    await untilIdle(running);
    const after = await running.server.cpuMicros();
    if (profileDir) await running.server.stopProfile(join(profileDir, `${running.target.id}-${prefix}-${name}.cpuprofile`));
    return { value, cpuMicros: after - before };
  };
  let retries = 0;
  /** Connects every client; one whose connection fails (a busy machine) tries again, twice at most. */
  const connectAll = (freshTokens: boolean) =>
    inBatches(params.connections, 100, async (i) => {
      for (let attempt = 0; ; attempt++) {
        const client = await running.connect(`${prefix}-room-${i % params.rooms}`, `${prefix}-u${i}`, undefined, false, freshTokens);
        try {
          await ready(running, client);
          return client;
        } catch (error) {
          await client.close();
          if (attempt >= 2) throw error;
          retries++;
        }
      }
    });
  const closeAll = async () => {
    const open = clients;
    clients = [];
    await inBatches(open.length, 500, (i) => open[i]!.close());
  };
  try {
    const connect = await phase('connect', () => connectAll(false));
    clients = connect.value;

    // The first `rooms` clients are one per room (client i is in room i % rooms): they write; the rest receive.
    let sentSoFar = 0;
    /** Sends `perRoom` messages in every room, rooms taking turns, and waits until every receiver has them. */
    const send = async (perRoom: number): Promise<number> => {
      const writers = clients.slice(0, params.rooms).map((client, r) => ({ client, author: writerFor(`${prefix}-u${r}`) }));
      const tracker = new DeliveryTracker();
      for (let i = params.rooms; i < clients.length; i++) tracker.watch(clients[i]!.doc);
      const total = params.rooms * perRoom;
      const start = performance.now();
      for (let n = 0; n < total; n++) {
        const wait = start + n * params.gapMs - performance.now();
        if (wait > 0.5) await sleep(wait);
        const { client, author } = writers[n % params.rooms]!;
        const id = newMessageId();
        tracker.markSent(id, performance.now());
        sendMessage(client.doc, author, { text: chatText(sentSoFar + n), id });
      }
      sentSoFar += total;
      const expected = total * ((params.connections - params.rooms) / params.rooms);
      await waitUntil(() => tracker.latencies.length >= expected, DRAIN_TIMEOUT_MS);
      tracker.stop();
      return expected - tracker.latencies.length;
    };
    // Each room's first write is measured apart: on Parley it creates the room's log file (durably), a set-up cost.
    const first = await phase('first-write', () => send(1));
    const steady = await phase('messages', () => send(params.messagesPerRoom));

    // Everybody leaves, the server settles (Parley unloads the rooms), and everybody comes back.
    await closeAll();
    await untilIdle(running);
    const reconnect = await phase('reconnect', () => connectAll(true));
    clients = reconnect.value;
    return {
      connectCpuMs: connect.cpuMicros / 1000,
      connectCpuMicrosPerConnection: connect.cpuMicros / params.connections,
      reconnectCpuMicrosPerConnection: reconnect.cpuMicros / params.connections,
      cpuMsPerMessage: steady.cpuMicros / 1000 / (params.rooms * params.messagesPerRoom),
      firstWriteCpuMsPerMessage: first.cpuMicros / 1000 / params.rooms,
      lost: first.value + steady.value,
      retries,
    };
  } finally {
    await closeAll();
  }
};
