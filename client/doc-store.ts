// Keeps a conversation's Y.Doc in IndexedDB (piece-store.ts, y-indexeddb's layout), and turns failures into a storage state.
import type * as Y from 'yjs';
import { docDbName, openDatabase } from './idb.js';
import { describe, type StorageState } from './local-store.js';
import { PieceStore } from './piece-store.js';

export interface DocStore {
  /**
   * Resolves once the whole cached document is applied to the Y.Doc (in pieces, one per task: the page stays
   * responsive meanwhile), or storage is known to be unusable.
   */
  whenLoaded: Promise<void>;
  state: StorageState;
  onState(listener: (state: StorageState) => void): () => void;
  /** Stops persisting (the data stays); the Y.Doc keeps working in memory. */
  destroy(): Promise<void>;
}

/**
 * Loads `doc` from the user's IndexedDB copy of `room` and persists every later update (piece-store.ts). Opening
 * the database fails clearly (`unavailable`); a timeout covers opening and reading that never end (applying,
 * spread over tasks, is not timed); errors of write transactions bubbling to the database, or the database
 * closing, turn into `failed`. The document is read only once `startAfter` settles (the conversation shows its
 * tail first: see tail-cache.ts).
 */
export function persistDoc(
  doc: Y.Doc,
  userId: string,
  room: string,
  { timeoutMs = 5_000, startAfter }: { timeoutMs?: number; startAfter?: Promise<unknown> } = {},
): DocStore {
  const listeners = new Set<(state: StorageState) => void>();
  let persistence: PieceStore | undefined;
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
    // Stop writing again; the document itself stays intact in memory.
    p?.destroy().catch(() => undefined);
    setState({ status, error });
  };
  /** Storage was given up (reported as `unavailable` or `failed`). */
  const gaveUp = (): boolean => store.state.status === 'unavailable' || store.state.status === 'failed';
  const name = docDbName(userId, room);

  store.whenLoaded = (async () => {
    const deadline = Date.now() + timeoutMs;
    let db: IDBDatabase;
    try {
      db = await openDatabase(
        name,
        (created) => {
          // The layout y-indexeddb creates (caches written by earlier versions, search's reader: see piece-store.ts).
          created.createObjectStore('updates', { autoIncrement: true });
          created.createObjectStore('custom');
        },
        { timeoutMs, onLost: (reason) => giveUp('failed', reason) },
      );
    } catch (error) {
      giveUp('unavailable', describe(error));
      return;
    }
    await startAfter?.catch(() => undefined);
    // Closed meanwhile, or the database was lost (deleted by logout in another tab) while the tail was shown.
    if (destroyed || gaveUp()) {
      db.close();
      return;
    }
    db.addEventListener('error', (event) => {
      const target = event.target as IDBRequest | IDBTransaction | null;
      giveUp('failed', describe(target?.error ?? 'IndexedDB write failed'));
    });
    db.addEventListener('abort', (event) => {
      const target = event.target as IDBTransaction | null;
      giveUp('failed', describe(target?.error ?? 'IndexedDB transaction aborted'));
    });
    const p = new PieceStore(db, doc, { onError: (error) => giveUp('failed', describe(error)) });
    // Storing the document's content could not even start (the connection closed): already reported.
    if (gaveUp()) return;
    persistence = p;
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now())));
    const stored = await Promise.race([p.read(), timeout]).catch((error: unknown) => {
      // Not a failure when this store was closed or gave up meanwhile (that closed the connection).
      if (persistence === p) giveUp('failed', describe(error));
      return 'failed' as const;
    });
    if (stored === 'failed') return;
    if (stored === 'timeout') {
      giveUp('unavailable', `IndexedDB did not load the conversation within ${timeoutMs} ms`);
      return;
    }
    if (persistence !== p) return;
    try {
      await p.apply(stored);
    } catch (error) {
      // A stored update Yjs cannot read: stop storing (nothing is deleted), keep what was applied in memory.
      if (persistence === p) giveUp('failed', `the local copy of this conversation is damaged: ${describe(error)}`);
      return;
    }
    if (persistence === p) setState({ status: 'ready' });
  })();
  return store;
}
