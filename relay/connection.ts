// One authenticated WebSocket on /rooms/:room: the socket side of a room session (frames in, the bounded send queue, close codes).
import type { RawData, WebSocket } from 'ws';
import { CloseEvents, closeReason, type CloseEvent } from '../shared/close-codes.js';
import { MessageType } from '../shared/protocol.js';
import type { Room } from './room.js';
import type { RelaySocket } from './relay-socket.js';
import { SendQueue, type SharedFrame } from './send-queue.js';
import { catchUpFrames, wholeCatchUpBytes } from './catch-up.js';
import { RoomSession, type SessionShared, type SessionUser } from './room-session.js';

/** What every connection of one relay shares: created once per relay, so each connection holds one reference. */
export interface ConnectionShared extends SessionShared {
  /** Counts bytes written to a socket (shared by every send queue). */
  onWrite(bytes: number): void;
  /** Called once per connection, when its socket has closed for any reason. */
  onClosed(connection: Connection): void;
}

/** What a connection keeps from its token. */
export interface ConnectionUser extends SessionUser {
  /** Token expiry, ms since the epoch. */
  expiresAt: number;
}

/**
 * A per-room connection: one socket, one room session. The socket's listeners are shared and find the
 * connection via `RelaySocket.connection`.
 */
export class Connection extends RoomSession {
  /** Token expiry, ms since the epoch. */
  readonly expiresAt: number;
  private readonly ws: RelaySocket;
  /** Everything sent to the peer goes through this one bounded queue (send-queue.ts). */
  private readonly queue: SendQueue;

  constructor(ws: RelaySocket, room: Room, user: ConnectionUser, wantsAcks: boolean, shared: ConnectionShared) {
    super(room, user, wantsAcks, shared);
    this.expiresAt = user.expiresAt;
    this.ws = ws;
    this.queue = new SendQueue(ws, shared.limits.maxBufferedBytes, shared.onWrite);
  }

  send(frame: Uint8Array, kind: 'update' | 'catch-up' | 'other'): boolean {
    const { ws } = this;
    if (this.closed || ws.readyState !== ws.OPEN) return false;
    if (kind !== 'other') this.shared.metrics.updatesOut.inc();
    // A durable ack supersedes the previous one: it never waits in the budget, so it never trips it.
    if (frame[0] === MessageType.durableAck) {
      this.queue.sendLatest(frame);
      return true;
    }
    // A reader that cannot keep up is closed rather than buffered for without bound.
    if (!this.queue.send(frame)) {
      this.closeWith(CloseEvents.slowConsumer, 'slow-consumer');
      return false;
    }
    return true;
  }

  /** Sends one update of a broadcast, framed once for every receiver (send-queue.ts SharedFrame). */
  sendShared(frame: SharedFrame): boolean {
    const { ws } = this;
    if (this.closed || ws.readyState !== ws.OPEN) return false;
    this.shared.metrics.updatesOut.inc();
    if (!this.queue.sendShared(frame)) {
      this.closeWith(CloseEvents.slowConsumer, 'slow-consumer');
      return false;
    }
    return true;
  }

  /** Closes with a named close event (shared/close-codes.ts), its reason followed by `detail` if given. */
  closeWith(event: CloseEvent, refusal?: string, detail?: string): void {
    this.closeSocket(event.code, closeReason(event, detail), refusal);
  }

  /** Closes the socket (once) and leaves the room (the room calls this when it is deleted or unloaded). */
  close(code: number, reason: string): void {
    this.closeSocket(code, reason);
  }

  /** Closes the connection because its token expired (see ExpirySweep). */
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
    this.shared.metrics.bytesIn.inc(undefined, frame.byteLength);
    this.handleMessage(frame);
  }

  /** Called once, when the socket has closed (whoever closed it). */
  socketClosed(): void {
    this.queue.clear();
    if (!this.closed) {
      this.closed = true;
      this.room.removePeer(this);
    }
    (this.shared as ConnectionShared).onClosed(this);
  }

  /** Called for a socket error; ws closes the socket itself. */
  socketError(error: Error): void {
    this.shared.log.debug({ err: error, room: this.room.name }, 'socket error');
  }

  protected refuse(event: CloseEvent, refusal: string, detail?: string): void {
    this.closeWith(event, refusal, detail);
  }

  /** Answers a sync step 1: the missing state, in bounded pieces as the socket drains (catch-up.ts). */
  protected catchUp(stateVector: Uint8Array): void {
    const { doc } = this.room;
    const pieceBytes = this.shared.limits.maxSyncFrameBytes;
    const whole = wholeCatchUpBytes(this.shared.limits);
    this.queue.catchUp(() => catchUpFrames(doc, stateVector, pieceBytes, whole));
  }

  private closeSocket(code: number, reason: string, refusal?: string): void {
    if (this.closed) return;
    this.closed = true;
    const { metrics, log } = this.shared;
    if (refusal) metrics.refusals.inc({ reason: refusal });
    log.debug({ room: this.room.name, user: this.userId, code, reason }, 'closing connection');
    this.room.removePeer(this);
    this.queue.clear();
    this.ws.close(code, reason);
  }
}

/** The one `message` listener of every connection's socket (`this` is the socket). */
function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as RelaySocket).connection?.receive(data, isBinary);
}

/**
 * Attaches the protocol to an open socket and joins the room. Returns the connection (the room's peer).
 * The caller routes the socket's `close` and `error` events to `socketClosed` and `socketError`, and
 * expires the connection when its token does (`expiresAt`, `expire`).
 */
export const attachConnection = (
  ws: RelaySocket,
  room: Room,
  user: ConnectionUser,
  wantsAcks: boolean,
  shared: ConnectionShared,
): Connection => {
  const connection = new Connection(ws, room, user, wantsAcks, shared);
  ws.connection = connection;
  ws.on('message', onSocketMessage);
  shared.metrics.connectionsOpened.inc();
  room.addPeer(connection);
  // A token still within the verifier's clock tolerance may be expired already.
  if (connection.expiresAt - Date.now() <= 0) connection.expire();
  return connection;
};
