// A loaded room: its document, awareness and connected peers; applies, persists and fans out changes and sends durable acks.
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import { CloseEvents, closeReason, type CloseEvent } from '../shared/close-codes.js';
import { bindClients } from './client-identity.js';
import { isEmptyDecoded } from './update-structure.js';
import { refusalCloseOf, ruleOf, type CheckUpdate } from './write-check.js';
import type { UpdateSender } from './accept-update.js';
import { LOG_START, type LogPosition, type StorageBackend } from './storage/seams.js';
import { NotDurableError, REMOTE_ORIGIN, replayInto, type ReplicaHost, type ReplicaState, type RoomReplica, type UpdateEntry } from './storage/room-replica.js';
import {
  SyncStep,
  encodeAwarenessEntries,
  encodeAwarenessMessage,
  encodeDurableAck,
  encodeSyncStep1,
  encodeSyncUpdate,
  type AwarenessEntry,
} from './protocol-messages.js';
import { BUS_ORIGIN, LOAD_ORIGIN, RELAY_ORIGIN, connectionOrigin, effectsOf, peerOf, type TransactionOrigin } from './transaction-origin.js';
import { clientIdentityOf } from './client-identity.js';
import type { ClientIdBudget } from './client-id-budget.js';
import { SharedFrame } from './send-queue.js';

/** What a room needs from a connection. */
export interface RoomPeer {
  /** The token's `sub`; awareness states must carry it as `user.id`. */
  readonly userId: string;
  /** Whether the client asked for durable acks (`acks=1`). */
  readonly wantsAcks: boolean;
  /**
   * Sends a frame through the peer's bounded send queue (send-queue.ts); `kind` is for metrics. Catch-ups do not
   * come through here: the peer streams them itself (catch-up.ts). Returns false if the peer is gone or was
   * closed as a slow consumer.
   */
  send(frame: Uint8Array, kind: 'update' | 'catch-up' | 'other'): boolean;
  /**
   * Optional: sends one update of a broadcast, the same frame for every peer (as `send` with 'update'), so a
   * per-room socket writes the bytes framed once for all (send-queue.ts SharedFrame).
   */
  sendShared?(frame: SharedFrame): boolean;
  close(code: number, reason: string): void;
  /** Awareness client ids this connection publishes for. */
  readonly ownedClients: Set<number>;
  /** Room sequence number covering this peer's latest write (see Room.acknowledge). */
  lastWriteSeq: number;
}

/** One transaction's change to a room's document, as Yjs encodes it (only what was new to the room). */
export type RoomChange = Uint8Array;

/** Most writers in one loop turn that get a merge without their own updates (see flushBroadcast). */
const MAX_SEPARATE_MERGES = 4;

/** Most awareness client ids one connection may publish for (a page normally has one). */
const MAX_CLIENTS_PER_PEER = 4;

/** Why awareness entries were dropped, for metrics. */
export type AwarenessRefusal = 'awareness-foreign-client' | 'awareness-identity';

export interface RoomDeps {
  name: string;
  /** Where the room's log and snapshots live (storage/seams.ts): local disk, or Redis + PostgreSQL. */
  backend: StorageBackend;
  /** The write check, run again in log order on every entry of the shared log (cluster mode). */
  check: CheckUpdate;
  metrics: Metrics;
  log: Logger;
  compactLogBytes: number;
  /** New client ids per connection and user (shared by the relay's rooms). */
  clientIds: ClientIdBudget;
  /** Called once when persisting fails; the room is then unusable and must be evicted. */
  onFailure: (room: Room, error: unknown) => void;
  /** Cluster mode: the shared log says the room was deleted (through any instance). */
  onDeleted: (room: Room) => void;
  /** Cluster mode: the room can no longer follow its log; it must be evicted and reloaded. */
  onLost: (room: Room, error: Error) => void;
}

/** A document built from stored updates, applied in one transaction as a load (never persisted or broadcast). */
const loadDoc = (name: string, updates: readonly Uint8Array[]): Y.Doc => {
  // The room name is the guid: Yjs would otherwise draw a random uuid (≈30 WebCrypto calls) for every room loaded.
  const doc = new Y.Doc({ guid: name });
  doc.transact(() => {
    for (const update of updates) Y.applyUpdate(doc, update, LOAD_ORIGIN);
  }, LOAD_ORIGIN);
  return doc;
};

/** Rooms with more client ids than this read a change's end clocks from the change itself (parseUpdateMeta). */
const MAX_CLIENTS_FOR_CLOCK_ENDS = 64;

/**
 * The clock each client reached in `transaction`, for the clients it advanced: what `Y.parseUpdateMeta(update).to`
 * says of the update the transaction emitted, without decoding that update again (its contents included). It walks
 * the room's state vector, which Yjs itself just built for the transaction; undefined when that has too many
 * client ids for the walk to be the cheaper way.
 */
const clockEndsOf = ({ beforeState, afterState }: Y.Transaction): Map<number, number> | undefined => {
  if (afterState.size > MAX_CLIENTS_FOR_CLOCK_ENDS) return undefined;
  const ends = new Map<number, number>();
  for (const [client, clock] of afterState) if (clock !== (beforeState.get(client) ?? 0)) ends.set(client, clock);
  return ends;
};

/** One Yjs update holding every update of `items` (see flushBroadcast). */
const mergeOf = (items: ReadonlyArray<{ update: Uint8Array }>): Uint8Array =>
  items.length === 1 ? items[0]!.update : Y.mergeUpdates(items.map((item) => item.update));

/** Sends one broadcast frame to a peer, framed once for all peers where the peer's transport allows it. */
const sendUpdate = (peer: RoomPeer, frame: SharedFrame): void => {
  if (peer.sendShared) peer.sendShared(frame);
  else peer.send(frame.payload, 'update');
};

/** One room in memory. Created by the room manager from stored updates. */
export class Room implements ReplicaHost {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  readonly peers = new Set<RoomPeer>();
  /** Which peer owns each awareness client id. */
  private readonly owners = new Map<number, RoomPeer>();
  private readonly deps: RoomDeps;
  /** Sequence number of the latest update handed to the store; `durableSeq` trails it. */
  private appendSeq = 0;
  private durableSeq = 0;
  /** The durable state vector, advanced as appends complete (see `onDurable`). */
  private readonly durableSV: Map<number, number>;
  /**
   * The latest `apply`'s changes with each one's end clock per client it wrote, read off its transaction (see
   * clockEndsOf), for the `persist` of those changes that follows it (accept-update.ts, relay-writes.ts).
   */
  private lastApplied: { changes: readonly RoomChange[]; ends: Array<Map<number, number> | undefined> } | undefined;
  /**
   * Frames every connect sends or may send, kept until what they encode changes: the greeting's sync step 1
   * (the document's state vector: dropped after every transaction) and the ack of the whole durable state vector
   * (dropped whenever that advances). A room's peers mostly join between writes, so most joins encode neither.
   */
  private step1Frame: Uint8Array | undefined;
  private durableAckFrame: Uint8Array | undefined;
  /** Peers owed an ack, with the durable sequence their last ack reported. */
  private readonly awaitingAck = new Map<RoomPeer, number>();
  private ackScheduled = false;
  private logBytes: number;
  private failed = false;
  /** Set while shutting down or deleting: incoming writes are ignored. */
  closing = false;
  /**
   * Cluster mode: the room's link to the shared log (storage/room-replica.ts), set by the room manager. Then
   * writes go to the log first and are applied when read back, in log order, on every instance alike.
   */
  replica: RoomReplica | undefined;
  /** Disk mode: the position of the latest completed append, and the latest append (for `flush`). */
  private lastPosition: LogPosition = LOG_START;
  private appending: Promise<void> = Promise.resolve();
  /** Set while a loaded state is replayed: nothing is broadcast. */
  private replaying = false;

  constructor(deps: RoomDeps, stored: { updates: Uint8Array[]; logBytes: number; position?: LogPosition }) {
    this.deps = deps;
    this.name = deps.name;
    // Loaded by a module function: a closure here would share the constructor's context with the class-field
    // arrows below and keep the stored bytes alive as long as the room (5.6 MB for a 50k-message room).
    this.doc = loadDoc(deps.name, stored.updates);
    this.logBytes = stored.logBytes;
    this.lastPosition = stored.position ?? LOG_START;
    this.durableSV = Y.decodeStateVector(Y.encodeStateVector(this.doc));
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    // The relay itself is not a participant.
    this.awareness.setLocalState(null);
    this.awareness.on('update', this.onAwarenessUpdate);
    this.doc.on('afterTransaction', this.onAfterTransaction);
  }

  /** Cluster mode: replays a state read from the shared log into the fresh document (see replayInto). */
  replay(state: ReplicaState): void {
    this.replaying = true;
    try {
      replayInto(this, state);
    } finally {
      this.replaying = false;
    }
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc))) this.durableSV.set(client, clock);
    this.durableAckFrame = undefined;
  }

  /** Adds a peer and greets it: our state vector (so it sends what we lack) and the current awareness. */
  addPeer(peer: RoomPeer): void {
    this.peers.add(peer);
    peer.send((this.step1Frame ??= encodeSyncStep1(this.doc)), 'other');
    const states = [...this.awareness.getStates().keys()];
    if (states.length > 0) {
      peer.send(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, states)), 'other');
    }
  }

  /** Removes a peer and, at once, its awareness states for everyone. */
  removePeer(peer: RoomPeer): void {
    if (!this.peers.delete(peer)) return;
    this.awaitingAck.delete(peer);
    const owned = [...peer.ownedClients].filter((id) => this.owners.get(id) === peer);
    for (const id of owned) this.owners.delete(id);
    if (owned.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, owned, peer);
  }

  /** Sends every awareness state (answer to query-awareness). */
  sendAwareness(peer: RoomPeer): void {
    const states = [...this.awareness.getStates().keys()];
    peer.send(encodeAwarenessMessage(awarenessProtocol.encodeAwarenessUpdate(this.awareness, states)), 'other');
  }

  /** Takes `count` new client ids for `peer` from the relay's budget (client-id-budget.ts); false when over it. */
  takeClientIds(peer: RoomPeer, count: number): boolean {
    return this.deps.clientIds.take(peer, peer.userId, count);
  }

  /** Whether the room takes writes (not shutting down, deleted or failed). */
  get writable(): boolean {
    return !this.closing && !this.failed;
  }

  /**
   * Runs `write` in one transaction with `origin` and returns what it changed (nothing when the room no longer
   * takes writes, or when the write was already in the room). Applying has no other effect: the caller
   * persists and broadcasts the changes (see accept-update.ts).
   */
  apply(origin: TransactionOrigin, write: (doc: Y.Doc) => void): RoomChange[] {
    // Cluster mode applies every entry of the shared log, closing or not: a skipped entry would differ from other instances.
    if (effectsOf(origin).persist && !this.writable && !this.replica) return [];
    const changes: RoomChange[] = [];
    const ends: Array<Map<number, number> | undefined> = [];
    const collect = (update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
      changes.push(update);
      ends.push(clockEndsOf(transaction));
    };
    this.doc.on('update', collect);
    try {
      this.doc.transact(() => write(this.doc), origin);
    } finally {
      this.doc.off('update', collect);
    }
    this.lastApplied = { changes, ends };
    return changes;
  }

  /**
   * Appends changes to the room's log and publishes them to other instances, if `origin` calls for it
   * (effectsOf). Appends complete in order; acks follow them (see `acknowledge`).
   */
  persist(changes: readonly RoomChange[], origin: TransactionOrigin): void {
    const applied = this.lastApplied?.changes === changes ? this.lastApplied.ends : undefined;
    this.lastApplied = undefined;
    // Cluster mode: every change was read from the shared log (or derived from it, bindings), which holds it.
    if (this.replica) return;
    if (!effectsOf(origin).persist) return;
    for (let i = 0; i < changes.length; i++) {
      const update = changes[i]!;
      const ends = applied?.[i];
      const seq = ++this.appendSeq;
      this.logBytes += update.byteLength + 8;
      // Appends complete in order, so the last completed one holds the highest position.
      this.appending = this.deps.backend.log.append(this.name, update).then(
        (position) => {
          this.lastPosition = position;
          this.onDurable(seq, update, ends);
        },
        (error: unknown) => this.fail(error),
      );
      if (this.logBytes > this.deps.compactLogBytes) {
        this.compactIfNeeded().catch((error: unknown) => this.fail(error));
      }
    }
  }

  /** Queues changes for this loop turn's merged broadcast to the room's peers, if `origin` calls for it (effectsOf). */
  broadcast(changes: readonly RoomChange[], origin: TransactionOrigin): void {
    if (changes.length === 0 || !effectsOf(origin).broadcast) return;
    const sender = peerOf(origin) ?? origin;
    for (const update of changes) this.pendingBroadcast.push({ update, origin: sender });
    if (!this.broadcastScheduled) {
      this.broadcastScheduled = true;
      setImmediate(this.flushBroadcast);
    }
  }

  /**
   * Promises the peer an ack once everything appended so far is durable. Every write is acknowledged, even
   * one that changed nothing (a resend after reconnecting, or an empty catch-up), so a client learns what is
   * stored right after each handshake.
   */
  acknowledge(peer: RoomPeer): void {
    peer.lastWriteSeq = this.appendSeq;
    if (!peer.wantsAcks || this.closing || this.failed) return;
    if (!this.awaitingAck.has(peer)) this.awaitingAck.set(peer, this.durableSeq);
    if (peer.lastWriteSeq <= this.durableSeq) this.scheduleAcks();
  }

  /**
   * Applies the awareness entries a peer may publish and returns the refused ones' reasons: a peer may only
   * publish for client ids it owns (claimed on first use, if no other peer has them), and a non-null state's
   * `user.id` must be the peer's token `sub`.
   */
  applyAwarenessFromPeer(peer: RoomPeer, entries: AwarenessEntry[]): AwarenessRefusal[] {
    const refused: AwarenessRefusal[] = [];
    const accepted: AwarenessEntry[] = [];
    for (const entry of entries) {
      const owner = this.owners.get(entry.clientID);
      const claimable =
        owner === undefined && peer.ownedClients.size < MAX_CLIENTS_PER_PEER && entry.clientID !== this.doc.clientID;
      if (owner !== peer && !claimable) {
        refused.push('awareness-foreign-client');
        continue;
      }
      if (entry.state !== null) {
        const user = (entry.state as { user?: { id?: unknown } } | undefined)?.user;
        if (typeof entry.state !== 'object' || user?.id !== peer.userId) {
          refused.push('awareness-identity');
          continue;
        }
      } else if (owner !== peer) {
        refused.push('awareness-foreign-client');
        continue;
      }
      if (owner === undefined) {
        this.owners.set(entry.clientID, peer);
        peer.ownedClients.add(entry.clientID);
      }
      accepted.push(entry);
    }
    if (accepted.length > 0 && !this.closing) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(accepted), peer);
    }
    return refused;
  }

  /** Resolves once everything appended so far is durable. */
  flush(): Promise<void> {
    return this.appending;
  }

  /**
   * Writes a snapshot of the whole document if the log holds anything, so the next load is one read: the
   * snapshot covers at least the position of the last completed append (it may hold more, whose records stay
   * in the log: replaying them is a no-op in Yjs), and the log is trimmed only once it is durable. The state
   * is taken at once: the room may be destroyed while the snapshot is written. Disk mode skips it while the log
   * holds fewer than `minLogBytes` (an idle unload leaves a small log to be replayed on the next load).
   */
  async compactIfNeeded(minLogBytes = 1): Promise<void> {
    if (this.replica) return this.replica.compactIfNeeded(true);
    if (this.failed || this.logBytes === 0 || this.logBytes < minLogBytes) return;
    this.logBytes = 0;
    const position = this.lastPosition;
    const state = Y.encodeStateAsUpdate(this.doc);
    await this.deps.backend.snapshots.store(this.name, state, position);
    await this.deps.backend.log.trim(this.name, position);
  }

  /**
   * Cluster mode: hands an update the write check accepted against this instance's copy to the shared log.
   * It is checked again and applied when read back in log order (`applyEntry`), and acked then (`settled`).
   */
  submit(sender: UpdateSender, update: Uint8Array): void {
    if (!this.writable || !this.replica) return;
    this.appendSeq = this.replica.submit(update, sender.user, sender.role, sender.peer);
    this.acknowledge(sender.peer);
  }

  /** Cluster mode (ReplicaHost): one log entry, in log order — check as of the log → bind → apply → broadcast. */
  applyEntry(entry: UpdateEntry, sender: unknown): void {
    const decoded = Y.decodeUpdate(entry.update);
    if (isEmptyDecoded(decoded)) return;
    const user = { id: entry.userId, name: entry.userName };
    const verdict = this.deps.check({ room: this.name, doc: this.doc, update: entry.update, decoded, user, role: entry.role });
    const peer = this.peers.has(sender as RoomPeer) ? (sender as RoomPeer) : undefined;
    const bindOrigin = this.replaying ? LOAD_ORIGIN : RELAY_ORIGIN;
    const origin = this.replaying ? LOAD_ORIGIN : peer ? connectionOrigin(peer) : BUS_ORIGIN;
    const newClients = verdict?.newClients;
    if (newClients !== undefined && newClients.size > 0) {
      this.broadcast(this.apply(bindOrigin, (doc) => bindClients(doc, newClients, user.id)), bindOrigin);
    }
    this.broadcast(this.apply(origin, (doc) => Y.applyUpdate(doc, entry.update, origin)), origin);
  }

  /** Cluster mode (ReplicaHost): this instance's append `seq` was applied (durable) or refused. */
  settled(seq: number, sender: unknown, error: unknown): void {
    const peer = sender as RoomPeer | undefined;
    if (error !== undefined && peer !== undefined && this.peers.has(peer)) {
      if (error instanceof NotDurableError) {
        peer.close(CloseEvents.storageFailure.code, CloseEvents.storageFailure.reason);
      } else {
        this.deps.metrics.writeRefusals.inc({ rule: ruleOf(error) });
        const { event, detail } = refusalCloseOf(error);
        peer.close(event.code, closeReason(event, detail));
      }
    }
    if (seq > this.durableSeq) this.durableSeq = seq;
    // Everything in the document was read from the shared log (or derived from it): all of it is durable.
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc))) this.durableSV.set(client, clock);
    this.durableAckFrame = undefined;
    if (this.awaitingAck.size > 0) this.scheduleAcks();
  }

  /** Cluster mode (ReplicaHost). */
  deleted(): void {
    this.deps.onDeleted(this);
  }

  /** Cluster mode (ReplicaHost). */
  lost(error: Error): void {
    this.deps.onLost(this, error);
  }

  /** Cluster mode (ReplicaHost): a member was removed through some instance; cut off their connections here. */
  memberRemoved(user: string): void {
    for (const peer of [...this.peers]) {
      if (peer.userId === user) peer.close(CloseEvents.forbidden.code, CloseEvents.forbidden.reason);
    }
  }

  /** Closes every peer (with `event`) and frees the document. The caller flushes first when it should. */
  destroy(event: CloseEvent): void {
    this.closing = true;
    for (const peer of [...this.peers]) {
      this.removePeer(peer);
      peer.close(event.code, event.reason);
    }
    void this.replica?.stop(false);
    this.awareness.off('update', this.onAwarenessUpdate);
    this.doc.off('afterTransaction', this.onAfterTransaction);
    this.awareness.destroy();
    this.doc.destroy();
  }

  /** Peers that have not been closed. */
  get peerCount(): number {
    return this.peers.size;
  }

  /** Updates applied during this loop turn, broadcast together at its end (see `flushBroadcast`). */
  private pendingBroadcast: Array<{ update: Uint8Array; origin: unknown }> = [];
  private broadcastScheduled = false;

  /**
   * Sends the turn's updates as one merged frame (as Hocuspocus does): under load, receivers apply one update
   * instead of many. A writer is not sent its own updates back, except when many peers wrote in the same turn:
   * then everyone gets the one merge (re-applying one's own structs is a no-op in Yjs), because a separate
   * merge per writer would make a burst quadratic.
   */
  private readonly flushBroadcast = (): void => {
    this.broadcastScheduled = false;
    const batch = this.pendingBroadcast;
    this.pendingBroadcast = [];
    if (batch.length === 0 || this.closing) return;
    // One frame for every receiver, framed once (most turns carry one writer's one update: no merge, no set).
    const all = new SharedFrame(encodeSyncUpdate(mergeOf(batch), SyncStep.update));
    if (batch.length === 1) {
      const sender = batch[0]!.origin;
      for (const peer of this.peers) if (peer !== sender) sendUpdate(peer, all);
      return;
    }
    const origins = new Set(batch.map((item) => item.origin));
    const echoOwn = origins.size > MAX_SEPARATE_MERGES;
    for (const peer of this.peers) {
      if (echoOwn || !origins.has(peer)) {
        sendUpdate(peer, all);
        continue;
      }
      const others = batch.filter((item) => item.origin !== peer);
      if (others.length > 0) peer.send(encodeSyncUpdate(mergeOf(others), SyncStep.update), 'update');
    }
  };

  /** Any transaction may have changed the state vector: the cached sync step 1 is encoded again when next needed. */
  private readonly onAfterTransaction = (): void => {
    this.step1Frame = undefined;
  };

  private readonly onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const changed = [...added, ...updated, ...removed];
    const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed);
    const frame = encodeAwarenessMessage(update);
    for (const peer of this.peers) peer.send(frame, 'other');
    // Cluster mode: local changes go to the other instances (theirs arrive with REMOTE_ORIGIN).
    if (this.replica && origin !== REMOTE_ORIGIN) this.replica.publishAwareness(update);
  };

  /**
   * Appends complete in order, and the document emits each writer's structs contiguously, so the durable
   * state vector is the running maximum of the struct ranges of completed appends.
   */
  private onDurable(seq: number, update: Uint8Array, ends: Map<number, number> | undefined): void {
    if (seq > this.durableSeq) this.durableSeq = seq;
    this.mergeDurable(ends ?? Y.parseUpdateMeta(update).to);
    if (this.awaitingAck.size > 0) this.scheduleAcks();
  }

  /** Advances the durable state vector to the end clocks `to` of a completed append. */
  private mergeDurable(to: Map<number, number>): void {
    for (const [client, clock] of to) {
      if (clock > (this.durableSV.get(client) ?? 0)) {
        this.durableSV.set(client, clock);
        this.durableAckFrame = undefined;
      }
    }
  }

  /** Sends acks once per batch of completed appends rather than once per append. */
  private scheduleAcks(): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    queueMicrotask(() => {
      this.ackScheduled = false;
      for (const [peer, reported] of this.awaitingAck) {
        const complete = peer.lastWriteSeq <= this.durableSeq;
        // A peer that never stops writing is still told what is durable so far: waiting for all of its
        // writes to be durable at once would starve it of acks for as long as it writes faster than fsync.
        if (!complete && this.durableSeq <= reported) continue;
        if (complete) this.awaitingAck.delete(peer);
        else this.awaitingAck.set(peer, this.durableSeq);
        // A peer learns about its user's client ids only: O(those ids), however many other ids the room has seen.
        const own = clientIdentityOf(this.doc).clientsOf(peer.userId);
        if (own === undefined) {
          peer.send((this.durableAckFrame ??= encodeDurableAck(Y.encodeStateVector(this.durableSV))), 'other');
        } else {
          const subset = new Map<number, number>();
          for (const client of own) {
            const clock = this.durableSV.get(client);
            if (clock !== undefined) subset.set(client, clock);
          }
          peer.send(encodeDurableAck(Y.encodeStateVector(subset)), 'other');
        }
      }
    });
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.deps.log.error({ err: error, room: this.name }, 'persisting the room failed; closing it');
    this.deps.onFailure(this, error);
  }
}
