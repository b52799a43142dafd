// Keeps a conversation's Y.Doc in IndexedDB through y-indexeddb, and turns its silent failures into a storage state.
import type * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { docDbName, openDatabase, watchDatabase } from './idb.js';
import { describe, type StorageState } from './local-store.js';

export interface DocStore {
  /** Resolves once the cached document is loaded into the Y.Doc, or storage is known to be unusable. */
  whenLoaded: Promise<void>;
  state: StorageState;
  onState(listener: (state: StorageState) => void): () => void;
  /** Stops persisting (the data stays); the Y.Doc keeps working in memory. */
  destroy(): Promise<void>;
}

/**
 * Loads `doc` from the user's IndexedDB copy of `room` and persists every later update.
 * y-indexeddb reports nothing when opening fails (its promise rejects unobserved and `whenSynced` never
 * resolves) nor when a write fails (quota). So the database is first opened here (same name and stores)
 * to learn whether it can be; a timeout covers a load that never ends; errors bubbling from y-indexeddb's
 * write transactions to the database, or the database closing, turn into `failed`. The document is read only
 * once `startAfter` settles (the conversation shows its tail first: see tail-cache.ts).
 */
export function persistDoc(
  doc: Y.Doc,
  userId: string,
  room: string,
  { timeoutMs = 5_000, startAfter }: { timeoutMs?: number; startAfter?: Promise<unknown> } = {},
): DocStore {
  const listeners = new Set<(state: StorageState) => void>();
  let persistence: IndexeddbPersistence | undefined;
  let destroyed = false;
  const store: DocStore = {
    whenLoaded: Promise.resolve(),
    state: { status: 'loading' },
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async destroy() {
      destroyed = true;
      const p = persistence;
      persistence = undefined;
      if (p) await p.destroy().catch(() => undefined);
    },
  };
  const setState = (state: StorageState): void => {
    if (store.state.status === 'unavailable' || store.state.status === 'failed') return;
    store.state = state;
    for (const listener of listeners) listener(state);
  };
  const giveUp = (status: 'unavailable' | 'failed', error: string): void => {
    const p = persistence;
    persistence = undefined;
    // Stop y-indexeddb from writing again; the document itself stays intact in memory.
    p?.destroy().catch(() => undefined);
    setState({ status, error });
  };
  const name = docDbName(userId, room);

  store.whenLoaded = (async () => {
    const deadline = Date.now() + timeoutMs;
    try {
      const probe = await openDatabase(
        name,
        (db) => {
          // The layout y-indexeddb creates, so that its own open finds nothing to upgrade.
          db.createObjectStore('updates', { autoIncrement: true });
          db.createObjectStore('custom');
        },
        { timeoutMs },
      );
      probe.close();
    } catch (error) {
      giveUp('unavailable', describe(error));
      return;
    }
    await startAfter?.catch(() => undefined);
    if (destroyed) return;
    const p = new IndexeddbPersistence(name, doc);
    persistence = p;
    (p._db as Promise<IDBDatabase>).then(
      (db) => {
        db.addEventListener('error', (event) => {
          const target = event.target as IDBRequest | IDBTransaction | null;
          giveUp('failed', describe(target?.error ?? 'IndexedDB write failed'));
        });
        db.addEventListener('abort', (event) => {
          const target = event.target as IDBTransaction | null;
          giveUp('failed', describe(target?.error ?? 'IndexedDB transaction aborted'));
        });
        watchDatabase(db, (reason) => giveUp('failed', reason));
      },
      (error: unknown) => giveUp('unavailable', describe(error)),
    );
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now())));
    const result = await Promise.race([p.whenSynced.then(() => 'loaded' as const), timeout]);
    if (result === 'timeout') giveUp('unavailable', `IndexedDB did not load the conversation within ${timeoutMs} ms`);
    else setState({ status: 'ready' });
  })();
  return store;
}
