// The storage seams: a room log with positions, a snapshot store that says what it covers, an ephemeral bus, a compaction lease.
/*
 * How a room is stored, in the manner of yjs/yhub (docs/cluster.md has the diagram):
 *
 *   room log        append(entry) → position      every accepted write, in the one order every instance applies
 *                   read(after)   → entries        what came after a position (a load, or catching up)
 *                   follow(after, listener)        new entries as they are appended, in order, with no gap
 *                   trim(upTo)                     drop entries a committed snapshot covers
 *   snapshot store  store(state, position)         a full document state and the log position it covers
 *                   load() → { state, position }   the latest one
 *   ephemeral bus   publish / subscribe            awareness, heartbeats and control messages (room deleted,
 *                                                  member removed, re-check access); may lose messages
 *   lease           acquire(room) → release        exactly one instance compacts a room at a time
 *
 * A room is loaded as `latest snapshot + log.read(after its position)` and then followed from the last
 * position read, so no entry falls between the load and the follow. Compaction stores a snapshot at the
 * position the document has reached and trims the log only after that snapshot is committed; a trim
 * never removes an entry a committed snapshot does not cover, so a load that finds the latest snapshot
 * and reads the log after it sees every entry (a loader re-checks the latest snapshot after reading the
 * log, in case a trim raced with it: see `loadRoomState`).
 *
 * Two implementations: disk (disk-backend.ts: one process; today's crash-safe files) and cluster
 * (redis-log.ts, postgres-snapshots.ts, redis-bus.ts: a Redis Stream per room, snapshots in PostgreSQL,
 * Redis pub/sub). Entries are opaque bytes to the seams; the relay decides what they hold.
 * test/relay/storage-contract.test.ts runs one suite against both.
 */

/**
 * A place in a room's log. Always `<ms>-<seq>` (a Redis Stream id; the disk log uses `0-<n>`), ordered by
 * `comparePositions`; `LOG_START` is before every entry.
 */
export type LogPosition = string;

/** The position before the first entry of any log. */
export const LOG_START: LogPosition = '0-0';

const POSITION = /^(\d{1,20})-(\d{1,20})$/;

/** Whether `text` is a well-formed position (it may come from storage: never trust it blindly). */
export const isPosition = (text: string): boolean => POSITION.test(text);

/** Orders two positions: negative if `a` is before `b`, 0 if equal, positive if after. */
export const comparePositions = (a: LogPosition, b: LogPosition): number => {
  const [, am = '0', as = '0'] = POSITION.exec(a) ?? [];
  const [, bm = '0', bs = '0'] = POSITION.exec(b) ?? [];
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
};

/** The position just before `position` (for trimming everything older than an entry but not the entry). */
export const positionBefore = (position: LogPosition): LogPosition => {
  const [, ms = '0', seq = '0'] = POSITION.exec(position) ?? [];
  if (BigInt(seq) > 0n) return `${ms}-${BigInt(seq) - 1n}`;
  if (BigInt(ms) > 0n) return `${BigInt(ms) - 1n}-18446744073709551615`;
  return LOG_START;
};

/** One entry of a room log. */
export interface LogEntry {
  position: LogPosition;
  data: Uint8Array;
}

/** Receives a room's new entries in log order. Called again only after the previous call returned. */
export type LogListener = (entries: LogEntry[]) => void;

/** A running follow; `stop` ends it (no call to the listener after it returns). */
export interface LogFollow {
  stop(): void;
}

/**
 * The room log. Every method may be called for any valid room name; implementations never derive a path
 * or key from an unchecked name and reject an invalid one.
 */
export interface RoomLog {
  /** Appends one entry; resolves with its position once it is durable (fsync'd). Appends from one caller keep their call order. */
  append(room: string, data: Uint8Array): Promise<LogPosition>;
  /** Entries after `after`, in order (all of them: implementations page internally). */
  read(room: string, after: LogPosition): Promise<LogEntry[]>;
  /**
   * Delivers entries after `after` as they are appended (by anyone), in order. `onError` hears lost
   * connections (the follow retries by itself) and `gap` (entries after `after` were trimmed before they
   * could be read: the caller must reload from the latest snapshot).
   */
  follow(room: string, after: LogPosition, listener: LogListener, onError?: (error: Error) => void): LogFollow;
  /** Removes entries at or before `upTo` (an implementation may keep some for a while). */
  trim(room: string, upTo: LogPosition): Promise<void>;
  /** Removes the room's log entirely (after its deletion is recorded elsewhere). */
  drop(room: string): Promise<void>;
  /** Frees what is held for a room this instance stopped serving (open files); its data stays. */
  release(room: string): Promise<void>;
  /** Whether the log can currently make appends durable (for readiness). */
  healthy(): boolean;
  close(): Promise<void>;
}

/** Raised by `follow` when entries the follower had not read were trimmed: reload from the latest snapshot. */
export class LogGapError extends Error {
  override name = 'LogGapError';
}

import type { BlobStore } from '../blobs/blob-store.js';

/** A stored full document state and the log position it covers. */
export interface Snapshot {
  state: Uint8Array;
  position: LogPosition;
}

/** Stores and loads snapshots. */
export interface SnapshotStore {
  /** Commits `state` as covering the log up to and including `position`; resolves once durable. */
  store(room: string, state: Uint8Array, position: LogPosition): Promise<void>;
  /**
   * The latest snapshot, or undefined for none. Rejects if stored data cannot be read, so that a broken
   * room is never served as an empty one.
   */
  load(room: string): Promise<Snapshot | undefined>;
  /** Removes every snapshot of the room. */
  delete(room: string): Promise<void>;
  healthy(): boolean;
  close(): Promise<void>;
}

/** What travels on the ephemeral bus. `from` is the sending instance's id. */
export type BusMessage =
  | { kind: 'awareness'; from: string; room: string; payload: Uint8Array }
  | { kind: 'heartbeat'; from: string }
  | { kind: 'room-deleted'; from: string; room: string }
  | { kind: 'member-removed'; from: string; room: string; user: string }
  | { kind: 'recheck-access'; from: string; room: string }
  /** Asks the room's other instances to publish their local awareness states (a room just loaded here). */
  | { kind: 'awareness-query'; from: string; room: string };

/** Receives bus messages (including this instance's own: filter on `from`). */
export type BusListener = (message: BusMessage) => void;

/**
 * Best-effort messages between instances. Nothing on it may be needed for correctness of documents:
 * what must not be lost (updates, deletions) goes through the room log.
 */
export interface EphemeralBus {
  /** Sends to every instance subscribed to the message's room (heartbeats: to every instance). */
  publish(message: BusMessage): void;
  /** Subscribes to a room's messages; returns the unsubscribe function. */
  subscribe(room: string, listener: BusListener): () => void;
  /** Subscribes to heartbeats of all instances. */
  subscribeHeartbeats(listener: BusListener): () => void;
  close(): Promise<void>;
}

/** A held lease; `release` gives it up (harmless if it already expired). */
export interface Lease {
  release(): Promise<void>;
}

/** Grants each room's compaction to one instance at a time. */
export interface CompactionLease {
  /** The lease for `room`, or undefined if another instance holds it. Expires by itself after `ttlMs`. */
  acquire(room: string, ttlMs: number): Promise<Lease | undefined>;
}

/** Everything one storage backend provides. */
export interface StorageBackend {
  /** `disk`: one process on local files; `cluster`: several relays over Redis and PostgreSQL. */
  readonly kind: 'disk' | 'cluster';
  /** This relay instance's id (random per start). */
  readonly instanceId: string;
  readonly log: RoomLog;
  readonly snapshots: SnapshotStore;
  readonly bus: EphemeralBus;
  readonly lease: CompactionLease;
  /** Cluster mode: the shared blob store (PostgreSQL) for attachments; the disk backend leaves blobs to the relay's data directory. */
  readonly blobStore?: BlobStore;
  /** Whether writes can currently be made durable (Redis and PostgreSQL reachable). */
  healthy(): boolean;
  close(): Promise<void>;
}

/** A room's state as loaded: the latest snapshot (if any) and the log entries after it. */
export interface LoadedState {
  snapshot: Snapshot | undefined;
  entries: LogEntry[];
  /** The position of the last entry read (or the snapshot's): follow from here. */
  position: LogPosition;
}

/**
 * Loads a room without a gap: snapshot, then the log after it, then the latest snapshot again. If a newer
 * snapshot was committed meanwhile, a compactor may have trimmed entries the read missed, so it starts over.
 */
export const loadRoomState = async (log: RoomLog, snapshots: SnapshotStore, room: string): Promise<LoadedState> => {
  for (let attempt = 0; attempt < 10; attempt++) {
    const snapshot = await snapshots.load(room);
    const after = snapshot?.position ?? LOG_START;
    const entries = await log.read(room, after);
    const again = await snapshots.load(room);
    if ((again?.position ?? LOG_START) === after) {
      const last = entries[entries.length - 1];
      return { snapshot, entries, position: last?.position ?? after };
    }
  }
  throw new Error(`room ${room} was compacted during every one of 10 load attempts`);
};
