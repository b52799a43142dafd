// Accepts WebSocket upgrades on /rooms/:room: verifies the token and loads the room before any frame is read.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import { CloseEvents, type CloseEvent } from '../shared/close-codes.js';
import { isValidRoomName } from '../shared/ids.js';
import { type Role } from '../shared/protocol.js';
import { ACCOUNT_ALIAS } from '../shared/account.js';
import type { RosterRole } from '../shared/roster.js';
import { effectiveRole, resolveRoomName, type Membership } from './membership/index.js';
import { TokenError, type Identity, type VerifyToken } from './auth.js';
import type { RoomManager } from './room-manager.js';
import type { Metrics } from './metrics.js';
import type { RelayLimits } from './options.js';
import type { CheckUpdate } from './write-check.js';
import type { Room } from './room.js';
import { attachConnection, type Connection, type ConnectionShared } from './connection.js';
import { ExpirySweep, type Expiring } from './expiry-sweep.js';
import { relaySocketClass, type RelaySocket } from './relay-socket.js';
import { onSocketPong, startHeartbeat } from './heartbeat.js';
import { MuxSocket, onMuxMessage, type MuxShared } from './mux-session.js';
import { AddressSlots } from './connection-gate.js';

export interface UpgradeDeps {
  verifyToken: VerifyToken;
  rooms: RoomManager;
  limits: RelayLimits;
  metrics: Metrics;
  log: Logger;
  checkUpdate: CheckUpdate;
  /** Membership: told of every connection (roster watch, conversation lists). */
  membership?: Membership;
  /** False once shutdown began. */
  accepting: () => boolean;
}

/** The upgrade handler plus what shutdown needs. */
export interface UpgradeHandler {
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open sockets (authenticated or about to be closed with a code). */
  readonly sockets: Set<WebSocket>;
  /** Connections per user, for the per-user limit and metrics. */
  readonly connections: number;
  /** Closes every /sync socket with 1012 (shutdown; their documents were refused 1012 as their rooms closed). */
  closeMultiplexed(): void;
  /** Terminates sockets that did not finish their close handshake. */
  terminateAll(): void;
}

type Outcome =
  | { ok: true; identity: Identity; role: Role | undefined; effective: RosterRole; room: Room; wantsAcks: boolean }
  | { ok: false; code: number; reason: string; refusal: string };

/** A refused upgrade: closed with `event` once upgraded, counted as `refusal`. */
const refuse = (event: CloseEvent, refusal: string): Outcome => ({ ok: false, code: event.code, reason: event.reason, refusal });

/** A module-level listener, so that it keeps no upgrade request alive for the socket's lifetime. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Every socket's one `error` listener (`this` is the socket); a refused socket's errors are ignored. */
function onSocketError(this: WebSocket, error: Error): void {
  (this as RelaySocket).connection?.socketError(error);
}

const rejectHttp = (socket: Duplex, status: number, text: string) => {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy();
};

/** Splits a raw request target without URL normalisation (which would resolve `..`); returns the room segment. */
export const parseRoomTarget = (target: string): { room: string; query: URLSearchParams } | undefined => {
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
  if (!path.startsWith('/rooms/')) return undefined;
  return { room: path.slice('/rooms/'.length), query };
};

/** Whether a request target is the multiplexed endpoint (`/sync`, any query ignored: no token ever goes in a URL). */
const isSyncTarget = (target: string): boolean => {
  const q = target.indexOf('?');
  return (q === -1 ? target : target.slice(0, q)) === '/sync';
};

/** Creates the upgrade handler around a `ws` server in no-server mode. */
export const createUpgradeHandler = (deps: UpgradeDeps): UpgradeHandler => {
  const { limits, metrics, log } = deps;
  // ws closes oversized frames with 1009; Parley's contract names that 4413 (see relay-socket.ts).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    WebSocket: relaySocketClass(() => metrics.refusals.inc({ reason: 'frame-too-large' })),
  });
  const sockets = new Set<RelaySocket>();
  const perUser = new Map<string, number>();
  let pending = 0;
  let connections = 0;
  // Upgrades waiting for their token check (a /sync socket: for its first `auth` frame), per remote address, so that
  // one address cannot hold every `maxPendingUpgrades` slot for a whole `upgradeTimeoutMs`.
  const upgradeSlots = new AddressSlots(limits.maxPendingSocketsPerIp);

  const releaseUser = (id: string) => {
    const n = (perUser.get(id) ?? 1) - 1;
    if (n <= 0) perUser.delete(id);
    else perUser.set(id, n);
  };

  /** Decides what to do with the upgrade; acquires a user slot and the room on success. */
  const decide = async (room: string, query: URLSearchParams): Promise<Outcome> => {
    if (!isValidRoomName(room)) return refuse(CloseEvents.invalidRoomName, 'bad-room-name');
    const token = query.get('token');
    if (token === null || token.length === 0) {
      return refuse(CloseEvents.tokenRequired, 'no-token');
    }
    let identity: Identity;
    try {
      identity = await deps.verifyToken(token);
    } catch (error) {
      // The verifier's message says what is wrong (`token expired`, `signature verification failed`).
      return { ...refuse(CloseEvents.unauthorized, 'bad-token'), ...(error instanceof TokenError ? { reason: error.message } : {}) };
    }
    // Access = the token's grant or the room's roster (relay/membership/access.ts): the room is loaded to read it.
    const name = await resolveRoomName(room, identity);
    if (name === undefined) return refuse(CloseEvents.notYourAccount, 'not-your-account');
    const count = perUser.get(identity.id) ?? 0;
    if (count >= limits.connectionsPerUser) {
      return refuse(CloseEvents.tooManyConnections, 'too-many-connections');
    }
    perUser.set(identity.id, count + 1);
    try {
      const loaded = await deps.rooms.acquire(name);
      const access = effectiveRole(identity, loaded, room === ACCOUNT_ALIAS ? name : undefined);
      if (access.role === undefined || access.role === 'banned') {
        deps.rooms.release(loaded);
        releaseUser(identity.id);
        return access.role === 'banned' ? refuse(CloseEvents.banned, 'banned') : refuse(CloseEvents.forbidden, 'no-access');
      }
      return { ok: true, identity, role: access.grant, effective: access.role, room: loaded, wantsAcks: query.get('acks') === '1' };
    } catch {
      releaseUser(identity.id);
      if (!deps.accepting()) return refuse(CloseEvents.shuttingDown, 'shutting-down');
      // Never serve a room that failed to load (an empty one would overwrite its data later).
      return refuse(CloseEvents.roomUnavailable, 'room-unavailable');
    }
  };

  const shared: ConnectionShared = {
    limits,
    metrics,
    log,
    checkUpdate: deps.checkUpdate,
    onWrite: (bytes) => metrics.bytesOut.inc(undefined, bytes),
    onClosed: (connection: Connection) => {
      connections--;
      releaseUser(connection.userId);
      deps.rooms.release(connection.room);
    },
  };

  // Token expiry: one timer for all connections instead of one each.
  const expiry = new ExpirySweep(function* (): Iterable<Expiring> {
    for (const ws of sockets) {
      if (ws.connection?.open) yield ws.connection;
      else if (ws.mux?.open) yield ws.mux;
    }
  });

  // /sync sockets count as pending upgrades until their first token checks out (then as one connection of the user).
  // Each with the address slot it holds until then.
  const unauthenticated = new WeakMap<MuxSocket, string | undefined>();
  const authDone = (mux: MuxSocket) => {
    if (!unauthenticated.has(mux)) return;
    upgradeSlots.release(unauthenticated.get(mux));
    unauthenticated.delete(mux);
    pending--;
  };
  const muxShared: MuxShared = {
    limits,
    metrics,
    log,
    checkUpdate: deps.checkUpdate,
    verifyToken: deps.verifyToken,
    rooms: deps.rooms,
    ...(deps.membership ? { membership: deps.membership } : {}),
    onWrite: (bytes) => metrics.bytesOut.inc(undefined, bytes),
    acquireUser: (mux, userId) => {
      authDone(mux);
      const count = perUser.get(userId) ?? 0;
      if (count >= limits.connectionsPerUser) return false;
      perUser.set(userId, count + 1);
      connections++;
      return true;
    },
    onClosed: (mux, userId) => {
      authDone(mux);
      if (userId === undefined) return;
      connections--;
      releaseUser(userId);
    },
    watchExpiry: (expiresAt) => expiry.add(expiresAt),
  };

  // One timer pings every socket; those that miss pongs are cut (their close event then frees their slots).
  const heartbeat = startHeartbeat(() => sockets, limits.heartbeatIntervalMs, limits.heartbeatMisses, () =>
    metrics.refusals.inc({ reason: 'heartbeat-timeout' }),
  );

  /** Every socket's one `close` listener (`this` is the socket): shared, so that it costs no closure per socket. */
  function onSocketClose(this: WebSocket): void {
    sockets.delete(this as RelaySocket);
    (this as RelaySocket).connection?.socketClosed();
    (this as RelaySocket).mux?.socketClosed();
  }

  const undo = (outcome: Outcome) => {
    if (!outcome.ok) return;
    releaseUser(outcome.identity.id);
    deps.rooms.release(outcome.room);
  };

  /**
   * Runs once the socket is a WebSocket. Kept outside `handle` so that nothing a connection keeps alive
   * holds on to the upgrade request (which carries the token in its URL) or its buffers.
   */
  const onUpgraded = (ws: RelaySocket, result: Outcome) => {
    sockets.add(ws);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
    ws.on('pong', onSocketPong);
    if (!result.ok) {
      metrics.refusals.inc({ reason: result.refusal });
      ws.closeNow(result.code, result.reason);
      return;
    }
    connections++;
    const { identity } = result;
    // Only what the connection needs from the token: not the claims, nor the room grants.
    const user = { id: identity.id, name: identity.name, role: result.role, expiresAt: identity.expiresAt };
    const connection = attachConnection(ws, result.room, user, result.wantsAcks, shared);
    deps.membership?.connected(result.room, connection, result.role, result.effective);
    if (connection.open) expiry.add(connection.expiresAt);
  };

  /** A /sync socket: authenticated in band by its first frame (mux-session.ts). */
  const onMuxUpgraded = (ws: RelaySocket, slot: string | undefined) => {
    sockets.add(ws);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
    ws.on('pong', onSocketPong);
    const mux = new MuxSocket(ws, muxShared);
    unauthenticated.set(mux, slot);
    ws.mux = mux;
    ws.on('message', onMuxMessage);
  };

  const refuseFromAddress = (socket: Duplex) => {
    metrics.refusals.inc({ reason: 'too-many-pending-upgrades-per-ip' });
    rejectHttp(socket, 503, 'Service Unavailable');
  };

  const handle = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError);
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return rejectHttp(socket, 400, 'Bad Request');
    if (isSyncTarget(req.url ?? '/')) {
      if (!deps.accepting()) return rejectHttp(socket, 503, 'Service Unavailable');
      if (pending >= limits.maxPendingUpgrades) {
        metrics.refusals.inc({ reason: 'too-many-pending' });
        return rejectHttp(socket, 503, 'Service Unavailable');
      }
      const slot = upgradeSlots.take((socket as Socket).remoteAddress);
      if (slot === null) return refuseFromAddress(socket);
      pending++;
      let upgraded = false;
      wss.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true;
        onMuxUpgraded(ws as RelaySocket, slot);
      });
      // ws answers a bad handshake (key, version, a half-closed socket) itself, without calling back: free the slots.
      if (!upgraded) {
        pending--;
        upgradeSlots.release(slot);
      }
      return;
    }
    const target = parseRoomTarget(req.url ?? '/');
    if (!target) return rejectHttp(socket, 404, 'Not Found');
    if (!deps.accepting()) return rejectHttp(socket, 503, 'Service Unavailable');
    if (pending >= limits.maxPendingUpgrades) {
      metrics.refusals.inc({ reason: 'too-many-pending' });
      return rejectHttp(socket, 503, 'Service Unavailable');
    }
    const slot = upgradeSlots.take((socket as Socket).remoteAddress);
    if (slot === null) return refuseFromAddress(socket);
    pending++;
    // Until the token checks out nothing is read from the socket: ws has not been attached to it yet.
    const timeout = setTimeout(() => socket.destroy(), limits.upgradeTimeoutMs);
    void decide(target.room, target.query).then((outcome) => {
      pending--;
      upgradeSlots.release(slot);
      clearTimeout(timeout);
      if (socket.destroyed) return undo(outcome);
      if (outcome.ok && !deps.accepting()) {
        undo(outcome);
        outcome = refuse(CloseEvents.shuttingDown, 'shutting-down');
      }
      const result = outcome;
      let upgraded = false;
      wss.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true;
        onUpgraded(ws as RelaySocket, result);
      });
      // ws refused the handshake itself (bad key or version, a half-closed socket): give back the user slot and room.
      if (!upgraded) undo(result);
    }).catch((error: unknown) => {
      log.error({ err: error }, 'upgrade failed');
      socket.destroy();
    });
  };

  return {
    handle,
    sockets,
    get connections() {
      return connections;
    },
    closeMultiplexed() {
      for (const ws of sockets) ws.mux?.closeWith(CloseEvents.shuttingDown);
    },
    terminateAll() {
      expiry.stop();
      heartbeat.stop();
      for (const ws of sockets) ws.terminate();
      wss.close();
    },
  };
};
