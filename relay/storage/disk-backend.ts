// The embedded backend: the storage seams over today's crash-safe files (disk-store.ts), for one relay process.
import { randomUUID } from 'node:crypto';
import { isValidRoomName } from '../../shared/protocol.js';
import { createDiskStore, type DiskStore, type PersistObserver } from '../disk-store.js';
import {
  LOG_START,
  LogGapError,
  comparePositions,
  type BusListener,
  type BusMessage,
  type CompactionLease,
  type EphemeralBus,
  type LogEntry,
  type LogFollow,
  type LogListener,
  type LogPosition,
  type RoomLog,
  type SnapshotStore,
  type StorageBackend,
} from './seams.js';

/*
 * Positions on disk are `0-<n>`: n counts the room's records since this process first opened it. The files
 * do not store positions (the format predates them), so after a restart a snapshot reports `LOG_START`
 * and the whole log follows it. That is safe because disk entries are Yjs updates and a snapshot never
 * loses anything the log holds: the log is trimmed only after the snapshot is durable, and replaying
 * updates a snapshot already contains is a no-op in Yjs.
 */

/** Per-room numbering: `base` records were trimmed, the last record is `head`. */
interface Numbering {
  base: number;
  head: number;
}

const positionOf = (n: number): LogPosition => `0-${n}`;
const numberOf = (position: LogPosition): number => Number(position.slice(position.indexOf('-') + 1));

const checkRoom = (room: string): void => {
  if (!isValidRoomName(room)) throw new Error('invalid room name');
};

/** Creates the disk backend under `dataDir/rooms` (see disk-store.ts for the file format). */
export const createDiskBackend = (dataDir: string, observe?: PersistObserver): StorageBackend & { store: DiskStore } => {
  const store = createDiskStore(dataDir, observe);
  const numbering = new Map<string, Promise<Numbering>>();
  /** Numberings already read, for appends that need not wait (see `append`). */
  const known = new Map<string, Numbering>();
  /** Appends of a room waiting for its numbering: later ones wait too, so that all keep their call order. */
  const waiting = new Map<string, number>();
  const followers = new Map<string, Set<(entry: LogEntry) => void>>();

  /** The room's numbering, read from its files on first use. */
  const numberingOf = (room: string): Promise<Numbering> => {
    let found = numbering.get(room);
    if (!found) {
      const read = store.loadParts(room).then((parts) => ({ base: 0, head: parts.records.length }));
      found = read;
      read.then(
        (counter) => {
          if (numbering.get(room) === read) known.set(room, counter);
        },
        () => {
          if (numbering.get(room) === read) numbering.delete(room);
        },
      );
      numbering.set(room, read);
    }
    return found;
  };

  /** Forgets a room's numbering (deleted or unloaded): the next use reads it from the files again. */
  const forget = (room: string): void => {
    numbering.delete(room);
    known.delete(room);
  };

  /** Waits for the room's numbering, counted in `waiting` meanwhile. */
  const numberingForAppend = async (room: string): Promise<Numbering> => {
    waiting.set(room, (waiting.get(room) ?? 0) + 1);
    try {
      return await numberingOf(room);
    } finally {
      const left = (waiting.get(room) ?? 1) - 1;
      if (left <= 0) waiting.delete(room);
      else waiting.set(room, left);
    }
  };

  const log: RoomLog = {
    async append(room, data) {
      checkRoom(room);
      // Queued in the store in the same turn as the call when the numbering is known, so that a read of the
      // room's files asked for after this call (loadParts waits for what is queued) sees this record.
      const ready = waiting.has(room) ? undefined : known.get(room);
      const counter = ready ?? (await numberingForAppend(room));
      // Taken synchronously after the await, in call order, as the store's queue is.
      const n = ++counter.head;
      const write = store.append(room, data);
      await write;
      const entry = { position: positionOf(n), data };
      for (const deliver of followers.get(room) ?? []) deliver(entry);
      return entry.position;
    },
    async read(room, after) {
      checkRoom(room);
      const counter = await numberingOf(room);
      const parts = await store.loadParts(room);
      const from = numberOf(after);
      const entries: LogEntry[] = [];
      parts.records.forEach((data, i) => {
        const n = counter.base + i + 1;
        if (n > from) entries.push({ position: positionOf(n), data });
      });
      return entries;
    },
    follow(room, after, listener: LogListener, onError = () => {}): LogFollow {
      checkRoom(room);
      let stopped = false;
      let last = after;
      let catchingUp = true;
      const buffered: LogEntry[] = [];
      const deliver = (entries: LogEntry[]) => {
        const fresh = entries.filter((e) => comparePositions(e.position, last) > 0);
        if (fresh.length === 0 || stopped) return;
        last = fresh[fresh.length - 1]!.position;
        listener(fresh);
      };
      const live = (entry: LogEntry) => {
        if (catchingUp) buffered.push(entry);
        else deliver([entry]);
      };
      let set = followers.get(room);
      if (!set) followers.set(room, (set = new Set()));
      set.add(live);
      void numberingOf(room)
        .then((counter) => {
          if (numberOf(after) < counter.base) throw new LogGapError(`entries of room ${room} after ${after} were trimmed`);
          return log.read(room, after);
        })
        .then(
        (entries) => {
          deliver(entries);
          catchingUp = false;
          deliver(buffered.splice(0));
        },
        (error: unknown) => {
          if (error instanceof LogGapError) {
            stopped = true;
            onError(error);
            return;
          }
          catchingUp = false;
          deliver(buffered.splice(0));
        },
      );
      return {
        stop() {
          stopped = true;
          set.delete(live);
          if (set.size === 0 && followers.get(room) === set) followers.delete(room);
        },
      };
    },
    async trim(room, upTo) {
      checkRoom(room);
      const counter = await numberingOf(room);
      const to = Math.min(numberOf(upTo), counter.head);
      if (to <= counter.base) return;
      const count = to - counter.base;
      counter.base = to;
      // Every record appended so far (the store's queue runs in call order): truncated without reading the log.
      await store.dropRecords(room, to === counter.head ? Number.POSITIVE_INFINITY : count);
    },
    async drop(room) {
      checkRoom(room);
      forget(room);
      await store.delete(room);
    },
    release: (room) => {
      // Forget the room's numbering with the room (else one entry per room ever loaded stays for the process's
      // life): the next load numbers its records afresh from the files, as after a restart (see above).
      forget(room);
      return store.release(room);
    },
    healthy: () => true,
    async close() {
      await store.close();
    },
  };

  const snapshots: SnapshotStore = {
    async store(room, state) {
      checkRoom(room);
      await store.snapshot(room, state);
    },
    async load(room) {
      checkRoom(room);
      const parts = await store.loadParts(room);
      if (parts.snapshot === undefined) return undefined;
      const counter = await numberingOf(room);
      return { state: parts.snapshot, position: counter.base === 0 ? LOG_START : positionOf(counter.base) };
    },
    async delete(room) {
      checkRoom(room);
      forget(room);
      await store.delete(room);
    },
    healthy: () => true,
    async close() {},
  };

  return {
    kind: 'disk',
    instanceId: randomUUID(),
    store,
    log,
    snapshots,
    bus: createLocalBus(),
    lease: createLocalLease(),
    healthy: () => true,
    async close() {
      await store.close();
    },
  };
};

/** The single-process bus: delivers to this process's subscribers, on a later microtask. */
export const createLocalBus = (): EphemeralBus => {
  const rooms = new Map<string, Set<BusListener>>();
  const heartbeats = new Set<BusListener>();
  const subscribeTo = (set: Set<BusListener>, listener: BusListener) => {
    set.add(listener);
    return () => void set.delete(listener);
  };
  return {
    publish(message: BusMessage) {
      const targets = message.kind === 'heartbeat' ? heartbeats : rooms.get(message.room);
      if (!targets) return;
      for (const listener of [...targets]) queueMicrotask(() => listener(message));
    },
    subscribe(room, listener) {
      let set = rooms.get(room);
      if (!set) rooms.set(room, (set = new Set()));
      return subscribeTo(set, listener);
    },
    subscribeHeartbeats(listener) {
      return subscribeTo(heartbeats, listener);
    },
    async close() {
      rooms.clear();
      heartbeats.clear();
    },
  };
};

/** The single-process lease: one holder per room, expiring after its ttl. */
export const createLocalLease = (): CompactionLease => {
  const held = new Map<string, { token: symbol; until: number }>();
  return {
    async acquire(room, ttlMs) {
      const now = Date.now();
      const current = held.get(room);
      if (current && current.until > now) return undefined;
      const token = Symbol(room);
      held.set(room, { token, until: now + ttlMs });
      return {
        async release() {
          if (held.get(room)?.token === token) held.delete(room);
        },
      };
    },
  };
};
