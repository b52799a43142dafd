// Fixtures for the hardening tests: an in-memory room store preloaded with large rooms, and a gc-backed memory probe.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as Y from 'yjs';
import { sendMessage } from '../../shared/conversation.js';
import { randomUUID } from 'node:crypto';
import type { StorageBackend } from '../../relay/index.js';
import { createLocalBus, createLocalLease } from '../../relay/storage/disk-backend.js';
import { comparePositions, type LogEntry } from '../../relay/storage/seams.js';

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

/** A storage backend in memory whose rooms start with the given state as a snapshot; appends are durable at once. */
export const memoryStore = (initial: Record<string, Uint8Array>): StorageBackend => {
  const snapshots = new Map(Object.entries(initial).map(([name, state]) => [name, { state, position: '0-0' }]));
  const logs = new Map<string, LogEntry[]>();
  let counter = 0;
  return {
    kind: 'disk',
    instanceId: randomUUID(),
    log: {
      append: async (room, data) => {
        const position = `0-${++counter}`;
        logs.set(room, [...(logs.get(room) ?? []), { position, data }]);
        return position;
      },
      read: async (room, after) => (logs.get(room) ?? []).filter((e) => comparePositions(e.position, after) > 0),
      follow: () => ({ stop() {} }),
      trim: async (room, upTo) => {
        logs.set(room, (logs.get(room) ?? []).filter((e) => comparePositions(e.position, upTo) > 0));
      },
      drop: async (room) => void logs.delete(room),
      release: async () => {},
      healthy: () => true,
      close: async () => {},
    },
    snapshots: {
      store: async (room, state, position) => void snapshots.set(room, { state, position }),
      load: async (room) => snapshots.get(room),
      delete: async (room) => void snapshots.delete(room),
      healthy: () => true,
      close: async () => {},
    },
    bus: createLocalBus(),
    lease: createLocalLease(),
    healthy: () => true,
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
