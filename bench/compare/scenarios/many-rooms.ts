// Many rooms: 2,000 idle connections over 200 rooms; the server's RSS growth per connection.
import type { BenchClient } from '../clients/bench-client.js';
import type { RunningTarget } from '../targets.js';
import { inBatches, sleep } from '../timing.js';
import { ready } from './room-setup.js';
import { untilIdle } from './connections.js';

export interface ManyRoomsParams {
  connections: number;
  rooms: number;
  /** Idle time before measuring, so that start-up garbage and buffers settle. */
  settleMs: number;
}

export interface ManyRoomsResult {
  /** (RSS with every connection open − RSS before any) / connections, bytes; both after forced GCs. */
  rssPerConnection: number;
  heapPerConnection: number;
  baselineRss: number;
}

/** Expects a freshly started server (RSS never shrinks back, so every run needs its own process). */
export const runManyRooms = async (running: RunningTarget, prefix: string, params: ManyRoomsParams): Promise<ManyRoomsResult> => {
  await sleep(params.settleMs);
  const before = await running.server.stats();
  let clients: BenchClient[] = [];
  try {
    clients = await inBatches(params.connections, 50, async (i) => {
      const room = `${prefix}-room-${i % params.rooms}`;
      const client = await running.connect(room, `${prefix}-u${i}`);
      await ready(running, client);
      return client;
    });
    // Work the connects left for later ends first (Parley: each new user's conversation list is written to their
    // account document, which unloads once idle; the main page runs Parley with a 1 s idle unload for this).
    await untilIdle(running);
    await sleep(params.settleMs);
    const after = await running.server.stats();
    return {
      rssPerConnection: (after.rss - before.rss) / params.connections,
      heapPerConnection: (after.heapUsed - before.heapUsed) / params.connections,
      baselineRss: before.rss,
    };
  } finally {
    await inBatches(clients.length, 200, (i) => clients[i]!.close());
  }
};
