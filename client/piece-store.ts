// Keeps a Y.Doc in y-indexeddb's database layout, its state stored as causal pieces and loaded one piece per task.
import * as Y from 'yjs';
import { updatePieces } from '../shared/update-pieces.js';
import { request, transactionDone } from './idb.js';
import { nextTask } from './next-task.js';

/*
 * Why not y-indexeddb itself. It applies every stored update in one transaction, and compacts the document into
 * one update: for a 100,000-message conversation, one 11.6 MiB update that blocks the page for half a second
 * or more. This store keeps its layout (an auto-increment `updates` store of Yjs v1 updates and a `custom`
 * store, so caches written by y-indexeddb load here, caches written here load in y-indexeddb, and
 * client/search/cached-docs.ts reads them unchanged) and its rules: every local update is added as it happens
 * (in order: IndexedDB runs a database's write transactions in the order they were made), and after
 * PREFERRED_TRIM_SIZE stored updates the document's state replaces them. That state is written as causal pieces
 * of PIECE_BYTES (shared/update-pieces.ts), each one integrating at once, so the next load applies one piece per
 * task and the page stays responsive; a stored update that is larger (a cache written whole by y-indexeddb) is
 * applied whole once and rewritten as pieces right after that load.
 *
 * What keeps the data (test/browser/piece-store.test.ts):
 * - Every key below `nextKey` is in the document (applied from the store, or written by this store from the
 *   document), and compaction deletes only keys below it: a row another tab (or another store on the same
 *   database) added is deleted only after this store applied it. Autoincrement keys grow, and write
 *   transactions on one store run one at a time across connections, so no row can appear below `nextKey` later.
 * - Compaction adds the pieces and deletes the old rows in ONE readwrite transaction: a crash, an abort (quota)
 *   or a closed connection leaves either the old rows or the pieces with the rows stored since, never neither.
 * - Compaction runs only once the stored state is fully applied, so its pieces hold everything below `nextKey`.
 * - Rows this store wrote itself are remembered by key and not applied again (its own pieces after a
 *   compaction would otherwise be re-applied in one long task at the next one).
 */

/** Stored updates after which the state replaces them (y-indexeddb's PREFERRED_TRIM_SIZE). */
const PREFERRED_TRIM_SIZE = 500;
/** Quiet time before that compaction (y-indexeddb's): a burst of writes compacts once. */
const COMPACT_DELAY_MS = 1_000;
/** Bytes of structs per stored piece: applying one takes a few to a few tens of milliseconds. */
export const PIECE_BYTES = 64 * 1024;
/** A stored update above this was not cut here (a single struct above PIECE_BYTES is rare): rewrite as pieces. */
const UNCUT_BYTES = 2 * PIECE_BYTES;
const UPDATES = 'updates';
/** The encoded empty state vector: pieces of the whole document. */
const EMPTY_STATE_VECTOR = new Uint8Array([0]);
/** A Yjs v1 update with nothing in it (no structs, no deletions). */
const isEmptyUpdate = (update: Uint8Array): boolean => update.byteLength === 2 && update[0] === 0 && update[1] === 0;

/** Stored updates read from the database (those this store did not write), the rows read and the key after the last one. */
export interface Stored {
  updates: Uint8Array[];
  rows: number;
  nextKey: number;
}

/**
 * Persists `doc` in `db` (opened with y-indexeddb's layout). Errors of write requests and transactions (quota)
 * surface as the database's `error`/`abort` events (the caller listens there); a write that cannot even start
 * (the connection closed) calls `onError` and stops the store. `read()` then `apply()` load the stored state;
 * `destroy()` stops storing.
 */
export class PieceStore {
  /** Keys below this are in the document (applied or written from it). */
  private nextKey = 0;
  /** Keys of rows this store wrote (in the document already), at or above `nextKey`. */
  private readonly own = new Set<number>();
  /** Updates stored since the last compaction (about). */
  private stored = 0;
  /** The stored state is applied: compaction may run. */
  private loaded = false;
  private destroyed = false;
  private compactTimer: ReturnType<typeof setTimeout> | undefined;
  private compacting: Promise<void> | undefined;
  private readonly onUpdate: (update: Uint8Array, origin: unknown) => void;
  private readonly onDestroy: () => void;
  private readonly onError: ((error: unknown) => void) | undefined;

  constructor(private readonly db: IDBDatabase, private readonly doc: Y.Doc, options: { onError?: (error: unknown) => void } = {}) {
    this.onError = options.onError;
    this.onUpdate = (update, origin) => {
      if (origin === this || this.destroyed) return;
      this.add(update);
      if (++this.stored >= PREFERRED_TRIM_SIZE) this.compactLater(COMPACT_DELAY_MS);
    };
    this.onDestroy = () => void this.destroy();
    doc.on('update', this.onUpdate);
    doc.on('destroy', this.onDestroy);
    // What the document already holds (written before this store existed) is stored first, as y-indexeddb does.
    const before = Y.encodeStateAsUpdate(doc);
    if (!isEmptyUpdate(before)) this.add(before);
  }

  /** Reads every stored update not yet in the document (one read transaction: IndexedDB time, not main-thread work). */
  async read(): Promise<Stored> {
    const store = this.db.transaction(UPDATES, 'readonly').objectStore(UPDATES);
    const range = IDBKeyRange.lowerBound(this.nextKey);
    const [keys, values] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
    const updates: Uint8Array[] = [];
    keys.forEach((key, i) => {
      if (typeof key === 'number' && this.own.has(key)) return;
      updates.push(values[i] as Uint8Array);
    });
    const last = keys.at(-1);
    return { updates, rows: keys.length, nextKey: typeof last === 'number' ? last + 1 : this.nextKey };
  }

  /**
   * Applies what `read()` returned, about PIECE_BYTES per task, yielding to the browser in between. Resolves once
   * all of it is in the document (or the store was destroyed); rejects when a stored update cannot be applied
   * (nothing is deleted then). Rewrites the state as pieces soon when some stored update was too large to apply
   * in a short task, or when many are stored.
   */
  async apply(stored: Stored): Promise<void> {
    const uncut = await this.applyInTasks(stored.updates, false);
    if (this.destroyed) return;
    this.nextKey = Math.max(this.nextKey, stored.nextKey);
    this.stored += stored.rows;
    this.loaded = true;
    if (uncut) void this.compact();
    else if (this.stored >= PREFERRED_TRIM_SIZE) this.compactLater(COMPACT_DELAY_MS);
  }

  /** Stops storing (after finishing a compaction under way, without yielding); the document stays as it is. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    clearTimeout(this.compactTimer);
    this.doc.off('update', this.onUpdate);
    this.doc.off('destroy', this.onDestroy);
    await this.compacting?.catch(() => undefined);
    // Transactions already made still complete (IndexedDB closes the connection after them).
    this.db.close();
  }

  /** Whether a compaction is under way (tests). */
  get isCompacting(): boolean {
    return this.compacting !== undefined;
  }

  /**
   * Replaces the stored rows this store has in its document by the document's state, in pieces (normally after
   * PREFERRED_TRIM_SIZE updates; callable now for tests). Does nothing before the stored state is applied.
   * Rows stored meanwhile (here or by other tabs) stay.
   */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    if (!this.loaded || this.destroyed) return Promise.resolve();
    clearTimeout(this.compactTimer);
    this.compacting = this.runCompaction()
      .catch((error: unknown) => {
        // A failed request or transaction is reported through the database's events; anything else (a row
        // another writer stored that Yjs cannot read) stops the store here, with nothing written or deleted.
        if (!(error instanceof DOMException) && !String(error).includes('IndexedDB')) this.fail(error);
      })
      .finally(() => {
        this.compacting = undefined;
      });
    return this.compacting;
  }

  private add(update: Uint8Array): void {
    let req: IDBRequest<IDBValidKey>;
    try {
      req = this.db.transaction(UPDATES, 'readwrite').objectStore(UPDATES).add(update);
    } catch (error) {
      // The connection is closed (storage cleared, database deleted): nothing more can be stored here.
      this.fail(error);
      return;
    }
    req.addEventListener('success', () => {
      if (typeof req.result === 'number') this.own.add(req.result);
    });
  }

  private fail(error: unknown): void {
    if (this.destroyed) return;
    void this.destroy();
    this.onError?.(error);
  }

  /**
   * Applies `updates` in batches of about PIECE_BYTES, one per task. When the store is destroyed meanwhile it
   * stops, or (`finish`) applies the rest at once. Returns whether some update was larger than a piece.
   */
  private async applyInTasks(updates: Uint8Array[], finish: boolean): Promise<boolean> {
    let batch: Uint8Array[] = [];
    let bytes = 0;
    let uncut = false;
    for (const update of updates) {
      if (update.byteLength > UNCUT_BYTES) uncut = true;
      batch.push(update);
      bytes += update.byteLength;
      if (bytes < PIECE_BYTES) continue;
      this.applyNow(batch);
      batch = [];
      bytes = 0;
      if (this.destroyed && finish) continue;
      await nextTask();
      if (this.destroyed && !finish) return uncut;
    }
    this.applyNow(batch);
    return uncut;
  }

  private applyNow(updates: Uint8Array[]): void {
    if (updates.length === 0) return;
    Y.transact(this.doc, () => {
      for (const update of updates) Y.applyUpdate(this.doc, update, this);
    }, this, false);
  }

  private compactLater(delayMs: number): void {
    clearTimeout(this.compactTimer);
    this.compactTimer = setTimeout(() => void this.compact(), delayMs);
  }

  /**
   * The compaction: apply the rows other writers added since this store read (so that the pieces hold them),
   * cut the document's state into pieces one per task (the walk follows the live document), then add the pieces
   * and delete every row below `nextKey` in one transaction. Once destroyed it finishes without yielding.
   */
  private async runCompaction(): Promise<void> {
    const since = await this.read();
    await this.applyInTasks(since.updates, true);
    const below = Math.max(this.nextKey, since.nextKey);
    this.nextKey = below;
    const pieces: Uint8Array[] = [];
    for (const piece of updatePieces(this.doc, EMPTY_STATE_VECTOR, PIECE_BYTES)) {
      pieces.push(piece.update);
      if (!this.destroyed) await nextTask();
    }
    let tx: IDBTransaction | undefined;
    const keys: number[] = [];
    try {
      tx = this.db.transaction(UPDATES, 'readwrite');
      const store = tx.objectStore(UPDATES);
      for (const piece of pieces) {
        const req = store.add(piece);
        req.addEventListener('success', () => {
          if (typeof req.result === 'number') keys.push(req.result);
        });
      }
      store.delete(IDBKeyRange.upperBound(below, true));
    } catch (error) {
      // The connection closed since the read (nothing was made), or a request could not be made: undo the others.
      try {
        tx?.abort();
      } catch {
        // Already finished or never started: nothing was written.
      }
      this.fail(error);
      return;
    }
    this.stored = 0;
    await transactionDone(tx);
    for (const key of this.own) if (key < below) this.own.delete(key);
    for (const key of keys) this.own.add(key);
  }
}
