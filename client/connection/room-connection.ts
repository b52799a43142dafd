// The relay connection of one conversation over the per-room endpoint: the patched provider driven by the close policy.
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import type { BackoffOptions } from '../backoff.js';
import type { ConnectionEvents, ConnectionState, ConnectionStats, GetToken, SyncConnection } from './connection-state.js';
import { watchNetwork } from './network-signals.js';
import { Reconnector } from './reconnector.js';
import { relayBases, roomsUrl, type RelayUrls } from './relay-url.js';
import { RoomProvider } from './y-websocket-internals.js';

export interface RoomConnectionOptions extends ConnectionEvents {
  /**
   * Base URL of the relay (`ws://`, `wss://`, `http://` or `https://`); the room path is appended. A list names
   * several relays of one cluster: a lost connection moves to the next one.
   */
  relayUrl: RelayUrls;
  room: string;
  doc: Y.Doc;
  awareness: Awareness;
  getToken: GetToken;
  /** The user this replica writes as: tokens for anyone else are refused locally. */
  userId: string;
  /** Channel name for y-websocket's cross-tab sync; scoped by user so two accounts in one browser never mix. */
  broadcastChannel: string;
  backoff?: BackoffOptions;
  /**
   * Idle time before a heartbeat is sent, silence after which an open socket is taken as dead, and how long a
   * socket may take to open (default 4 s, 10 s, 10 s).
   */
  heartbeat?: Heartbeat;
}

const SWAP_REASON = 'parley: token refresh';
export interface Heartbeat {
  idleMs: number;
  deadMs: number;
  openTimeoutMs: number;
}
export const DEFAULT_HEARTBEAT: Heartbeat = { idleMs: 4_000, deadMs: 10_000, openTimeoutMs: 10_000 };

/**
 * Owns one patched WebsocketProvider (see y-websocket-internals.ts). Every close goes through the close policy
 * (close-policy.ts): refresh the token (4401), stop (4403/4404), or retry with jittered backoff. Tokens are
 * refreshed ahead of expiry and the socket swapped, so the relay's expiry close never interrupts a session;
 * anything written meanwhile is in the Y.Doc and goes out in the next sync. The browser's `offline` drops the
 * socket at once, `online` and a page becoming visible retry at once, and a heartbeat (query-awareness, which
 * the relay always answers) notices a half-open socket within `heartbeat.deadMs`.
 */
export class RoomConnection implements SyncConnection {
  state: ConnectionState = { status: 'connecting', synced: false, attempt: 0 };
  readonly stats: ConnectionStats = { bytesIn: 0, bytesOut: 0, currentBytesIn: 0, currentBytesOut: 0, opens: 0 };
  private readonly options: RoomConnectionOptions;
  private readonly room: RoomProvider;
  private readonly link: Reconnector;
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private readonly heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private readonly unwatchNetwork: () => void;
  private closed = false;
  private swapping = false;
  private synced = false;
  /** When the current socket was asked for. */
  private socketSince = 0;
  /** Every relay's per-room endpoint, and the one in use. */
  private readonly relays: string[];
  private relayIndex = 0;
  /** The relay's state vector from its sync step 1 on the current socket. */
  private relayStateVector: Map<number, number> | undefined;

  constructor(options: RoomConnectionOptions) {
    this.options = options;
    this.relays = relayBases(options.relayUrl).map(roomsUrl);
    this.room = new RoomProvider({
      roomsUrl: this.relays[0]!,
      room: options.room,
      doc: options.doc,
      awareness: options.awareness,
      broadcastChannel: options.broadcastChannel,
      WebSocketPolyfill: countingWebSocket(this.stats),
      onDurable: options.onDurable,
      // The relay acks only writes that arrive on this socket; what it already held when we connected (messages
      // sent before a drop or a reload, whose ack never came) is announced only by its sync step 1 state vector.
      // That vector is taken as durable for those older structs: the relay applies updates just a group commit
      // ahead of disk, and a message it then lost would still be in this replica and re-sent.
      onRelayStateVector: (sv) => {
        this.relayStateVector = sv;
        options.onDurable(sv);
      },
      onClose: (event) => this.handleClose(event),
      onOpen: () => {
        this.stats.opens++;
        this.link.opened();
      },
      onSynced: () => {
        this.synced = true;
        this.link.succeeded();
      },
    });
    this.link = new Reconnector({
      userId: options.userId,
      getToken: options.getToken,
      room: () => options.room,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      open: (token) => {
        this.socketSince = Date.now();
        this.room.open(token);
      },
      refreshed: () => {
        // The provider reads the token from its params on the next open: close this socket to move onto it.
        if (!this.room.isOpen) return;
        this.swapping = true;
        this.room.closeSocket(1000, SWAP_REASON);
      },
      stop: () => this.room.closeSocket(1000, 'token subject mismatch'),
      state: (link) => {
        if (link.status !== 'connected') this.synced = false;
        const { retryAt, code, reason } = link;
        this.setState({
          status: link.status,
          synced: this.synced,
          attempt: link.attempt,
          ...(code !== undefined ? { code } : {}),
          ...(reason !== undefined ? { reason } : {}),
          ...(retryAt !== undefined ? { retryAt } : {}),
        });
      },
      token: (claims) => options.onToken?.(claims),
    });
    const heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
    this.heartbeatTimer = setInterval(() => this.checkHeartbeat(heartbeat), Math.min(1_000, heartbeat.idleMs / 2));
    this.unwatchNetwork = watchNetwork({
      online: () => this.reconnect(),
      offline: () => this.wentOffline(),
      visible: () => (this.room.hasSocket ? this.room.sendHeartbeat() : this.reconnect()),
    });
    void this.link.connect();
  }

  get provider(): RoomProvider['provider'] {
    return this.room.provider;
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isRemoteOrigin(origin: unknown): boolean {
    return origin !== null && origin === this.room.provider;
  }

  isCaughtUp(): boolean {
    return isCaughtUp(this.state, this.relayStateVector, this.options.doc);
  }

  reconnect(): void {
    if (this.closed || this.room.hasSocket) return;
    this.link.retryNow();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.dispose();
    clearInterval(this.heartbeatTimer);
    this.unwatchNetwork();
    this.room.destroy();
    this.setState({ ...this.state, status: 'closed', synced: false });
  }

  private handleClose(event: CloseEvent | null): void {
    this.relayStateVector = undefined;
    this.synced = false;
    if (this.closed) return;
    const swapping = this.swapping;
    this.swapping = false;
    const code = event?.code;
    const reason = event?.reason || undefined;
    // A lost connection (no close frame, or the relay going away or unable to store) moves to the next relay of
    // the list; answers about this client (4401, 4403, 4404, 4429…) are the same from every relay.
    if (this.relays.length > 1 && !swapping && (code === undefined || code < 4000)) {
      this.relayIndex = (this.relayIndex + 1) % this.relays.length;
      this.room.useRoomsUrl(this.relays[this.relayIndex]!);
    }
    this.link.closed(
      { cause: 'socket', ...(code !== undefined ? { code } : {}) },
      { ...(code !== undefined ? { code } : {}), ...(reason ? { reason } : {}) },
      swapping,
    );
  }

  /** The browser lost the network: the socket is dead (or soon will be); say so now and wait for `online`. */
  private wentOffline(): void {
    if (this.closed) return;
    if (this.room.hasSocket) this.room.dropSocket();
    else this.link.wentOffline();
  }

  /** Drops a socket that never opens (a network that swallows packets) or has gone silent (half-open). */
  private checkHeartbeat({ idleMs, deadMs, openTimeoutMs }: Heartbeat): void {
    if (!this.room.hasSocket) return;
    if (!this.room.isOpen) {
      if (Date.now() - this.socketSince >= openTimeoutMs) this.room.dropSocket();
      return;
    }
    const silent = Date.now() - this.room.lastMessageAt;
    if (silent >= deadMs) this.room.dropSocket();
    else if (silent >= idleMs) this.room.sendHeartbeat();
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}

/** Whether `doc` holds everything in `relayStateVector` (see `SyncConnection.isCaughtUp`). */
export function isCaughtUp(state: ConnectionState, relayStateVector: Map<number, number> | undefined, doc: Y.Doc): boolean {
  if (!state.synced || !relayStateVector) return false;
  const local = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const [client, clock] of relayStateVector) if ((local.get(client) ?? 0) < clock) return false;
  return true;
}

/** A WebSocket class that counts the bytes of every socket it opens into `stats`. */
function countingWebSocket(stats: ConnectionStats): typeof WebSocket {
  return class CountingWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      stats.currentBytesIn = 0;
      stats.currentBytesOut = 0;
      this.addEventListener('message', (event: MessageEvent) => {
        const size = event.data instanceof ArrayBuffer ? event.data.byteLength : String(event.data).length;
        stats.bytesIn += size;
        stats.currentBytesIn += size;
      });
    }

    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const size = typeof data === 'string' ? data.length : data instanceof Blob ? data.size : data.byteLength;
      stats.bytesOut += size;
      stats.currentBytesOut += size;
      super.send(data);
    }
  };
}
