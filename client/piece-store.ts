// Keeps a Y.Doc in y-indexeddb's database layout, its state stored as causal pieces and loaded one piece per task.
import * as Y from 'yjs';
import { updatePieces } from '../shared/update-pieces.js';
import { request, transactionDone } from './idb.js';
import { nextTask } from './next-task.js';

/*
 * Why not y-indexeddb itself. It applies every stored update in one transaction, and compacts the document into
 * one update: for a 100,000-message conversation, one 11.6 MiB update that blocks the page for half a second
 * or more. This store keeps its layout (an auto-increment `updates` store of Yjs v1 updates and a `custom`
 * store, so caches written by earlier versions load, and client/search/cached-docs.ts reads them unchanged) and
 * its rules: every local update is added as it happens (in order: IndexedDB runs a database's write
 * transactions in the order they were made), and after PREFERRED_TRIM_SIZE stored updates the document's state
 * replaces them. That state is written as causal pieces of PIECE_BYTES (shared/update-pieces.ts), each one
 * integrating at once, so the next load applies one piece per task and the page stays responsive; a stored
 * update that is larger (a cache written whole by y-indexeddb) is applied whole once and rewritten as pieces
 * right after that load. Other tabs add their own updates to the same store: compaction first applies what
 * they added since this tab read, and deletes only what this tab has applied.
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

/** Stored updates read from `db`: their values and the key after the last one. */
interface Stored {
  updates: Uint8Array[];
  nextKey: number;
}

/**
 * Persists `doc` in `db` (opened with y-indexeddb's layout). Write errors surface as the database's `error`
 * events (the caller listens there). `read()` then `apply()` load the stored state; `destroy()` stops storing.
 */
export class PieceStore {
  /** Keys below this are in the document (applied or written from it). */
  private nextKey = 0;
  /** Updates stored since the last compaction (about). */
  private stored = 0;
  private destroyed = false;
  private compactTimer: ReturnType<typeof setTimeout> | undefined;
  private compacting: Promise<void> | undefined;
  private readonly onUpdate: (update: Uint8Array, origin: unknown) => void;
  private readonly onDestroy: () => void;

  constructor(private readonly db: IDBDatabase, private readonly doc: Y.Doc) {
    // What the document already holds (written before this store existed) is stored first, as y-indexeddb does.
    if (doc.store.clients.size > 0) this.add(Y.encodeStateAsUpdate(doc));
    this.onUpdate = (update, origin) => {
      if (origin === this || this.destroyed) return;
      this.add(update);
      if (++this.stored >= PREFERRED_TRIM_SIZE) this.compactLater(COMPACT_DELAY_MS);
    };
    this.onDestroy = () => void this.destroy();
    doc.on('update', this.onUpdate);
    doc.on('destroy', this.onDestroy);
  }

  /** Reads every stored update (one read transaction: IndexedDB time, not main-thread work). */
  async read(): Promise<Stored> {
    const store = this.db.transaction(UPDATES, 'readonly').objectStore(UPDATES);
    const range = IDBKeyRange.lowerBound(this.nextKey);
    const [keys, updates] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
    const last = keys.at(-1);
    return { updates: updates as Uint8Array[], nextKey: typeof last === 'number' ? last + 1 : this.nextKey };
  }

  /**
   * Applies what `read()` returned, about PIECE_BYTES per task, yielding to the browser in between. Resolves once
   * all of it is in the document (or the store was destroyed). Rewrites the state as pieces soon when some stored
   * update was too large to apply in a short task, or when many are stored.
   */
  async apply({ updates, nextKey }: Stored): Promise<void> {
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
      await nextTask();
      if (this.destroyed) return;
    }
    this.applyNow(batch);
    this.nextKey = Math.max(this.nextKey, nextKey);
    this.stored += updates.length;
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
    this.db.close();
  }

  /** Whether a compaction is under way (tests). */
  get isCompacting(): boolean {
    return this.compacting !== undefined;
  }

  private add(update: Uint8Array): void {
    this.db.transaction(UPDATES, 'readwrite').objectStore(UPDATES).add(update);
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
   * Replaces the stored updates this tab has applied by the document's state, in pieces. The pieces are cut one
   * per task (the walk follows the live document); they are written with the deletion in one transaction, so a
   * crash leaves either the old updates or the pieces. Updates stored meanwhile (here or by other tabs) stay.
   */
  private compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    clearTimeout(this.compactTimer);
    const run = async (): Promise<void> => {
      // Other tabs' updates since this tab read: into the document first, so that the pieces hold them.
      const since = await this.read();
      this.applyNow(since.updates);
      const below = Math.max(this.nextKey, since.nextKey);
      this.nextKey = below;
      const pieces: Uint8Array[] = [];
      for (const piece of updatePieces(this.doc, EMPTY_STATE_VECTOR, PIECE_BYTES)) {
        pieces.push(piece.update);
        if (!this.destroyed) await nextTask();
      }
      const tx = this.db.transaction(UPDATES, 'readwrite');
      const store = tx.objectStore(UPDATES);
      for (const piece of pieces) store.add(piece);
      store.delete(IDBKeyRange.upperBound(below, true));
      this.stored = 0;
      await transactionDone(tx);
    };
    this.compacting = run()
      .catch(() => undefined) // a failed write is reported through the database's error event
      .finally(() => {
        this.compacting = undefined;
      });
    return this.compacting;
  }
}
