// Fixtures for the hardening tests: an in-memory room store preloaded with large rooms, and a gc-backed memory probe.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as Y from 'yjs';
import { sendMessage } from '../../shared/conversation.js';
import type { RoomStore } from '../../relay/index.js';

/**
 * A Parley conversation of about `bytes` bytes written by `writers` interleaved sessions (one Yjs client id each,
 * each building on the others' messages, as real histories do). Returns one full-state update.
 */
export const bigConversation = (bytes: number, writers = 3): Uint8Array => {
  const docs = Array.from({ length: writers }, () => new Y.Doc());
  for (const [i, doc] of docs.entries()) {
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'peer') return;
      for (const [j, other] of docs.entries()) if (j !== i) Y.applyUpdate(other, update, 'peer');
    });
  }
  const text = 'x'.repeat(7900);
  const count = Math.ceil(bytes / 8000);
  for (let k = 0; k < count; k++) {
    const doc = docs[k % writers]!;
    sendMessage(doc, { userId: `writer-${k % writers}`, role: 'write' }, { text: `${k}:${text}` });
  }
  return Y.encodeStateAsUpdate(docs[0]!);
};

/** A room store in memory whose rooms start with the given updates; appends are durable at once. */
export const memoryStore = (initial: Record<string, Uint8Array>): RoomStore => {
  const rooms = new Map<string, Uint8Array[]>(Object.entries(initial).map(([name, update]) => [name, [update]]));
  return {
    load: async (room) => ({ updates: [...(rooms.get(room) ?? [])], logBytes: 0 }),
    append: async (room, update) => {
      const list = rooms.get(room) ?? [];
      list.push(update);
      rooms.set(room, list);
    },
    compact: async (room, state) => {
      rooms.set(room, [state]);
    },
    flush: async () => {},
    release: async () => {},
    delete: async (room) => {
      rooms.delete(room);
    },
    close: async () => {},
  };
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes held outside the JS heap by buffers (where socket send buffers live), after a full collection. */
export const bufferBytes = (): number => {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
};

/** Pauses the TCP socket under a ws client: it stops reading, like a peer that never reads. */
export const stopReading = (ws: unknown): { resume(): void; pause(): void } => {
  const socket = (ws as { _socket: { pause(): void; resume(): void } })._socket;
  socket.pause();
  return socket;
};
