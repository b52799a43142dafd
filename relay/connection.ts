// One authenticated WebSocket in a room: rate limits, frame dispatch, the write check, and its close codes.
import type { RawData, WebSocket } from 'ws';
import type { Logger } from 'pino';
import { CloseEvents, closeReason, type CloseEvent } from '../shared/close-codes.js';
import { type Role } from '../shared/protocol.js';
import type { Room, RoomPeer } from './room.js';
import type { Metrics } from './metrics.js';
import type { RelayLimits } from './options.js';
import type { RelaySocket } from './relay-socket.js';
import { refill } from './token-bucket.js';
import { MalformedFrameError, decodeIncoming } from './protocol-messages.js';
import { acceptUpdate } from './accept-update.js';
import { refusalCloseOf, ruleOf, type CheckUpdate } from './write-check.js';

/** What every connection of one relay shares: created once per relay, so each connection holds one reference. */
export interface ConnectionShared {
  limits: RelayLimits;
  metrics: Metrics;
  log: Logger;
  checkUpdate: CheckUpdate;
  /** Called once per connection, when its socket has closed for any reason. */
  onClosed(connection: Connection): void;
}

/** What a connection keeps from its token: not the claims, nor the grants once the role is resolved. */
export interface ConnectionUser {
  /** `sub`. */
  id: string;
  name: string;
  /** The role the token grants on this room; undefined when the room's roster let the user in (shared/roster.ts). */
  role: Role | undefined;
  /** Token expiry, ms since the epoch. */
  expiresAt: number;
}

/** The sync-request bucket's burst (its rate is `syncRequestsPerMinute`). */
const SYNC_REQUEST_BURST = 10;

/**
 * A connection's state, in one object with its methods on the prototype. Idle connections are most of what
 * a relay holds: a closure per handler (with its context), bound functions and an object per rate limit
 * cost ≈2.7 KB more heap per connection than this. The socket's listeners are shared and find the
 * connection via `RelaySocket.connection`.
 */
export class Connection implements RoomPeer {
  readonly ownedClients = new Set<number>();
  lastWriteSeq = 0;
  readonly userId: string;
  readonly wantsAcks: boolean;
  readonly room: Room;
  /** Token expiry, ms since the epoch. */
  readonly expiresAt: number;
  private readonly ws: RelaySocket;
  private readonly shared: ConnectionShared;
  private readonly userName: string;
  private readonly role: Role | undefined;
  private closed = false;
  /** Whether the socket is corked until the next loop turn (see `send`). */
  private corked = false;
  // The three rate-limit buckets (token-bucket.ts), refilled together from one clock reading.
  private messageTokens: number;
  private byteTokens: number;
  // Answering a step 1 encodes (part of) the document: cheap to ask, costly to answer, so it has its own budget.
  private syncTokens: number;
  private refilledAt: number;

  constructor(ws: RelaySocket, room: Room, user: ConnectionUser, wantsAcks: boolean, shared: ConnectionShared) {
    this.userId = user.id;
    this.wantsAcks = wantsAcks;
    this.room = room;
    this.expiresAt = user.expiresAt;
    this.ws = ws;
    this.shared = shared;
    this.userName = user.name;
    this.role = user.role;
    this.messageTokens = shared.limits.messageBurst;
    this.byteTokens = shared.limits.byteBurst;
    this.syncTokens = SYNC_REQUEST_BURST;
    this.refilledAt = performance.now();
  }

  /** Whether the connection still serves its socket (not closed by either side). */
  get open(): boolean {
    return !this.closed;
  }

  send(frame: Uint8Array, kind: 'update' | 'catch-up' | 'other'): boolean {
    const { ws } = this;
    if (this.closed || ws.readyState !== ws.OPEN) return false;
    // A reader that cannot keep up is closed rather than buffered for without bound. A catch-up is
    // exempt: it is bounded by the document, which the relay holds anyway, and may exceed the budget.
    if (kind !== 'catch-up' && ws.bufferedAmount > this.shared.limits.maxBufferedBytes) {
      this.closeWith(CloseEvents.slowConsumer, 'slow-consumer');
      return false;
    }
    // Frames sent while one batch of incoming messages is processed leave in one write instead of one syscall each.
    const socket = netSocketOf(ws);
    if (!this.corked && socket) {
      this.corked = true;
      socket.cork();
      setImmediate(Connection.uncork, this);
    }
    ws.send(frame);
    const { metrics } = this.shared;
    metrics.bytesOut.inc(undefined, frame.byteLength);
    if (kind !== 'other') metrics.updatesOut.inc();
    return true;
  }

  /** Closes with a named close event (shared/close-codes.ts), its reason followed by `detail` if given. */
  closeWith(event: CloseEvent, refusal?: string, detail?: string): void {
    this.close(event.code, closeReason(event, detail), refusal);
  }

  /** Closes the socket (once) and leaves the room; `refusal` is counted in the refusals metric. Prefer `closeWith`. */
  close(code: number, reason: string, refusal?: string): void {
    if (this.closed) return;
    this.closed = true;
    const { metrics, log } = this.shared;
    if (refusal) metrics.refusals.inc({ reason: refusal });
    log.debug({ room: this.room.name, user: this.userId, code, reason }, 'closing connection');
    this.room.removePeer(this);
    this.ws.close(code, reason);
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
    const { metrics, log, limits } = this.shared;
    const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    metrics.bytesIn.inc(undefined, frame.byteLength);
    this.refill(limits);
    if (this.messageTokens < 1 || this.byteTokens < frame.byteLength) {
      this.closeWith(CloseEvents.rateLimited, 'rate-limited');
      return;
    }
    this.messageTokens -= 1;
    this.byteTokens -= frame.byteLength;
    const { room } = this;
    if (room.closing) return; // shutting down: the client resyncs after reconnecting
    try {
      const message = decodeIncoming(frame);
      metrics.messagesIn.inc({ type: message.type });
      switch (message.type) {
        case 'sync-step1':
          if (this.syncTokens < 1) {
            this.closeWith(CloseEvents.tooManySyncRequests, 'rate-limited');
            return;
          }
          this.syncTokens -= 1;
          room.sendMissing(this, message.stateVector);
          break;
        case 'sync-step2':
        case 'sync-update':
          this.handleIncomingUpdate(message.update);
          break;
        case 'awareness':
          for (const reason of room.applyAwarenessFromPeer(this, message.entries)) metrics.refusals.inc({ reason });
          break;
        case 'query-awareness':
          room.sendAwareness(this);
          break;
      }
    } catch (error) {
      if (!(error instanceof MalformedFrameError)) log.warn({ err: error, room: room.name }, 'unexpected error handling a frame');
      this.closeWith(CloseEvents.badRequest, 'malformed');
    }
  }

  /** Called once, when the socket has closed (whoever closed it). */
  socketClosed(): void {
    if (!this.closed) {
      this.closed = true;
      this.room.removePeer(this);
    }
    this.shared.onClosed(this);
  }

  /** Called for a socket error; ws closes the socket itself. */
  socketError(error: Error): void {
    this.shared.log.debug({ err: error, room: this.room.name }, 'socket error');
  }

  /** Static (the connection is passed to setImmediate) so that corking allocates no closure. */
  private static uncork(connection: Connection): void {
    connection.corked = false;
    netSocketOf(connection.ws)?.uncork();
  }

  /** Refills the three buckets up to now. */
  private refill(limits: RelayLimits): void {
    const now = performance.now();
    const elapsed = now - this.refilledAt;
    this.refilledAt = now;
    this.messageTokens = refill(this.messageTokens, limits.messageBurst, limits.messagesPerSecond, elapsed);
    this.byteTokens = refill(this.byteTokens, limits.byteBurst, limits.bytesPerSecond, elapsed);
    this.syncTokens = refill(this.syncTokens, SYNC_REQUEST_BURST, limits.syncRequestsPerMinute / 60, elapsed);
  }

  /** Hands an incoming update to the accept path (accept-update.ts) and closes the connection if it is refused. */
  private handleIncomingUpdate(update: Uint8Array): void {
    const { metrics, checkUpdate } = this.shared;
    const sender = { peer: this, user: { id: this.userId, name: this.userName }, role: this.role };
    const outcome = acceptUpdate(this.room, sender, update, checkUpdate);
    if (outcome.accepted) {
      if (!outcome.empty) metrics.updatesIn.inc();
      return;
    }
    const rule = ruleOf(outcome.error);
    metrics.writeRefusals.inc({ rule });
    const { event, detail } = refusalCloseOf(outcome.error);
    this.closeWith(event, 'forbidden-write', detail);
  }
}

/** The net socket under a ws socket (ws keeps it in a private field), for corking. */
const netSocketOf = (ws: RelaySocket) => (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;

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
