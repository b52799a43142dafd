// Cluster mode for one loaded room: appends its writes to the shared log, applies the log in order, compacts under a lease, shares awareness.
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as decoding from 'lib0/decoding';
import type { Logger } from 'pino';
import type { Role } from '../../shared/protocol.js';
import { BadEntryError, decodeRoomEntry, encodeRoomEntry, type RoomEntry } from './room-entry.js';
import type { InstanceTracker } from './instance-tracker.js';
import { attachBlobIndex, decodeClusterSnapshot, encodeClusterSnapshot, type BlobIndex } from './room-blob-index.js';
import { LogGapError, loadRoomState, positionBefore, type BusMessage, type LogEntry, type LogFollow, type LogPosition, type StorageBackend } from './seams.js';

/*
 * The accept path in cluster mode (docs/cluster.md):
 *
 *   peer ──update──▶ submit: append {instance, seq, user, role, update} to the room's log (durable)
 *   log  ──follow──▶ every instance, in log order: write check as of the log → bind → apply → broadcast
 *                    the instance that appended it also acks its sender (or closes it with the refusal)
 *
 * Because every instance applies the same entries in the same order to the same starting state, and the
 * write check is a function of the document and the entry only, every instance accepts and refuses the
 * same updates: a forgery is refused wherever it arrives, and one client id claimed by two users on two
 * instances at once is bound to whoever's entry comes first, the other's refused everywhere. Client-id
 * bindings are written by every instance under one shared relay client id (`CLUSTER_RELAY_CLIENT`), so
 * they come out byte for byte the same everywhere; they are derived from the log, never appended to it.
 */

/** The Yjs client id under which every instance writes client bindings (deterministic, see above). */
export const CLUSTER_RELAY_CLIENT = 0x50524c59;

/** Transaction origin of awareness updates that came from other instances (not republished). */
export const REMOTE_ORIGIN = Symbol('remote-instance');

export type UpdateEntry = Extract<RoomEntry, { kind: 'update' }>;
/** A blob announcement or removal (room-blob-index.ts). */
export type BlobEntry = Extract<RoomEntry, { kind: 'blob' | 'blob-gone' }>;

/** What a replica needs from its room. */
export interface ReplicaHost {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  /**
   * Runs the write check on `entry` against the document as it stands in the log, then binds, applies and
   * broadcasts it (not back to `sender`, the local peer that wrote it, if any). Throws the refusal.
   */
  applyEntry(entry: UpdateEntry, sender: unknown): void;
  /** The outcome of this instance's append `seq`: `error` undefined = applied (durable), else refused or not durable. */
  settled(seq: number, sender: unknown, error: unknown): void;
  /** A tombstone was read: the room was deleted (close its peers with 4404). */
  deleted(): void;
  /** The room can no longer follow its log (entries were trimmed unread): close its peers so they reload. */
  lost(error: Error): void;
  /** A member was removed (through any instance): close that user's connections. */
  memberRemoved(user: string): void;
}

/** Raised to a sender whose write could not be made durable (Redis unreachable): it retries after a resync. */
export class NotDurableError extends Error {
  override name = 'NotDurableError';
}

export interface ReplicaDeps {
  backend: StorageBackend;
  tracker: InstanceTracker;
  log: Logger;
  /** Compact once this many bytes of log entries follow the latest snapshot. */
  compactLogBytes: number;
}

/** A room's state read from the log, ready to replay into a fresh document. */
export interface ReplicaState {
  snapshot: Uint8Array | undefined;
  /** The room's blob index as of the snapshot (room-blob-index.ts); the entries' announcements follow. */
  blobs: BlobIndex;
  entries: Array<UpdateEntry | BlobEntry>;
  /** Follow from here. */
  position: LogPosition;
  /** Bytes of log entries after the snapshot. */
  bytes: number;
}

/** Reads a room: the latest snapshot and the log after it, starting afresh after the last tombstone. */
export const loadReplicaState = async (backend: StorageBackend, room: string, log?: Logger): Promise<ReplicaState> => {
  const state = await loadRoomState(backend.log, backend.snapshots, room);
  const decoded = state.snapshot ? decodeClusterSnapshot(state.snapshot.state) : undefined;
  let snapshot = decoded?.state;
  let blobs: BlobIndex = decoded?.index ?? new Map();
  let entries: Array<UpdateEntry | BlobEntry> = [];
  let bytes = 0;
  for (const raw of state.entries) {
    bytes += raw.data.byteLength;
    let entry: RoomEntry;
    try {
      entry = decodeRoomEntry(raw.data);
    } catch (error) {
      log?.warn({ err: error, room, position: raw.position }, 'skipping a log entry the relay cannot read');
      continue;
    }
    if (entry.kind === 'tombstone') {
      snapshot = undefined;
      blobs = new Map();
      entries = [];
      continue;
    }
    entries.push(entry);
  }
  return { snapshot, blobs, entries, position: state.position, bytes };
};

/**
 * Replays a loaded state into the host's fresh document: the snapshot, then (under the shared relay client
 * id) each entry through the write check, skipping the ones every instance refused too.
 */
export const replayInto = (host: ReplicaHost, state: ReplicaState): void => {
  if (state.snapshot) Y.applyUpdate(host.doc, state.snapshot);
  // Set only now: Yjs would pick a new client id if it saw structs of its own id arrive from outside.
  host.doc.clientID = CLUSTER_RELAY_CLIENT;
  // The guard finds the index through the document; announcements are applied in log order with the updates.
  attachBlobIndex(host.doc, state.blobs);
  for (const entry of state.entries) {
    if (applyBlobEntry(state.blobs, entry)) continue;
    try {
      host.applyEntry(entry, undefined);
    } catch {
      // Refused when it was first applied, too: every instance skips it.
    }
  }
};

/** Applies a blob announcement or removal to the index; false for any other entry. */
const applyBlobEntry = (index: BlobIndex, entry: RoomEntry): entry is BlobEntry => {
  if (entry.kind === 'blob') index.set(entry.id, { size: entry.size, type: entry.type });
  else if (entry.kind === 'blob-gone') index.delete(entry.id);
  else return false;
  return true;
};

/** Announces in the room's log that a blob was stored for it (after the bytes are committed) or removed; resolves once durable. */
export const announceBlob = async (backend: StorageBackend, room: string, change: { stored: { id: string; size: number; type: string } } | { removed: string }): Promise<void> => {
  const entry: RoomEntry = 'stored' in change
    ? { kind: 'blob', instance: backend.instanceId, ...change.stored }
    : { kind: 'blob-gone', instance: backend.instanceId, id: change.removed };
  await backend.log.append(room, encodeRoomEntry(entry));
};

/** Appends a tombstone (the deletion, in log order), then removes the room's snapshots and older entries. */
export const deleteReplicatedRoom = async (backend: StorageBackend, room: string, log?: Logger): Promise<void> => {
  const position = await backend.log.append(room, encodeRoomEntry({ kind: 'tombstone', instance: backend.instanceId }));
  backend.bus.publish({ kind: 'room-deleted', from: backend.instanceId, room });
  try {
    await backend.snapshots.delete(room);
    await backend.log.trim(room, positionBefore(position));
  } catch (error) {
    // The tombstone alone makes the deletion effective; the next compaction removes what is left.
    log?.warn({ err: error, room }, 'deleted room: cleaning up its snapshots failed; the next compaction will');
  }
};

/** The decoded (clientID, state === null) pairs of an awareness update. */
const awarenessClients = (payload: Uint8Array): Array<{ clientID: number; removed: boolean }> => {
  const d = decoding.createDecoder(payload);
  const count = decoding.readVarUint(d);
  const out = [];
  for (let i = 0; i < count; i++) {
    const clientID = decoding.readVarUint(d);
    decoding.readVarUint(d);
    out.push({ clientID, removed: decoding.readVarString(d) === 'null' });
  }
  return out;
};

const LEASE_MS = 30_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/** Keeps one loaded room in step with its shared log. Create after `replayInto`, then `start`. */
export class RoomReplica {
  private readonly host: ReplicaHost;
  private readonly deps: ReplicaDeps;
  private seq = 0;
  /** This instance's appends not yet read back from the log: seq → sender. */
  private readonly pending = new Map<number, unknown>();
  private position: LogPosition;
  private bytesSinceSnapshot: number;
  /** The room's blob index, kept in step with `position` (room-blob-index.ts). */
  private readonly blobs: BlobIndex;
  private follow: LogFollow | undefined;
  private unsubscribe: Array<() => void> = [];
  /** Awareness client ids published through other instances, by instance. */
  private readonly remote = new Map<string, Set<number>>();
  private compacting: Promise<void> | undefined;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(host: ReplicaHost, deps: ReplicaDeps, state: ReplicaState) {
    this.host = host;
    this.deps = deps;
    this.position = state.position;
    this.bytesSinceSnapshot = state.bytes;
    this.blobs = state.blobs;
  }

  private get instanceId(): string {
    return this.deps.backend.instanceId;
  }

  /** Follows the log from the loaded position and joins the room's bus channel. */
  start(): void {
    const { backend, tracker } = this.deps;
    const name = this.host.name;
    this.follow = backend.log.follow(name, this.position, (entries) => this.onEntries(entries), (error) => {
      if (error instanceof LogGapError) {
        this.host.lost(error);
        return;
      }
      this.deps.log.debug({ err: error, room: name }, 'following the room log failed; retrying');
    });
    this.unsubscribe.push(backend.bus.subscribe(name, (message) => this.onBus(message)));
    this.unsubscribe.push(tracker.onGone((instance) => this.dropInstance(instance)));
    backend.bus.publish({ kind: 'awareness-query', from: this.instanceId, room: name });
  }

  /** Appends a peer's update; its outcome comes through `host.settled`. Returns its sequence number. */
  submit(update: Uint8Array, user: { id: string; name: string }, role: Role | undefined, sender: unknown): number {
    const seq = ++this.seq;
    this.pending.set(seq, sender);
    const data = encodeRoomEntry({ kind: 'update', instance: this.instanceId, seq, userId: user.id, userName: user.name, role, update });
    this.deps.backend.log.append(this.host.name, data).catch((error: unknown) => {
      // If it was read back already it is in the log after all; otherwise its sender must resend.
      if (!this.pending.delete(seq)) return;
      this.deps.log.warn({ err: error, room: this.host.name }, 'appending to the room log failed');
      this.host.settled(seq, sender, new NotDurableError('the update could not be made durable'));
    });
    return seq;
  }

  /** The latest sequence number handed out. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Shares a local awareness change with the other instances. */
  publishAwareness(payload: Uint8Array): void {
    this.deps.backend.bus.publish({ kind: 'awareness', from: this.instanceId, room: this.host.name, payload });
  }

  /** Whether `clientID`'s awareness state came from another instance. */
  isRemoteClient(clientID: number): boolean {
    for (const ids of this.remote.values()) if (ids.has(clientID)) return true;
    return false;
  }

  /** Compacts if enough log follows the latest snapshot (or anything, with `force`). Never throws. */
  compactIfNeeded(force = false): Promise<void> {
    if (this.compacting) return this.compacting;
    if (this.bytesSinceSnapshot === 0 || (!force && this.bytesSinceSnapshot < this.deps.compactLogBytes)) return Promise.resolve();
    this.compacting = this.compact().finally(() => (this.compacting = undefined));
    return this.compacting;
  }

  /** Stops following and leaves the bus; then a last compaction if anything is uncompacted. */
  async stop(compact: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.follow?.stop();
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.unsubscribe = [];
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (compact) {
      await this.compacting;
      await this.compact();
    }
  }

  private onEntries(entries: LogEntry[]): void {
    for (const raw of entries) {
      if (this.stopped) return;
      this.position = raw.position;
      this.bytesSinceSnapshot += raw.data.byteLength;
      let entry: RoomEntry;
      try {
        entry = decodeRoomEntry(raw.data);
      } catch (error) {
        if (!(error instanceof BadEntryError)) throw error;
        this.deps.log.warn({ err: error, room: this.host.name, position: raw.position }, 'skipping a log entry the relay cannot read');
        continue;
      }
      if (entry.kind === 'tombstone') {
        this.host.deleted();
        return;
      }
      if (applyBlobEntry(this.blobs, entry)) continue;
      const own = entry.instance === this.instanceId;
      const sender = own ? this.pending.get(entry.seq) : undefined;
      if (own) this.pending.delete(entry.seq);
      let refusal: unknown;
      try {
        this.host.applyEntry(entry, sender);
      } catch (error) {
        refusal = error ?? new Error('refused');
      }
      if (own) this.host.settled(entry.seq, sender, refusal);
    }
    if (this.bytesSinceSnapshot >= this.deps.compactLogBytes) void this.compactIfNeeded();
  }

  private onBus(message: BusMessage): void {
    if (message.from === this.instanceId || this.stopped) return;
    this.deps.tracker.seen(message.from);
    switch (message.kind) {
      case 'awareness': {
        let clients;
        try {
          clients = awarenessClients(message.payload);
        } catch {
          return;
        }
        let ids = this.remote.get(message.from);
        if (!ids) this.remote.set(message.from, (ids = new Set()));
        for (const { clientID, removed } of clients) {
          if (removed) ids.delete(clientID);
          else ids.add(clientID);
        }
        awarenessProtocol.applyAwarenessUpdate(this.host.awareness, message.payload, REMOTE_ORIGIN);
        return;
      }
      case 'awareness-query': {
        const local = [...this.host.awareness.getStates().keys()].filter((id) => !this.isRemoteClient(id) && id !== this.host.doc.clientID);
        if (local.length > 0) this.publishAwareness(awarenessProtocol.encodeAwarenessUpdate(this.host.awareness, local));
        return;
      }
      case 'member-removed':
        this.host.memberRemoved(message.user);
        return;
      default:
        // room-deleted is a courtesy: the tombstone in the log is what deletes the room everywhere.
        return;
    }
  }

  private dropInstance(instance: string): void {
    const ids = this.remote.get(instance);
    this.remote.delete(instance);
    if (ids && ids.size > 0) awarenessProtocol.removeAwarenessStates(this.host.awareness, [...ids], REMOTE_ORIGIN);
  }

  /** Snapshot at the applied position under the lease, then trim; retried with backoff while storage is down. */
  private async compact(): Promise<void> {
    if (this.bytesSinceSnapshot === 0) return;
    const { backend, log } = this.deps;
    const name = this.host.name;
    // Taken at once, together: the room may be destroyed while the lease is sought or the snapshot stored.
    const position = this.position;
    const counted = this.bytesSinceSnapshot;
    const state = encodeClusterSnapshot(Y.encodeStateAsUpdate(this.host.doc), this.blobs);
    let lease;
    try {
      lease = await backend.lease.acquire(name, LEASE_MS);
    } catch (error) {
      this.scheduleRetry(error);
      return;
    }
    if (!lease) {
      // Another instance is compacting this room right now; its snapshot covers what we counted.
      this.bytesSinceSnapshot = 0;
      return;
    }
    try {
      await backend.snapshots.store(name, state, position);
      this.bytesSinceSnapshot = Math.max(0, this.bytesSinceSnapshot - counted);
      await backend.log.trim(name, position);
      this.failures = 0;
      log.debug({ room: name, position, bytes: state.byteLength }, 'room compacted');
    } catch (error) {
      this.scheduleRetry(error);
    } finally {
      await lease.release();
    }
  }

  private scheduleRetry(error: unknown): void {
    this.failures++;
    this.deps.log.warn({ err: error, room: this.host.name, failures: this.failures }, 'compaction failed; serving continues, retrying');
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.compactIfNeeded(true);
    }, delay);
    this.retryTimer.unref();
  }
}
