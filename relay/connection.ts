// One authenticated WebSocket in a room: rate limits, frame dispatch, the write check, and its close codes.
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import { CloseCode, type Role } from '../shared/protocol.js';
import type { Room, RoomPeer } from './room.js';
import type { Identity } from './auth.js';
import type { Metrics } from './metrics.js';
import type { RelayLimits } from './options.js';
import { createTokenBucket } from './token-bucket.js';
import { MalformedFrameError, decodeIncoming, isEmptyUpdate } from './protocol-messages.js';
import { closeCodeOf, ruleOf, type CheckUpdate } from './write-check.js';

export interface ConnectionDeps {
  ws: WebSocket;
  room: Room;
  identity: Identity;
  role: Role;
  wantsAcks: boolean;
  limits: RelayLimits;
  metrics: Metrics;
  log: Logger;
  checkUpdate: CheckUpdate;
  /** Called once, when the socket has closed for any reason. */
  onClosed: () => void;
}

/** The longest a timer may wait (setTimeout's limit); later expiries re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

/** Attaches the protocol to an open socket and joins the room. Returns the peer (for tests and shutdown). */
export const attachConnection = (deps: ConnectionDeps): RoomPeer => {
  const { ws, room, identity, role, limits, metrics, log } = deps;
  const messages = createTokenBucket(limits.messagesPerSecond, limits.messageBurst);
  const bytes = createTokenBucket(limits.bytesPerSecond, limits.byteBurst);
  // Answering a step 1 encodes (part of) the document: cheap to ask, costly to answer, so it has its own budget.
  const syncRequests = createTokenBucket(limits.syncRequestsPerMinute / 60, 10);
  let closed = false;
  let expiryTimer: NodeJS.Timeout | undefined;
  // Frames sent while one batch of incoming messages is processed leave in one write instead of one syscall each.
  const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket?.uncork();
  };

  const close = (code: number, reason: string, refusal?: string) => {
    if (closed) return;
    closed = true;
    if (refusal) metrics.refusals.inc({ reason: refusal });
    log.debug({ room: room.name, user: identity.id, code, reason }, 'closing connection');
    room.removePeer(peer);
    ws.close(code, reason);
  };

  const peer: RoomPeer = {
    userId: identity.id,
    wantsAcks: deps.wantsAcks,
    ownedClients: new Set(),
    lastWriteSeq: 0,
    send(frame, kind) {
      if (closed || ws.readyState !== ws.OPEN) return false;
      // A reader that cannot keep up is closed rather than buffered for without bound. A catch-up is
      // exempt: it is bounded by the document, which the relay holds anyway, and may exceed the budget.
      if (kind !== 'catch-up' && ws.bufferedAmount > limits.maxBufferedBytes) {
        close(CloseCode.rateLimited, 'slow consumer: too much data waiting', 'slow-consumer');
        return false;
      }
      if (!corked && socket) {
        corked = true;
        socket.cork();
        setImmediate(uncork);
      }
      ws.send(frame);
      metrics.bytesOut.inc(undefined, frame.byteLength);
      if (kind !== 'other') metrics.updatesOut.inc();
      return true;
    },
    close(code, reason) {
      close(code, reason);
    },
  };

  /** Where the write check runs: after decoding, before the update is applied, stored or forwarded. */
  const handleIncomingUpdate = (update: Uint8Array): void => {
    if (isEmptyUpdate(update)) {
      // e.g. an up-to-date client's (or a reader's) empty sync step 2: nothing to check or store, but acked.
      room.acknowledge(peer);
      return;
    }
    try {
      deps.checkUpdate({ room: room.name, doc: room.doc, update, user: { id: identity.id, name: identity.name }, role });
    } catch (error) {
      const rule = ruleOf(error);
      metrics.writeRefusals.inc({ rule });
      close(closeCodeOf(error), `write refused: ${rule}`, 'forbidden-write');
      return;
    }
    try {
      room.applyFromPeer(peer, update);
    } catch (error) {
      // Yjs rejected an update that decoded: treat as malformed, the room keeps what it had.
      throw new MalformedFrameError(`update could not be applied: ${(error as Error).message}`);
    }
    metrics.updatesIn.inc();
  };

  const onMessage = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    if (closed) return;
    if (!isBinary) {
      close(CloseCode.badRequest, 'text frames are not part of the protocol', 'malformed');
      return;
    }
    const frame = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    metrics.bytesIn.inc(undefined, frame.byteLength);
    if (!messages.take(1) || !bytes.take(frame.byteLength)) {
      close(CloseCode.rateLimited, 'rate limit exceeded', 'rate-limited');
      return;
    }
    if (room.closing) return; // shutting down: the client resyncs after reconnecting
    try {
      const message = decodeIncoming(frame);
      metrics.messagesIn.inc({ type: message.type });
      switch (message.type) {
        case 'sync-step1':
          if (!syncRequests.take(1)) {
            close(CloseCode.rateLimited, 'too many sync requests', 'rate-limited');
            return;
          }
          room.sendMissing(peer, message.stateVector);
          break;
        case 'sync-step2':
        case 'sync-update':
          handleIncomingUpdate(message.update);
          break;
        case 'awareness':
          for (const reason of room.applyAwarenessFromPeer(peer, message.entries)) metrics.refusals.inc({ reason });
          break;
        case 'query-awareness':
          room.sendAwareness(peer);
          break;
      }
    } catch (error) {
      if (!(error instanceof MalformedFrameError)) log.warn({ err: error, room: room.name }, 'unexpected error handling a frame');
      close(CloseCode.badRequest, 'malformed frame', 'malformed');
    }
  };

  const armExpiry = () => {
    const wait = identity.expiresAt - Date.now();
    if (wait <= 0) {
      close(CloseCode.unauthorized, 'token expired', 'token-expired');
      return;
    }
    expiryTimer = setTimeout(armExpiry, Math.min(wait, MAX_TIMER_MS));
  };

  ws.on('message', onMessage);
  ws.on('error', (error) => log.debug({ err: error, room: room.name }, 'socket error'));
  ws.once('close', () => {
    if (expiryTimer) clearTimeout(expiryTimer);
    if (!closed) {
      closed = true;
      room.removePeer(peer);
    }
    deps.onClosed();
  });

  metrics.connectionsOpened.inc();
  room.addPeer(peer);
  armExpiry();
  return peer;
};
