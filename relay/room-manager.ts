// Loads rooms on first use, shares them between connections, unloads idle ones and deletes rooms.
import type { Logger } from 'pino';
import { CloseEvents, type CloseEvent } from '../shared/close-codes.js';
import { Room } from './room.js';
import type { RoomStore } from './room-store.js';
import type { RoomBus } from './room-bus.js';
import type { Metrics } from './metrics.js';
import type { ClientIdBudget } from './client-id-budget.js';

interface Entry {
  /** Resolves to the room once loaded; rejects if loading failed (the entry is then removed). */
  ready: Promise<Room>;
  room: Room | undefined;
  /** Connections and requests currently using the room. */
  refs: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Set while unloading or deleting: new users wait for it, then load afresh. */
  leaving: Promise<void> | undefined;
}

export interface RoomManagerDeps {
  store: RoomStore;
  bus: RoomBus;
  metrics: Metrics;
  log: Logger;
  maxSyncFrameBytes: number;
  compactLogBytes: number;
  idleUnloadMs: number;
  /** The relay's budget of new client ids (client-id-budget.ts). */
  clientIds: ClientIdBudget;
}

/** The room registry. Every user of a room calls `acquire` and later `release` exactly once. */
export interface RoomManager {
  /** Loads (or shares) a room and counts one user. Rejects if stored data cannot be read. */
  acquire(name: string): Promise<Room>;
  /** Counts one user less; a room with no users unloads after the idle timeout. */
  release(room: Room): void;
  /** Closes connected clients with 4404 and removes the room from memory and storage. */
  delete(name: string): Promise<void>;
  /** Flushes, compacts and unloads every room, closing clients with 1012 (shutdown). */
  closeAll(): Promise<void>;
  /** Number of rooms in memory. */
  readonly loaded: number;
  /** Whether `name` is in memory (for tests and metrics). */
  isLoaded(name: string): boolean;
}

/** Creates the registry. */
export const createRoomManager = (deps: RoomManagerDeps): RoomManager => {
  const entries = new Map<string, Entry>();
  let closed = false;

  const evict = (name: string, entry: Entry) => {
    if (entries.get(name) === entry) entries.delete(name);
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
  };

  const onFailure = (room: Room) => {
    const entry = entries.get(room.name);
    if (entry?.room === room) evict(room.name, entry);
    // Nothing more is written for this room; clients reconnect and get a fresh load from disk.
    room.destroy(CloseEvents.storageFailure);
    void deps.store.release(room.name).catch(() => {});
  };

  const load = (name: string): Entry => {
    const entry: Entry = { ready: undefined as never, room: undefined, refs: 0, idleTimer: undefined, leaving: undefined };
    entry.ready = (async () => {
      const started = performance.now();
      const stored = await deps.store.load(name);
      const room = new Room(
        {
          name,
          store: deps.store,
          bus: deps.bus,
          metrics: deps.metrics,
          log: deps.log,
          maxSyncFrameBytes: deps.maxSyncFrameBytes,
          compactLogBytes: deps.compactLogBytes,
          clientIds: deps.clientIds,
          onFailure,
        },
        stored,
      );
      deps.log.debug({ room: name, ms: Math.round(performance.now() - started), updates: stored.updates.length }, 'room loaded');
      entry.room = room;
      return room;
    })();
    entry.ready.catch((error: unknown) => {
      evict(name, entry);
      deps.log.error({ err: error, room: name }, 'room failed to load; refusing to serve it');
    });
    entries.set(name, entry);
    return entry;
  };

  /** Flushes, compacts and frees a room. */
  const unload = async (name: string, entry: Entry, event: CloseEvent): Promise<void> => {
    const room = entry.room;
    if (!room) return;
    room.closing = true;
    try {
      await room.flush();
      await room.compactIfNeeded();
    } catch (error) {
      deps.log.error({ err: error, room: name }, 'flushing the room failed while unloading');
    }
    room.destroy(event);
    await deps.store.release(name).catch(() => {});
  };

  const startIdleTimer = (name: string, entry: Entry) => {
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.refs > 0 || entry.leaving || entries.get(name) !== entry) return;
      entry.leaving = unload(name, entry, CloseEvents.roomUnloaded).finally(() => evict(name, entry));
      deps.log.debug({ room: name }, 'idle room unloading');
    }, deps.idleUnloadMs);
    entry.idleTimer.unref();
  };

  const manager: RoomManager = {
    async acquire(name) {
      for (;;) {
        if (closed) throw new Error('relay is shutting down');
        let entry = entries.get(name);
        if (entry?.leaving) {
          await entry.leaving.catch(() => {});
          continue;
        }
        entry ??= load(name);
        entry.refs++;
        if (entry.idleTimer) {
          clearTimeout(entry.idleTimer);
          entry.idleTimer = undefined;
        }
        try {
          const room = await entry.ready;
          if (entry.leaving || room.closing) {
            // Deleted or unloaded while we waited: drop our count and try again.
            entry.refs--;
            continue;
          }
          return room;
        } catch (error) {
          entry.refs--;
          throw error;
        }
      }
    },
    release(room) {
      const entry = entries.get(room.name);
      if (!entry || entry.room !== room) return;
      entry.refs--;
      if (entry.refs <= 0 && !entry.leaving) startIdleTimer(room.name, entry);
    },
    async delete(name) {
      for (;;) {
        const entry = entries.get(name);
        if (entry?.leaving) {
          await entry.leaving.catch(() => {});
          continue;
        }
        if (entry) {
          const ready = entry.ready.catch(() => undefined);
          entry.leaving = (async () => {
            const room = await ready;
            if (room) {
              room.closing = true;
              room.destroy(CloseEvents.roomDeleted);
            }
            await deps.store.delete(name);
          })().finally(() => evict(name, entry));
          return entry.leaving;
        }
        return deps.store.delete(name);
      }
    },
    async closeAll() {
      closed = true;
      const work: Promise<void>[] = [];
      for (const [name, entry] of entries) {
        if (entry.leaving) {
          work.push(entry.leaving.catch(() => {}));
          continue;
        }
        entry.leaving = entry.ready
          .then((room) => {
            room.closing = true;
            return unload(name, entry, CloseEvents.shuttingDown);
          }, () => {})
          .finally(() => evict(name, entry));
        work.push(entry.leaving);
      }
      await Promise.all(work);
    },
    get loaded() {
      let n = 0;
      // Rooms still unloading are still in memory.
      for (const entry of entries.values()) if (entry.room) n++;
      return n;
    },
    isLoaded(name) {
      const entry = entries.get(name);
      return entry?.room !== undefined && !entry.leaving;
    },
  };
  return manager;
};
