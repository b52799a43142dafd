// Keeps the search index in IndexedDB as a gzipped snapshot plus a journal of the changes made since.
import { userDbPrefix } from '../idb.js';
import { openDatabase, request, transactionDone } from '../idb.js';
import type { IndexChanges } from './search-types.js';

/** The search database of a user. `:` never appears in room names, so it cannot clash with a conversation's. */
export const searchDbName = (userId: string): string => `${userDbPrefix(userId)}:search:index`;

/** Bump when the serialized form changes: an older snapshot is then dropped and the index rebuilt. */
export const SNAPSHOT_FORMAT = 1;

interface SnapshotRecord {
  format: number;
  /** gzip of the serialized index (JSON). */
  data: ArrayBuffer;
  /** Length of `data`. */
  bytes: number;
}

/** What was stored: the snapshot's JSON (if any, in a known format) and the changes to replay on top, in order. */
export interface StoredIndex {
  json: string | undefined;
  journal: IndexChanges[];
  snapshotBytes: number;
}

/**
 * One per worker. A change costs one small journal write; the whole index is written (compacted) only
 * from time to time, in one transaction that also clears the journal entries it covers. Replaying a
 * journal entry twice is harmless (upserts carry versions, removing an absent message does nothing), so a
 * crash between the two steps loses nothing.
 */
export class IndexStore {
  private db: IDBDatabase | undefined;
  /** Highest journal key whose changes this index holds (loaded, written here, or caught up from other tabs). */
  private lastJournalKey = 0;
  /** Journal keys written by this worker after `lastJournalKey` was last advanced past them. */
  private readonly ownKeys = new Set<number>();
  journalEntries = 0;
  snapshotBytes = 0;

  private constructor(db: IDBDatabase) {
    this.db = db;
  }

  /** Opens the user's search database; rejects when IndexedDB is unusable. `onLost`: deleted or closed under us. */
  static async open(userId: string, onLost: (reason: string) => void): Promise<IndexStore> {
    let store: IndexStore | undefined;
    const db = await openDatabase(
      searchDbName(userId),
      (created) => {
        created.createObjectStore('snapshot');
        created.createObjectStore('journal', { autoIncrement: true });
      },
      {
        onLost: (reason) => {
          if (store) store.db = undefined;
          onLost(reason);
        },
      },
    );
    store = new IndexStore(db);
    return store;
  }

  get usable(): boolean {
    return this.db !== undefined;
  }

  async load(): Promise<StoredIndex> {
    const db = this.need();
    const tx = db.transaction(['snapshot', 'journal'], 'readonly');
    const [snapshot, journal, keys] = await Promise.all([
      request(tx.objectStore('snapshot').get('current')) as Promise<SnapshotRecord | undefined>,
      request(tx.objectStore('journal').getAll()) as Promise<IndexChanges[]>,
      request(tx.objectStore('journal').getAllKeys()),
    ]);
    this.lastJournalKey = Math.max(0, ...keys.map(Number));
    this.journalEntries = journal.length;
    let json: string | undefined;
    if (snapshot && snapshot.format === SNAPSHOT_FORMAT) {
      json = await gunzip(snapshot.data);
      this.snapshotBytes = snapshot.bytes;
    }
    return { json, journal, snapshotBytes: this.snapshotBytes };
  }

  /** Appends changes to the journal (one transaction for the batch). */
  async append(batch: IndexChanges[]): Promise<void> {
    if (batch.length === 0) return;
    const db = this.need();
    const tx = db.transaction('journal', 'readwrite');
    const os = tx.objectStore('journal');
    const keys = batch.map((changes) => request(os.add(changes)));
    await transactionDone(tx);
    for (const key of await Promise.all(keys)) this.ownKeys.add(Number(key));
    this.journalEntries += batch.length;
  }

  /**
   * Journal entries other tabs' workers wrote since this index last caught up, in order; once the caller
   * has applied them, the snapshot it writes covers them too.
   */
  async othersChanges(): Promise<IndexChanges[]> {
    const db = this.need();
    const tx = db.transaction('journal', 'readonly');
    const range = IDBKeyRange.lowerBound(this.lastJournalKey, true);
    const [values, keys] = await Promise.all([
      request(tx.objectStore('journal').getAll(range)) as Promise<IndexChanges[]>,
      request(tx.objectStore('journal').getAllKeys(range)),
    ]);
    const others: IndexChanges[] = [];
    keys.forEach((key, i) => {
      const n = Number(key);
      if (!this.ownKeys.has(n)) others.push(values[i]!);
      this.ownKeys.delete(n);
      this.lastJournalKey = Math.max(this.lastJournalKey, n);
    });
    return others;
  }

  /**
   * Stores `json` (the whole index, serialized after `othersChanges()` was applied, so it holds every journal
   * entry up to the key that call reached) and drops those journal entries.
   */
  async compact(json: string): Promise<void> {
    const covered = this.lastJournalKey;
    const data = await gzip(json);
    const db = this.need();
    const tx = db.transaction(['snapshot', 'journal'], 'readwrite');
    const record: SnapshotRecord = { format: SNAPSHOT_FORMAT, data, bytes: data.byteLength };
    tx.objectStore('snapshot').put(record, 'current');
    if (covered > 0) tx.objectStore('journal').delete(IDBKeyRange.upperBound(covered));
    const remaining = request(tx.objectStore('journal').count());
    await transactionDone(tx);
    this.journalEntries = await remaining;
    this.snapshotBytes = data.byteLength;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private need(): IDBDatabase {
    if (!this.db) throw new Error('the search database is closed');
    return this.db;
  }
}

async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

async function gunzip(data: ArrayBuffer): Promise<string> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}
