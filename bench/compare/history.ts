// The long room used by the join scenarios: a realistic conversation of N messages by several authors, built once per run.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { MessageFactory, writerFor } from './messages.js';

export interface History {
  /** The full state as one update (what a server is seeded with). */
  state: Uint8Array;
  /** A file holding `state`, for the server children. */
  file: string;
  messages: number;
  buildMs: number;
}

const AUTHORS = 8;
/** One message in fifty is edited right after it was sent (so the document carries a realistic delete set). */
const EDIT_EVERY = 50;

/**
 * Builds `messages` messages by 8 authors in turns of 1–4 messages, as in a real conversation. Each author
 * writes as its own Yjs client: the room document takes the author's client id for its turn, which yields the
 * same structs as the author writing on an up-to-date replica of its own (and avoids syncing 8 replicas).
 */
export const buildHistory = (messages: number): History => {
  const started = performance.now();
  const room = new Y.Doc();
  const clientIds = Array.from({ length: AUTHORS }, (_, i) => 1_000_000 + i * 7919);
  const factories = clientIds.map((_, i) => new MessageFactory(writerFor(`author-${i}`)));
  let n = 0;
  let turn = 0;
  while (n < messages) {
    const author = turn++ % AUTHORS;
    room.clientID = clientIds[author]!;
    const factory = factories[author]!;
    const burst = 1 + (turn % 4);
    for (let k = 0; k < burst && n < messages; k++, n++) {
      const record = factory.append(room, n);
      if (n % EDIT_EVERY === EDIT_EVERY - 1) factory.editLast(room, record);
    }
  }
  const state = Y.encodeStateAsUpdate(room);
  const file = join(tmpdir(), `parley-bench-history-${messages}-${process.pid}.bin`);
  writeFileSync(file, state);
  return { state, file, messages, buildMs: performance.now() - started };
};
