// One authenticated /sync socket carrying many documents: auth and in-band refresh, attach/detach, per-document refusals, socket limits.
import type { RawData, WebSocket } from 'ws';
import { CloseEvents, closeReason, type CloseEvent } from '../shared/close-codes.js';
import { isValidRoomName, MessageType } from '../shared/protocol.js';
import type { RoomGrants } from '../shared/grants.js';
import { ACCOUNT_ALIAS } from '../shared/account.js';
import { effectiveRole, resolveRoomName, type Membership } from './membership/index.js';
import { TokenError, type VerifyToken } from './auth.js';
import type { Room } from './room.js';
import type { RoomManager } from './room-manager.js';
import type { RelaySocket } from './relay-socket.js';
import { SendQueue } from './send-queue.js';
import { catchUpFrames, wholeCatchUpBytes } from './catch-up.js';
import { refill } from './token-bucket.js';
import { RoomSession, type SessionShared, type SessionUser } from './room-session.js';
import {
  ATTACH_ACKS,
  MuxFrameError,
  PONG,
  decodeMuxFrame,
  encodeAuthOk,
  encodeRefused,
  messagePrefix,
  withPrefix,
  type MuxIncoming,
} from './mux-protocol.js';

/*
 * How a /sync socket lives (the frames are in mux-protocol.ts):
 *  - It opens unauthenticated; its first frame must be `auth` within `upgradeTimeoutMs` (else 4401). While a
 *    token is being verified, later frames wait in a short inbox (bounded) and are then handled in order.
 *  - `attach(doc)` checks the token's grant, loads the room and makes an `Attachment` (a RoomSession, so the
 *    room treats it exactly like a per-room connection: sync step 1 and awareness on attach, the accept path,
 *    awareness checks, durable acks). Frames for a document still loading wait in its own bounded inbox.
 *  - Anything wrong with one document (no grant, a refused write, a malformed ymessage, its rate limits, the
 *    room deleted or unloaded) detaches only that document with `refused(doc, code, reason)`. Socket-level
 *    faults close the socket: bad/expired/missing auth 4401, a token for another user 4403, an unparsable
 *    frame 4400, the socket's message or byte budget 4429, a slow consumer 4429, an oversized frame 4413.
 *  - A later `auth` (refresh) must be for the same `sub`; every attached document is re-checked against the
 *    new grants, and those no longer granted are refused with 4403. No re-sync.
 *  - Everything sent goes through one SendQueue (send-queue.ts): one budget for all documents; catch-ups
 *    are pieces produced as the socket drains, durable acks supersede per document.
 */

/** What every /sync socket of one relay shares. */
export interface MuxShared extends SessionShared {
  verifyToken: VerifyToken;
  rooms: RoomManager;
  onWrite(bytes: number): void;
  /** Takes a per-user connection slot once the first token checks out; false when the user is at the limit. */
  acquireUser(mux: MuxSocket, userId: string): boolean;
  /** Called once, when the socket has closed; `userId` is set when it had authenticated. */
  onClosed(mux: MuxSocket, userId: string | undefined): void;
  /** Watches the socket's token expiry (again after a refresh). */
  watchExpiry(expiresAt: number): void;
  /** Membership: told of every attachment (roster watch, conversation lists). */
  membership?: Membership;
}

/** In-band auth frames (each a signature check): a burst, then some per minute; more close the socket 4429. */
const AUTH_BURST = 5;
const AUTHS_PER_MINUTE = 10;

/** Frames a socket keeps while its token is verified, and a document keeps while its room loads. */
const MAX_WAITING_FRAMES = 256;
const MAX_WAITING_BYTES = 4 * 1024 * 1024;

/** A document attached to a socket: the room's peer. */
class Attachment extends RoomSession {
  readonly doc: string;
  private readonly mux: MuxSocket;
  private readonly prefix: Uint8Array;

  constructor(mux: MuxSocket, doc: string, room: Room, user: SessionUser, wantsAcks: boolean, shared: SessionShared) {
    super(room, user, wantsAcks, shared);
    this.mux = mux;
    this.doc = doc;
    this.prefix = messagePrefix(doc);
  }

  send(frame: Uint8Array, kind: 'update' | 'catch-up' | 'other'): boolean {
    if (this.closed) return false;
    if (kind !== 'other') this.shared.metrics.updatesOut.inc();
    const wrapped = withPrefix(this.prefix, frame);
    if (frame[0] === MessageType.durableAck) {
      this.mux.queue.sendLatest(wrapped, this.doc);
      return true;
    }
    return this.mux.enqueue(wrapped, this.doc);
  }

  /** The room ends the session (deleted, unloaded, shutting down, storage failure): refuse the document. */
  close(code: number, reason: string): void {
    this.mux.detach(this.doc, code, reason);
  }

  /** Receives one ymessage for this document. */
  receive(message: Uint8Array): void {
    this.handleMessage(message);
  }

  /** Takes a refreshed identity; returns false when neither the token nor the room's roster lets the user in any more. */
  reauthorize(identity: MuxIdentity): boolean {
    const access = effectiveRole({ id: identity.id, rooms: identity.grants }, this.room, this.accountRoom);
    if (access.role === undefined || access.role === 'banned') return false;
    this.role = access.grant;
    this.userName = identity.name;
    return true;
  }

  /** The stored name of the caller's account document when this attachment is `~account`. */
  accountRoom: string | undefined;

  /** Marks the session ended (the socket has already taken it off the room). */
  end(): void {
    this.closed = true;
  }

  protected refuse(event: CloseEvent, refusal: string, detail?: string): void {
    this.shared.metrics.refusals.inc({ reason: refusal });
    this.mux.detach(this.doc, event.code, closeReason(event, detail));
  }

  protected catchUp(stateVector: Uint8Array): void {
    const { doc } = this.room;
    const { prefix } = this;
    const pieceBytes = this.shared.limits.maxSyncFrameBytes;
    const whole = wholeCatchUpBytes(this.shared.limits);
    this.mux.queue.catchUp(function* () {
      for (const piece of catchUpFrames(doc, stateVector, pieceBytes, whole)) yield withPrefix(prefix, piece);
    }, this.doc);
  }
}

/** A document whose room is loading: frames for it wait here (bounded). */
interface Loading {
  wantsAcks: boolean;
  waiting: Uint8Array[];
  waitingBytes: number;
  cancelled: boolean;
}

/** Verified identity of the socket. */
interface MuxIdentity {
  id: string;
  name: string;
  grants: RoomGrants;
  expiresAt: number;
}

/** One /sync socket. Its listeners are shared and find it via `RelaySocket.mux`. */
export class MuxSocket {
  readonly queue: SendQueue;
  private readonly ws: RelaySocket;
  private readonly shared: MuxShared;
  private identity: MuxIdentity | undefined;
  private readonly docs = new Map<string, Attachment | Loading>();
  private closed = false;
  /** Frames received while a token is verified (undefined when none is). */
  private inbox: Uint8Array[] | undefined;
  private inboxBytes = 0;
  private authTimer: NodeJS.Timeout | undefined;
  private messageTokens: number;
  private byteTokens: number;
  private attachTokens: number;
  private authTokens = AUTH_BURST;
  private refilledAt: number;

  constructor(ws: RelaySocket, shared: MuxShared) {
    this.ws = ws;
    this.shared = shared;
    const { limits } = shared;
    this.queue = new SendQueue(ws, limits.maxBufferedBytes, shared.onWrite);
    this.messageTokens = limits.muxMessagesPerSecond * 5;
    this.byteTokens = Math.max(limits.muxBytesPerSecond * 4, limits.byteBurst);
    this.attachTokens = limits.muxDocsPerSocket;
    this.refilledAt = performance.now();
    this.authTimer = setTimeout(() => this.closeWith(CloseEvents.tokenRequired, 'no-token'), limits.upgradeTimeoutMs);
    this.authTimer.unref();
  }

  /** Token expiry (ms since the epoch), Infinity before authentication; see ExpirySweep. */
  get expiresAt(): number {
    return this.identity?.expiresAt ?? Infinity;
  }

  /** Whether the socket is still served. */
  get open(): boolean {
    return !this.closed;
  }

  /** Documents attached or loading. */
  get attached(): number {
    return this.docs.size;
  }

  /** Closes the socket because its token expired without a refresh. */
  expire(): void {
    this.closeWith(CloseEvents.tokenExpired, 'token-expired');
  }

  /** Handles one incoming WebSocket message. */
  receive(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.closeWith(CloseEvents.textFrame, 'malformed');
      return;
    }
    const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const { metrics, limits } = this.shared;
    metrics.bytesIn.inc(undefined, frame.byteLength);
    this.refill();
    if (this.messageTokens < 1 || this.byteTokens < frame.byteLength) {
      this.closeWith(CloseEvents.rateLimited, 'rate-limited');
      return;
    }
    this.messageTokens -= 1;
    this.byteTokens -= frame.byteLength;
    if (this.inbox) {
      // A token is being verified: keep order, within bounds.
      if (this.inbox.length >= MAX_WAITING_FRAMES || this.inboxBytes + frame.byteLength > Math.max(MAX_WAITING_BYTES, limits.maxFrameBytes)) {
        this.closeWith(CloseEvents.rateLimited, 'rate-limited');
        return;
      }
      this.inbox.push(frame);
      this.inboxBytes += frame.byteLength;
      return;
    }
    this.handle(frame);
  }

  /** Queues a frame for the socket; closes it as a slow consumer when over budget. */
  enqueue(frame: Uint8Array, doc: string): boolean {
    if (this.closed) return false;
    if (this.queue.send(frame, doc)) return true;
    this.closeWith(CloseEvents.slowConsumer, 'slow-consumer');
    return false;
  }

  /** Detaches `doc` (if attached or loading) and, with a code, tells the client why. */
  detach(doc: string, code?: number, reason?: string): void {
    const entry = this.docs.get(doc);
    if (entry !== undefined) {
      this.docs.delete(doc);
      this.queue.drop(doc);
      if (entry instanceof Attachment) {
        entry.end();
        entry.room.removePeer(entry);
        this.shared.rooms.release(entry.room);
      } else {
        entry.cancelled = true;
      }
    }
    if (code !== undefined && reason !== undefined && !this.closed) this.enqueue(encodeRefused(doc, code, reason), doc);
  }

  /** Called once, when the socket has closed (whoever closed it). */
  socketClosed(): void {
    this.closed = true;
    this.leaveAll();
    this.queue.clear();
    this.shared.onClosed(this, this.identity?.id);
  }

  /** Called for a socket error; ws closes the socket itself. */
  socketError(error: Error): void {
    this.shared.log.debug({ err: error }, 'socket error on /sync');
  }

  /** Closes the socket with a named event (`refusal` counted). */
  closeWith(event: CloseEvent, refusal?: string, detail?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (refusal) this.shared.metrics.refusals.inc({ reason: refusal });
    this.leaveAll();
    this.queue.clear();
    if (this.identity) this.ws.close(event.code, closeReason(event, detail));
    else this.ws.closeNow(event.code, closeReason(event, detail)); // never authenticated: no need to wait for it
  }

  private leaveAll(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.inbox = undefined;
    for (const doc of [...this.docs.keys()]) this.detach(doc);
  }

  private refill(): void {
    const { limits } = this.shared;
    const now = performance.now();
    const elapsed = now - this.refilledAt;
    this.refilledAt = now;
    this.messageTokens = refill(this.messageTokens, limits.muxMessagesPerSecond * 5, limits.muxMessagesPerSecond, elapsed);
    this.byteTokens = refill(this.byteTokens, Math.max(limits.muxBytesPerSecond * 4, limits.byteBurst), limits.muxBytesPerSecond, elapsed);
    this.attachTokens = refill(this.attachTokens, limits.muxDocsPerSocket, limits.muxAttachesPerMinute / 60, elapsed);
    this.authTokens = refill(this.authTokens, AUTH_BURST, AUTHS_PER_MINUTE / 60, elapsed);
  }

  /** Handles one frame in order (the inbox is empty). */
  private handle(frame: Uint8Array): void {
    let parsed: MuxIncoming;
    try {
      parsed = decodeMuxFrame(frame);
    } catch (error) {
      if (!(error instanceof MuxFrameError)) throw error;
      this.closeWith(CloseEvents.badRequest, 'malformed');
      return;
    }
    if (parsed.kind === 'auth') {
      if (this.authTokens < 1) {
        this.closeWith(CloseEvents.rateLimited, 'rate-limited');
        return;
      }
      this.authTokens -= 1;
      this.authenticate(parsed.token);
      return;
    }
    const identity = this.identity;
    if (!identity) {
      this.closeWith(CloseEvents.tokenRequired, 'no-token');
      return;
    }
    switch (parsed.kind) {
      case 'ping':
        this.enqueue(PONG, '');
        return;
      case 'attach':
        this.attach(identity, parsed.doc, (parsed.flags & ATTACH_ACKS) !== 0);
        return;
      case 'detach':
        this.detach(parsed.doc);
        return;
      case 'message': {
        const entry = this.docs.get(parsed.doc);
        if (entry === undefined) {
          this.refuseDoc(parsed.doc, CloseEvents.notAttached, 'not-attached');
        } else if (entry instanceof Attachment) {
          entry.receive(parsed.message);
        } else if (entry.waiting.length >= MAX_WAITING_FRAMES || entry.waitingBytes + parsed.message.byteLength > MAX_WAITING_BYTES) {
          this.refuseDoc(parsed.doc, CloseEvents.rateLimited, 'rate-limited');
        } else {
          // Still loading: handled once attached.
          entry.waiting.push(parsed.message);
          entry.waitingBytes += parsed.message.byteLength;
        }
        return;
      }
    }
  }

  private refuseDoc(doc: string, event: CloseEvent, refusal: string): void {
    this.shared.metrics.refusals.inc({ reason: refusal });
    this.detach(doc, event.code, event.reason);
  }

  /** Verifies a token (first or refresh); frames arriving meanwhile wait in the inbox. */
  private authenticate(token: string): void {
    this.inbox = [];
    this.inboxBytes = 0;
    this.shared
      .verifyToken(token)
      .then(
        (verified) => {
          if (this.closed) return;
          const previous = this.identity;
          if (previous && previous.id !== verified.id) {
            this.closeWith(CloseEvents.tokenForAnotherUser, 'token-another-user');
            return;
          }
          if (verified.expiresAt <= Date.now()) {
            this.closeWith(CloseEvents.tokenExpired, 'token-expired');
            return;
          }
          if (!previous) {
            if (!this.shared.acquireUser(this, verified.id)) {
              this.closeWith(CloseEvents.tooManyConnections, 'too-many-connections');
              return;
            }
            if (this.authTimer) clearTimeout(this.authTimer);
            this.authTimer = undefined;
            this.shared.metrics.connectionsOpened.inc();
          }
          this.identity = { id: verified.id, name: verified.name, grants: verified.rooms, expiresAt: verified.expiresAt };
          this.shared.watchExpiry(verified.expiresAt);
          if (previous) this.recheck(this.identity);
          this.enqueue(encodeAuthOk(verified.id, Math.floor(verified.expiresAt / 1000)), '');
        },
        (error: unknown) => {
          if (this.closed) return;
          const detail = error instanceof TokenError ? error.message : 'invalid token';
          this.closeWith({ code: CloseEvents.unauthorized.code, reason: detail }, 'bad-token');
        },
      )
      .then(() => this.drainInbox())
      .catch((error: unknown) => {
        this.shared.log.error({ err: error }, 'handling /sync frames failed');
        this.closeWith(CloseEvents.badRequest, 'malformed');
      });
  }

  /** Handles frames that waited for a verification, in order, until the next verification (if any) starts. */
  private drainInbox(): void {
    const inbox = this.inbox;
    this.inbox = undefined;
    this.inboxBytes = 0;
    if (!inbox || this.closed) return;
    for (let i = 0; i < inbox.length; i++) {
      if (this.closed) return;
      const waiting = this.inbox as Uint8Array[] | undefined;
      if (waiting) {
        // Another auth started: the rest waits behind it, in order.
        const rest = inbox.slice(i);
        waiting.unshift(...rest);
        for (const frame of rest) this.inboxBytes += frame.byteLength;
        return;
      }
      this.handle(inbox[i]!);
    }
  }

  /** After a refresh: documents the new token no longer grants are refused 4403. */
  private recheck(identity: MuxIdentity): void {
    for (const [doc, entry] of [...this.docs]) {
      if (entry instanceof Attachment) {
        if (!entry.reauthorize(identity)) this.refuseDoc(doc, CloseEvents.forbidden, 'no-access');
      }
      // A document still loading is checked against the new identity once its room is in (attached_).
    }
  }

  private attach(identity: MuxIdentity, doc: string, wantsAcks: boolean): void {
    const { limits } = this.shared;
    if (this.docs.has(doc)) {
      this.refuseDoc(doc, CloseEvents.alreadyAttached, 'already-attached');
      return;
    }
    if (!isValidRoomName(doc)) {
      this.refuseDoc(doc, CloseEvents.invalidRoomName, 'bad-room-name');
      return;
    }
    if (this.attachTokens < 1) {
      this.refuseDoc(doc, CloseEvents.tooManyAttaches, 'rate-limited');
      return;
    }
    this.attachTokens -= 1;
    if (this.docs.size >= limits.muxDocsPerSocket) {
      this.refuseDoc(doc, CloseEvents.tooManyDocuments, 'too-many-documents');
      return;
    }
    // Access is the token's grant or the room's roster (relay/membership/access.ts): decided once the room is in.
    // `~account` is the caller's account document; stored account names are never reachable.
    const loading: Loading = { wantsAcks, waiting: [], waitingBytes: 0, cancelled: false };
    this.docs.set(doc, loading);
    resolveRoomName(doc, identity).then((name) => {
      if (name === undefined) {
        if (!loading.cancelled && !this.closed) this.refuseDoc(doc, CloseEvents.notYourAccount, 'not-your-account');
        return;
      }
      return this.shared.rooms.acquire(name).then(
        (room) => this.attached_(doc, loading, room),
        () => {
          if (loading.cancelled || this.closed) return;
          this.refuseDoc(doc, CloseEvents.roomUnavailable, 'room-unavailable');
        },
      );
    }).catch(() => undefined);
  }

  /** The room of a loading document is ready: join it and handle what waited. */
  private attached_(doc: string, loading: Loading, room: Room): void {
    const identity = this.identity;
    if (loading.cancelled || this.closed || this.docs.get(doc) !== loading || !identity) {
      this.shared.rooms.release(room);
      return;
    }
    const accountRoom = doc === ACCOUNT_ALIAS ? room.name : undefined;
    const access = effectiveRole({ id: identity.id, rooms: identity.grants }, room, accountRoom);
    if (access.role === undefined || access.role === 'banned') {
      // No grant and no roster entry (or a refresh while loading took the grant away), or banned.
      this.shared.rooms.release(room);
      if (access.role === 'banned') this.refuseDoc(doc, CloseEvents.banned, 'banned');
      else this.refuseDoc(doc, CloseEvents.forbidden, 'no-access');
      return;
    }
    const attachment = new Attachment(this, doc, room, { id: identity.id, name: identity.name, role: access.grant }, loading.wantsAcks, this.shared);
    attachment.accountRoom = accountRoom;
    this.docs.set(doc, attachment);
    room.addPeer(attachment);
    this.shared.membership?.connected(room, attachment, access.grant, access.role);
    for (const message of loading.waiting) {
      if (this.docs.get(doc) !== attachment) return;
      attachment.receive(message);
    }
  }
}

/** The one `message` listener of every /sync socket (`this` is the socket). */
export function onMuxMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as RelaySocket).mux?.receive(data, isBinary);
}

