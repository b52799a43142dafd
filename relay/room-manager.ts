// Loads rooms on first use, shares them between connections, unloads idle ones and deletes rooms.
import type { Logger } from 'pino';
import { CloseEvents, type CloseEvent } from '../shared/close-codes.js';
import { Room } from './room.js';
import type { Metrics } from './metrics.js';
import type { ClientIdBudget } from './client-id-budget.js';
import type { CheckUpdate } from './write-check.js';
import { loadRoomState, type StorageBackend } from './storage/seams.js';
import type { InstanceTracker } from './storage/instance-tracker.js';
import { RoomReplica, deleteReplicatedRoom, loadReplicaState } from './storage/room-replica.js';

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
  backend: StorageBackend;
  /** Cluster mode: heartbeats of the other instances (their awareness states go when they do). */
  tracker: InstanceTracker | undefined;
  /** The write check (cluster mode runs it again on every log entry, in log order). */
  check: CheckUpdate;
  metrics: Metrics;
  log: Logger;
  compactLogBytes: number;
  idleUnloadMs: number;
  /** The relay's budget of new client ids (client-id-budget.ts). */
  clientIds: ClientIdBudget;
  /**
   * Runs on each freshly loaded room before anyone gets it (disk mode: applies an account document's pending
   * conversation listings, membership/listing-apply.ts). Must not throw.
   */
  prepare?: (room: Room) => Promise<void> | undefined;
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
  /** Whether `name` is loaded or loading, and not unloading: an `acquire` now gets it without another load. */
  isPresent(name: string): boolean;
}

/**
 * Smallest log an idle unload compacts. A snapshot costs a temp file, two fsyncs, a rename, a directory fsync and
 * a truncation; replaying a few KiB of fsync'd records on the next load costs less than that, and most unloads
 * are of rooms written a little since they loaded (every user's first connection lists its rooms in the user's
 * account document, which then unloads). The log stays durable either way; it is compacted once it grows.
 */
export const UNLOAD_COMPACT_LOG_BYTES = 8 * 1024;

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
    void deps.backend.log.release(room.name).catch(() => {});
  };

  /** Cluster mode: the room was deleted through some instance (a tombstone in its log), or cannot follow its log. */
  const drop = (room: Room, event: CloseEvent) => {
    // A room already unloading or deleted here is closed by that.
    if (room.closing) return;
    const entry = entries.get(room.name);
    if (entry?.room === room && !entry.leaving) evict(room.name, entry);
    room.closing = true;
    room.destroy(event);
  };
  const onDeleted = (room: Room) => drop(room, CloseEvents.roomDeleted);
  const onLost = (room: Room, error: Error) => {
    deps.log.warn({ err: error, room: room.name }, 'room fell behind its log; closing it so that clients reload it');
    drop(room, CloseEvents.roomUnloaded);
  };

  /** Reads a room from the backend: disk = snapshot + log updates; cluster = snapshot + log entries, replayed through the check. */
  const create = async (name: string): Promise<Room> => {
    const { backend } = deps;
    const roomDeps = {
      name,
      backend,
      check: deps.check,
      metrics: deps.metrics,
      log: deps.log,
      compactLogBytes: deps.compactLogBytes,
      clientIds: deps.clientIds,
      onFailure,
      onDeleted,
      onLost,
    };
    if (backend.kind === 'cluster' && deps.tracker) {
      const state = await loadReplicaState(backend, name, deps.log);
      const room = new Room(roomDeps, { updates: [], logBytes: 0 });
      room.replay(state);
      room.replica = new RoomReplica(room, { backend, tracker: deps.tracker, log: deps.log, compactLogBytes: deps.compactLogBytes }, state);
      room.replica.start();
      return room;
    }
    const state = await loadRoomState(backend.log, backend.snapshots, name);
    const updates = state.entries.map((entry) => entry.data);
    if (state.snapshot) updates.unshift(state.snapshot.state);
    const logBytes = state.entries.reduce((sum, entry) => sum + entry.data.byteLength + 8, 0);
    return new Room(roomDeps, { updates, logBytes, position: state.position });
  };

  /** Removes a room from storage: in cluster mode a tombstone in its log, which every instance reads. */
  const remove = async (name: string): Promise<void> => {
    if (deps.backend.kind === 'cluster') return deleteReplicatedRoom(deps.backend, name, deps.log);
    await deps.backend.log.drop(name);
    await deps.backend.snapshots.delete(name);
  };

  const load = (name: string): Entry => {
    const entry: Entry = { ready: undefined as never, room: undefined, refs: 0, idleTimer: undefined, leaving: undefined };
    entry.ready = (async () => {
      const started = performance.now();
      const room = await create(name);
      const prepared = deps.prepare?.(room);
      if (prepared) await prepared;
      deps.log.debug({ room: name, ms: Math.round(performance.now() - started) }, 'room loaded');
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

  /**
   * Flushes, compacts and frees a room. An idle unload compacts only a log of at least UNLOAD_COMPACT_LOG_BYTES
   * (see there); shutdown compacts every non-empty log.
   */
  const unload = async (name: string, entry: Entry, event: CloseEvent): Promise<void> => {
    const room = entry.room;
    if (!room) return;
    room.closing = true;
    try {
      await room.flush();
      await room.compactIfNeeded(event === CloseEvents.roomUnloaded ? Math.min(UNLOAD_COMPACT_LOG_BYTES, deps.compactLogBytes) : 1);
    } catch (error) {
      deps.log.error({ err: error, room: name }, 'flushing the room failed while unloading');
    }
    room.destroy(event);
    await deps.backend.log.release(name).catch(() => {});
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
            await remove(name);
          })().finally(() => evict(name, entry));
          return entry.leaving;
        }
        return remove(name);
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
    isPresent(name) {
      const entry = entries.get(name);
      return entry !== undefined && !entry.leaving;
    },
  };
  return manager;
};
