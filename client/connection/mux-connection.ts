// The relay connection of one conversation over the shared multiplexed socket: the Yjs sync and awareness of one document.
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import { CloseCode } from '../../shared/close-codes.js';
import { MessageType } from '../../shared/protocol.js';
import { backoffDelay, DEFAULT_BACKOFF, rateLimitedSchedule, type BackoffOptions } from '../backoff.js';
import type { TokenClaims } from '../token.js';
import type { ConnectionEvents, ConnectionState, ConnectionStats, GetToken, SyncConnection } from './connection-state.js';
import { muxSocketFor, type MuxAttachment, type MuxSocket, type MuxSocketState } from './mux-socket.js';
import { isCaughtUp } from './room-connection.js';
import { browserOffline } from './network-signals.js';
import { syncTabs } from './tab-sync.js';
import type { RelayUrls } from './relay-url.js';

export interface MuxConnectionOptions extends ConnectionEvents {
  /** The relay, or several relays of one cluster (the shared socket moves to the next when it is lost). */
  relayUrl: RelayUrls;
  room: string;
  /** Channel name for live sync with the user's other tabs; scoped by user so two accounts in one browser never mix. */
  broadcastChannel: string;
  doc: Y.Doc;
  awareness: awarenessProtocol.Awareness;
  getToken: GetToken;
  userId: string;
  backoff?: BackoffOptions;
}

/**
 * One document on the user's shared socket (mux-socket.ts). Speaks the y-websocket protocol for it exactly as the
 * stock provider does on a per-room socket: on attach, sync step 1 and this client's awareness state; answers the
 * relay's step 1; `synced` on its step 2; local updates and own awareness changes go out while attached; durable
 * acks (type 100) and the relay's step-1 state vector feed the conversation's durable acks. A refusal of this
 * document (`refused`) is final for 4403/4404 and retried with backoff otherwise; the other documents carry on.
 */
export class MuxConnection implements SyncConnection, MuxAttachment {
  state: ConnectionState = { status: 'connecting', synced: false, attempt: 0 };
  readonly stats: ConnectionStats = { bytesIn: 0, bytesOut: 0, currentBytesIn: 0, currentBytesOut: 0, opens: 0 };
  readonly doc: string;
  private readonly options: MuxConnectionOptions;
  private readonly socket: MuxSocket;
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private relayStateVector: Map<number, number> | undefined;
  /** Set while this document is refused: final (4403/4404) or waiting for a re-attach. */
  private refusal: { code: number; reason: string; final: boolean; retryAt?: number } | undefined;
  private refusals = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly onUpdate: (update: Uint8Array, origin: unknown) => void;
  private readonly onAwareness: (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void;
  private readonly stopTabSync: () => void;

  constructor(options: MuxConnectionOptions) {
    this.options = options;
    this.doc = options.room;
    this.onUpdate = (update, origin) => {
      if (origin === this) return;
      this.sendY((encoder) => {
        encoding.writeVarUint(encoder, MessageType.sync);
        syncProtocol.writeUpdate(encoder, update);
      });
    };
    this.onAwareness = ({ added, updated, removed }) => {
      const self = options.doc.clientID;
      if (added.includes(self) || updated.includes(self) || removed.includes(self)) this.sendOwnAwareness();
    };
    options.doc.on('update', this.onUpdate);
    options.awareness.on('update', this.onAwareness);
    // Applied with this connection as origin: another tab's writes reach the relay through that tab.
    this.stopTabSync = syncTabs(options.broadcastChannel, options.doc, options.awareness, this);
    this.socket = muxSocketFor(options.relayUrl, options.userId, options.room, options.getToken, options.backoff);
    this.socket.attach(this);
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isRemoteOrigin(origin: unknown): boolean {
    return origin === this;
  }

  isCaughtUp(): boolean {
    return isCaughtUp(this.state, this.relayStateVector, this.options.doc);
  }

  reconnect(): void {
    if (this.closed || this.refusal?.final || this.state.status === 'forbidden') return;
    if (this.refusal) {
      clearTimeout(this.retryTimer);
      this.reattach();
      return;
    }
    this.socket.reconnect();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    // Peers see this client leave at once (the stock provider does the same on disconnect).
    if (this.socket.isLive(this.doc)) {
      this.sendY((encoder) => {
        encoding.writeVarUint(encoder, MessageType.awareness);
        encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.options.awareness, [this.options.doc.clientID], new Map()));
      });
    }
    this.options.doc.off('update', this.onUpdate);
    this.options.awareness.off('update', this.onAwareness);
    this.stopTabSync();
    this.socket.detach(this);
    this.setState({ ...this.state, status: 'closed', synced: false });
  }

  // ---- MuxAttachment: what the socket tells this document ----

  attached(): void {
    this.refusal = undefined;
    this.relayStateVector = undefined;
    this.stats.opens++;
    this.stats.currentBytesIn = 0;
    this.stats.currentBytesOut = 0;
    this.setState({ status: 'connected', synced: false, attempt: this.state.attempt });
    this.sendY((encoder) => {
      encoding.writeVarUint(encoder, MessageType.sync);
      syncProtocol.writeSyncStep1(encoder, this.options.doc);
    });
    if (this.options.awareness.getLocalState() !== null) this.sendOwnAwareness();
  }

  message(decoder: decoding.Decoder, size: number): void {
    if (this.closed) return;
    this.stats.bytesIn += size;
    this.stats.currentBytesIn += size;
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MessageType.sync: {
        // The relay's step 1 says what it held when this document was attached: durable for those structs (see
        // RoomConnection) and what "caught up" means.
        const peek = decoding.createDecoder(decoder.arr.subarray(decoder.pos));
        if (decoding.readVarUint(peek) === syncProtocol.messageYjsSyncStep1) {
          this.relayStateVector = Y.decodeStateVector(decoding.readVarUint8Array(peek));
          this.options.onDurable(this.relayStateVector);
        }
        const reply = encoding.createEncoder();
        encoding.writeVarUint(reply, MessageType.sync);
        const kind = syncProtocol.readSyncMessage(decoder, reply, this.options.doc, this);
        if (encoding.length(reply) > 1) this.sendBytes(encoding.toUint8Array(reply));
        if (kind === syncProtocol.messageYjsSyncStep2 && !this.state.synced) {
          this.refusals = 0;
          this.setState({ status: 'connected', synced: true, attempt: 0 });
        }
        return;
      }
      case MessageType.awareness:
        awarenessProtocol.applyAwarenessUpdate(this.options.awareness, decoding.readVarUint8Array(decoder), this);
        return;
      case MessageType.queryAwareness:
        this.sendOwnAwareness();
        return;
      case MessageType.durableAck:
        this.options.onDurable(Y.decodeStateVector(decoding.readVarUint8Array(decoder)));
        return;
      default:
        return;
    }
  }

  refused(code: number, reason: string): void {
    if (this.closed) return;
    this.relayStateVector = undefined;
    this.dropRemoteAwareness();
    if (code === CloseCode.forbidden || code === CloseCode.roomDeleted) {
      this.refusal = { code, reason, final: true };
      this.socket.detach(this); // never attached again; the socket closes if it was the last document
      this.setState({ status: code === CloseCode.forbidden ? 'forbidden' : 'deleted', synced: false, attempt: this.state.attempt, code, reason });
      return;
    }
    // Transient (4429, 1011, 1013, 4413, 4400 …): this document alone waits and attaches again.
    const schedule = code === CloseCode.rateLimited ? rateLimitedSchedule(this.options.backoff) : (this.options.backoff ?? DEFAULT_BACKOFF);
    const delay = backoffDelay(this.refusals++, schedule);
    this.refusal = { code, reason, final: false, retryAt: Date.now() + delay };
    this.setState({ status: 'offline', synced: false, attempt: this.state.attempt + 1, code, reason, retryAt: Date.now() + delay });
    clearTimeout(this.retryTimer);
    if (!browserOffline()) this.retryTimer = setTimeout(() => this.reattach(), delay);
  }

  socketState(socket: MuxSocketState): void {
    if (this.closed || this.refusal?.final) return;
    if (!socket.ready) {
      this.relayStateVector = undefined;
      this.dropRemoteAwareness();
      const { status, attempt, code, reason, retryAt } = socket;
      this.setState({
        status: status === 'connected' || status === 'closed' ? 'connecting' : status,
        synced: false,
        attempt,
        ...(code !== undefined ? { code } : {}),
        ...(reason !== undefined ? { reason } : {}),
        ...(retryAt !== undefined ? { retryAt } : {}),
      });
    }
    // Ready: `attached()` follows for this document.
  }

  token(claims: TokenClaims | undefined): void {
    this.options.onToken?.(claims);
  }

  // ---- internals ----

  private reattach(): void {
    if (this.closed || this.refusal?.final) return;
    this.refusal = undefined;
    this.socket.reattach(this);
  }

  private sendOwnAwareness(): void {
    this.sendY((encoder) => {
      encoding.writeVarUint(encoder, MessageType.awareness);
      encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.options.awareness, [this.options.doc.clientID]));
    });
  }

  /** Other clients' awareness goes with the attachment (the stock provider does the same on a close). */
  private dropRemoteAwareness(): void {
    const others = [...this.options.awareness.getStates().keys()].filter((client) => client !== this.options.doc.clientID);
    if (others.length > 0) awarenessProtocol.removeAwarenessStates(this.options.awareness, others, this);
  }

  private sendY(write: (encoder: encoding.Encoder) => void): void {
    const encoder = encoding.createEncoder();
    write(encoder);
    this.sendBytes(encoding.toUint8Array(encoder));
  }

  private sendBytes(ymessage: Uint8Array): void {
    const size = this.socket.send(this.doc, ymessage);
    this.stats.bytesOut += size;
    this.stats.currentBytesOut += size;
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
