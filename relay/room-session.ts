// One peer's session in one room, whatever carries it (a per-room socket or a multiplexed attachment): rate limits, message dispatch, the accept path.
import type { Logger } from 'pino';
import { CloseEvents, type CloseEvent } from '../shared/close-codes.js';
import type { Role } from '../shared/protocol.js';
import type { Room, RoomPeer } from './room.js';
import { constantLabels, type Metrics } from './metrics.js';
import type { RelayLimits } from './options.js';
import { refill } from './token-bucket.js';
import { MalformedFrameError, decodeIncoming, type IncomingMessage } from './protocol-messages.js';
import { acceptUpdate } from './accept-update.js';
import { refusalCloseOf, ruleOf, type CheckUpdate } from './write-check.js';
import { checkAwarenessEntries } from './awareness-check.js';

/** What every session of one relay shares: created once per relay, so each session holds one reference. */
export interface SessionShared {
  limits: RelayLimits;
  metrics: Metrics;
  log: Logger;
  checkUpdate: CheckUpdate;
}

/** What a session keeps from its token: not the claims, nor the grants once the role is resolved. */
export interface SessionUser {
  /** `sub`. */
  id: string;
  name: string;
  /** The role the token grants on this room; undefined when the room's roster let the user in (shared/roster.ts). */
  role: Role | undefined;
}

/** The messages-in metric's label of each message type, built once (metrics.ts constantLabels). */
const MESSAGE_TYPE_LABELS: Readonly<Record<IncomingMessage['type'], Readonly<{ type: string }>>> = {
  'sync-step1': constantLabels({ type: 'sync-step1' }),
  'sync-step2': constantLabels({ type: 'sync-step2' }),
  'sync-update': constantLabels({ type: 'sync-update' }),
  awareness: constantLabels({ type: 'awareness' }),
  'query-awareness': constantLabels({ type: 'query-awareness' }),
};

/** The sync-request bucket's burst (its rate is `syncRequestsPerMinute`). */
const SYNC_REQUEST_BURST = 10;

/**
 * The room side of a peer: it answers and applies the y-websocket messages of one room (the accept path in
 * accept-update.ts, awareness checks, catch-ups) under per-session rate limits, and leaves how frames travel
 * and how a refusal is delivered to its subclass. State lives in fields with methods on the prototype: idle
 * sessions are most of what a relay holds (closures and an object per rate limit cost ≈2.7 KB more each).
 */
export abstract class RoomSession implements RoomPeer {
  readonly ownedClients = new Set<number>();
  lastWriteSeq = 0;
  readonly room: Room;
  readonly wantsAcks: boolean;
  readonly userId: string;
  protected userName: string;
  protected role: Role | undefined;
  protected closed = false;
  protected readonly shared: SessionShared;
  // The three rate-limit buckets (token-bucket.ts), refilled together from one clock reading.
  private messageTokens: number;
  private byteTokens: number;
  // Answering a step 1 encodes (part of) the document: cheap to ask, costly to answer, so it has its own budget.
  private syncTokens: number;
  private refilledAt: number;

  constructor(room: Room, user: SessionUser, wantsAcks: boolean, shared: SessionShared) {
    this.room = room;
    this.userId = user.id;
    this.userName = user.name;
    this.role = user.role;
    this.wantsAcks = wantsAcks;
    this.shared = shared;
    this.messageTokens = shared.limits.messageBurst;
    this.byteTokens = shared.limits.byteBurst;
    this.syncTokens = SYNC_REQUEST_BURST;
    this.refilledAt = performance.now();
  }

  /** Whether the session still serves its peer. */
  get open(): boolean {
    return !this.closed;
  }

  abstract send(frame: Uint8Array, kind: 'update' | 'catch-up' | 'other'): boolean;
  abstract close(code: number, reason: string): void;

  /** Ends the session with a named close event (`refusal` is counted in the refusals metric). */
  protected abstract refuse(event: CloseEvent, refusal: string, detail?: string): void;

  /** Sends what a peer at `stateVector` is missing (in bounded pieces as the transport drains). */
  protected abstract catchUp(stateVector: Uint8Array): void;

  /** Handles one y-websocket message of this room. */
  protected handleMessage(frame: Uint8Array): void {
    if (this.closed) return;
    const { metrics, log, limits } = this.shared;
    this.refill(limits);
    if (this.messageTokens < 1 || this.byteTokens < frame.byteLength) {
      this.refuse(CloseEvents.rateLimited, 'rate-limited');
      return;
    }
    this.messageTokens -= 1;
    this.byteTokens -= frame.byteLength;
    const { room } = this;
    if (room.closing) return; // shutting down: the client resyncs after reconnecting
    try {
      const message = decodeIncoming(frame);
      metrics.messagesIn.inc(MESSAGE_TYPE_LABELS[message.type]);
      switch (message.type) {
        case 'sync-step1':
          if (this.syncTokens < 1) {
            this.refuse(CloseEvents.tooManySyncRequests, 'rate-limited');
            return;
          }
          this.syncTokens -= 1;
          this.catchUp(message.stateVector);
          break;
        case 'sync-step2':
        case 'sync-update':
          this.handleIncomingUpdate(message.update);
          break;
        case 'awareness': {
          const { accepted, refused } = checkAwarenessEntries(message.entries, this.userId, this.userName, limits.maxAwarenessStateBytes);
          for (const reason of refused) metrics.refusals.inc({ reason });
          if (accepted.length > 0) for (const reason of room.applyAwarenessFromPeer(this, accepted)) metrics.refusals.inc({ reason });
          break;
        }
        case 'query-awareness':
          room.sendAwareness(this);
          break;
      }
    } catch (error) {
      if (!(error instanceof MalformedFrameError)) log.warn({ err: error, room: room.name }, 'unexpected error handling a frame');
      this.refuse(CloseEvents.badRequest, 'malformed');
    }
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

  /** Hands an incoming update to the accept path (accept-update.ts) and ends the session if it is refused. */
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
    this.refuse(event, 'forbidden-write', detail);
  }
}

