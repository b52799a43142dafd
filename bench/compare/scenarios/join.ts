// Cold join of the long room (time to the whole history, bytes) and warm rejoin by an up-to-date replica.
import * as Y from 'yjs';
import type { BenchClient } from '../clients/bench-client.js';
import type { History } from '../history.js';
import type { RunningTarget } from '../targets.js';
import { sleep, withTimeout } from '../timing.js';
import { ready } from './room-setup.js';

export interface JoinResult {
  coldMs: number;
  coldBytesIn: number;
  warmMs: number;
  warmBytesIn: number;
  warmBytesOut: number;
}

/** How long trailing frames (awareness, acks) are still counted after a warm rejoin synced. */
const TRAILING_MS = 300;
const JOIN_TIMEOUT_MS = 60_000;

/** Resolves once `doc` holds `count` messages. */
const hasMessages = (doc: Y.Doc, count: number): Promise<void> =>
  new Promise((resolve) => {
    const messages = doc.getArray('messages');
    if (messages.length >= count) return resolve();
    const check = () => {
      if (messages.length >= count) {
        doc.off('afterTransaction', check);
        resolve();
      }
    };
    doc.on('afterTransaction', check);
  });

/**
 * Keeps one client in the room for the whole scenario, so the room stays loaded on every server. For the raw
 * floor that client holds the history and answers the joiner's sync step 1 through the relay (the only way a
 * forwarding-only server can serve history).
 */
export const openHolder = async (running: RunningTarget, room: string, history: History): Promise<BenchClient> => {
  const doc = new Y.Doc();
  if (!running.target.holdsDocument) Y.applyUpdate(doc, history.state);
  const holder = await running.connect(room, 'holder', doc);
  await ready(running, holder);
  await withTimeout(hasMessages(doc, history.messages), JOIN_TIMEOUT_MS, `${running.target.id} holder has the history`);
  return holder;
};

export const runJoin = async (running: RunningTarget, room: string, history: History, run: number): Promise<JoinResult> => {
  const doc = new Y.Doc();
  const coldStart = performance.now();
  const cold = await running.connect(room, `joiner-${run}`, doc);
  let coldMs: number;
  try {
    await withTimeout(hasMessages(doc, history.messages), JOIN_TIMEOUT_MS, `${running.target.id} cold join`);
    coldMs = performance.now() - coldStart;
  } finally {
    await cold.close();
  }
  const coldBytesIn = cold.traffic.bytesIn;
  await sleep(100);

  const warmStart = performance.now();
  const warm = await running.connect(room, `joiner-${run}`, doc);
  try {
    await withTimeout(warm.synced, JOIN_TIMEOUT_MS, `${running.target.id} warm rejoin`);
    const warmMs = performance.now() - warmStart;
    await sleep(TRAILING_MS);
    return { coldMs, coldBytesIn, warmMs, warmBytesIn: warm.traffic.bytesIn, warmBytesOut: warm.traffic.bytesOut };
  } finally {
    await warm.close();
  }
};
