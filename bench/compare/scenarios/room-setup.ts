// Joins one writer and N receivers to a fresh room of a running target, each as its own user and socket.
import type { BenchClient } from '../clients/bench-client.js';
import type { RunningTarget } from '../targets.js';
import { inBatches, withTimeout } from '../timing.js';

export interface Room {
  writer: BenchClient;
  receivers: BenchClient[];
  close(): Promise<void>;
}

/**
 * Resolves when `client` can be used: synced with a server that holds the document, open for the raw floor.
 * Generous: on the floor every join is forwarded to every member (quadratic in a 500-member room), and the
 * machine may be shared.
 */
export const ready = (running: RunningTarget, client: BenchClient): Promise<void> =>
  withTimeout(running.target.holdsDocument ? client.synced : client.opened, 60_000, `${running.target.id} client ready`);

export const openRoom = async (running: RunningTarget, room: string, receivers: number): Promise<Room> => {
  const writer = await running.connect(room, `${room}-writer`);
  await ready(running, writer);
  const clients = await inBatches(receivers, 25, async (i) => {
    const client = await running.connect(room, `${room}-r${i}`, undefined, true);
    await ready(running, client);
    return client;
  });
  return {
    writer,
    receivers: clients,
    close: async () => {
      await Promise.all([writer, ...clients].map((c) => c.close()));
    },
  };
};
