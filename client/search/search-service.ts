// The search worker's logic: one user's index in memory, persisted in IndexedDB, answering the page's requests.
import { readMessageLog } from '../../shared/message-log.js';
import { cachedRooms, loadCachedDoc } from './cached-docs.js';
import { diffRoom } from './doc-source.js';
import { IndexStore } from './index-store.js';
import { SearchEngine } from './search-engine.js';
import type { ResultOf, WorkerEvent, WorkerRequest } from './search-protocol.js';
import type { IndexChanges, IndexStats, SearchResponse } from './search-types.js';

/** Journal writes wait this long to batch a burst of changes into one transaction. */
const JOURNAL_DELAY_MS = 100;
/** A fresh snapshot is written once the journal holds this many messages (replaying it on open stays quick). */
const COMPACT_AFTER_MESSAGES = 5_000;
const CHANGED_EVERY_MS = 50;

type Handler<K extends WorkerRequest['type']> = (request: Extract<WorkerRequest, { type: K }>) => Promise<ResultOf[K]>;

/**
 * Runs in the worker (or anywhere with IndexedDB). Requests are handled one at a time in arrival order
 * except queries, which only wait for the index to be open.
 */
export class SearchService {
  private engine = SearchEngine.create();
  private store: IndexStore | undefined;
  private opened: Promise<unknown> | undefined;
  private pending: IndexChanges[] = [];
  private journalMessages = 0;
  private journalTimer: ReturnType<typeof setTimeout> | undefined;
  private persisting: Promise<void> = Promise.resolve();
  private changedTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly latestQuery = new Map<string, number>();
  private closed = false;
  /** While above zero (a scan of cached conversations), changes are not written until the scan's snapshot. */
  private bulk = 0;
  /**
   * Rooms the page follows (or followed) from an open document, which is at least as new as the room's cached
   * copy: the page keeps them current, so a scan of cached conversations skips them.
   */
  private readonly followed = new Set<string>();

  constructor(private readonly emit: (event: WorkerEvent) => void) {}

  /** Handles one request; rejects with an Error whose message is sent back to the page. */
  handle(request: WorkerRequest): Promise<unknown> {
    if (this.closed && request.type !== 'close') return Promise.reject(new Error('the search index is closed'));
    const handler = this.handlers[request.type] as Handler<typeof request.type>;
    return handler(request as never);
  }

  private readonly handlers: { [K in WorkerRequest['type']]: Handler<K> } = {
    open: async ({ userId }) => {
      this.opened ??= this.open(userId);
      await this.opened;
      return { messages: this.engine.size, rooms: this.engine.roomCount };
    },
    apply: async ({ changes }) => {
      await this.ready();
      return this.apply(changes);
    },
    follow: async ({ room }) => {
      await this.ready();
      this.followed.add(room);
      return [...this.engine.versions(room)];
    },
    'index-cached': async () => {
      const userId = await this.ready();
      const timing = { readMs: 0, indexMs: 0 };
      let upserts = 0;
      let removes = 0;
      const rooms = await cachedRooms(userId).catch(() => []);
      // One snapshot at the end rather than journal writes and compactions while the index grows.
      this.bulk++;
      try {
        for (const room of rooms) {
          if (this.closed) break;
          if (this.followed.has(room)) continue;
          const t0 = performance.now();
          const doc = await loadCachedDoc(userId, room).catch(() => undefined);
          const t1 = performance.now();
          timing.readMs += t1 - t0;
          if (!doc) continue;
          // The page may have started following the room while its cached copy was read: that copy can be
          // behind the open document (not yet written), and must not undo what the page indexed from it.
          if (this.followed.has(room)) {
            doc.destroy();
            continue;
          }
          // A message missing from a cached copy is one this copy has not seen yet (deleting leaves a tombstone,
          // which does remove it): another tab may have indexed it from its open document.
          const changes = diffRoom(room, readMessageLog(doc), this.engine.versions(room), { keepUnknown: true });
          doc.destroy();
          upserts += changes.upserts.length;
          removes += changes.removes.length;
          this.apply(changes);
          timing.indexMs += performance.now() - t1;
        }
      } finally {
        this.bulk--;
      }
      if (upserts + removes > 0) await this.persist(true);
      return { rooms: rooms.length, upserts, removes, readMs: Math.round(timing.readMs), indexMs: Math.round(timing.indexMs) };
    },
    query: async ({ id, request, lane }) => {
      this.latestQuery.set(lane, id);
      await this.ready();
      // Let newer keystrokes arrive: only the latest query of a lane is worth answering.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (this.latestQuery.get(lane) !== id) return null;
      return this.engine.search(request) satisfies SearchResponse;
    },
    flush: async () => {
      await this.ready();
      await this.persist(true);
      return this.stats();
    },
    stats: async () => {
      await this.ready();
      return this.stats();
    },
    close: async () => {
      if (!this.closed && this.opened) await this.persist(false);
      await this.shutdown();
      return true;
    },
  };

  private userId: string | undefined;

  private async ready(): Promise<string> {
    if (!this.opened || this.userId === undefined) throw new Error('the search index is not open (send open first)');
    await this.opened;
    return this.userId;
  }

  private async open(userId: string): Promise<void> {
    this.userId = userId;
    try {
      this.store = await IndexStore.open(userId, (reason) => {
        // Logout (here or in another tab) deletes the database: drop everything, the worker is done.
        void this.shutdown().then(() => this.emit({ event: 'closed', reason }));
      });
      const { json, journal } = await this.store.load();
      if (json !== undefined) {
        try {
          this.engine = SearchEngine.deserialize(json);
        } catch {
          // A damaged snapshot: start over; conversations re-index as they are watched or scanned.
          this.engine = SearchEngine.create();
        }
      }
      for (const changes of journal) {
        this.engine.apply(changes);
        this.journalMessages += changes.upserts.length + changes.removes.length;
      }
    } catch {
      // IndexedDB unusable (private mode, quota, blocked): the index lives in memory only.
      this.store?.close();
      this.store = undefined;
    }
  }

  private apply(changes: IndexChanges): boolean {
    if (!this.engine.apply(changes)) return false;
    this.pending.push(changes);
    this.journalMessages += changes.upserts.length + changes.removes.length;
    if (this.bulk === 0) this.journalTimer ??= setTimeout(() => {
      this.journalTimer = undefined;
      void this.persist(false);
    }, JOURNAL_DELAY_MS);
    this.changedTimer ??= setTimeout(() => {
      this.changedTimer = undefined;
      if (!this.closed) this.emit({ event: 'changed' });
    }, CHANGED_EVERY_MS);
    return true;
  }

  /** Writes pending changes to the journal, and a snapshot when the journal is long or `snapshot` is asked. */
  private persist(snapshot: boolean): Promise<void> {
    this.persisting = this.persisting.then(async () => {
      const store = this.store;
      if (!store?.usable || this.closed) {
        this.pending = [];
        return;
      }
      try {
        if (snapshot || this.journalMessages >= COMPACT_AFTER_MESSAGES) {
          // Another tab's worker may have journalled changes this index never saw: take them in first,
          // since the snapshot replaces the journal entries it covers.
          for (const changes of await store.othersChanges()) this.engine.apply(changes);
          // The snapshot covers everything applied so far, pending changes included.
          this.pending = [];
          const json = this.engine.serialize();
          await store.compact(json);
          this.journalMessages = 0;
        } else {
          await store.append(this.pending.splice(0));
        }
      } catch {
        // Quota or a lost database: keep working in memory.
        store.close();
        this.store = undefined;
      }
    });
    return this.persisting;
  }

  private stats(): IndexStats {
    return {
      messages: this.engine.size,
      rooms: this.engine.roomCount,
      snapshotBytes: this.store?.snapshotBytes ?? 0,
      journalEntries: this.store?.journalEntries ?? 0,
      storage: this.store?.usable ? 'ready' : 'memory',
    };
  }

  private async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.journalTimer);
    clearTimeout(this.changedTimer);
    this.store?.close();
    this.store = undefined;
    this.pending = [];
    this.engine = SearchEngine.create();
  }
}
