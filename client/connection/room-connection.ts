// The relay connection of one conversation over the per-room endpoint: the patched provider driven by the close policy.
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { CloseCode } from '../../shared/close-codes.js';
import type { BackoffOptions } from '../backoff.js';
import { decodeToken, refreshDelay } from '../token.js';
import { decideAfterClose, type CloseInput } from './close-policy.js';
import type { ConnectionEvents, ConnectionState, ConnectionStats, GetToken, SyncConnection } from './connection-state.js';
import { browserOffline, watchNetwork } from './network-signals.js';
import { roomsUrl } from './relay-url.js';
import { TokenRefusedError } from './token-refused-error.js';
import { RoomProvider } from './y-websocket-internals.js';

export interface RoomConnectionOptions extends ConnectionEvents {
  /** Base URL of the relay (`ws://`, `wss://`, `http://` or `https://`); the room path is appended. */
  relayUrl: string;
  room: string;
  doc: Y.Doc;
  awareness: Awareness;
  getToken: GetToken;
  /** The user this replica writes as: tokens for anyone else are refused locally. */
  userId: string;
  /** Channel name for y-websocket's cross-tab sync; scoped by user so two accounts in one browser never mix. */
  broadcastChannel: string;
  backoff?: BackoffOptions;
  /** Idle time before a heartbeat is sent, and silence after which the socket is taken as dead (default 4 s, 10 s). */
  heartbeat?: { idleMs: number; deadMs: number };
}

const SWAP_REASON = 'parley: token refresh';
export const DEFAULT_HEARTBEAT = { idleMs: 4_000, deadMs: 10_000 };

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
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private readonly unwatchNetwork: () => void;
  private token: string | undefined;
  private closed = false;
  private swapping = false;
  private unauthorizedInARow = 0;
  /** The relay's state vector from its sync step 1 on the current socket. */
  private relayStateVector: Map<number, number> | undefined;

  constructor(options: RoomConnectionOptions) {
    this.options = options;
    this.room = new RoomProvider({
      roomsUrl: roomsUrl(options.relayUrl),
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
        this.setState({ status: 'connected', synced: false, attempt: this.state.attempt });
      },
      onSynced: () => {
        this.unauthorizedInARow = 0;
        this.setState({ status: 'connected', synced: true, attempt: 0 });
      },
    });
    const heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
    this.heartbeatTimer = setInterval(() => this.checkHeartbeat(heartbeat), Math.min(1_000, heartbeat.idleMs / 2));
    this.unwatchNetwork = watchNetwork({
      online: () => this.reconnect(),
      offline: () => this.wentOffline(),
      visible: () => (this.room.hasSocket ? this.room.sendHeartbeat() : this.reconnect()),
    });
    void this.connect(false);
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
    if (this.closed || this.state.status === 'forbidden' || this.state.status === 'deleted') return;
    if (this.room.hasSocket) return;
    clearTimeout(this.retryTimer);
    void this.connect(this.state.status === 'auth-expired');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refreshTimer);
    clearInterval(this.heartbeatTimer);
    this.unwatchNetwork();
    this.room.destroy();
    this.setState({ ...this.state, status: 'closed', synced: false });
  }

  private async connect(forceRefresh: boolean): Promise<void> {
    if (this.closed) return;
    this.setState({ status: 'connecting', synced: false, attempt: this.state.attempt, ...this.lastClose() });
    if (forceRefresh || !this.token || tokenExpiresSoon(this.token)) {
      let token: string;
      try {
        token = await this.options.getToken({ room: this.options.room, forceRefresh: forceRefresh || !!this.token });
      } catch (error) {
        if (this.closed) return;
        const reason = `getToken failed: ${error instanceof Error ? error.message : String(error)}`;
        this.afterClose({ cause: error instanceof TokenRefusedError ? 'token-refused' : 'token-failed' }, { reason });
        return;
      }
      if (this.closed) return;
      if (typeof token !== 'string' || token === '') {
        this.afterClose({ cause: 'token-refused' }, { reason: 'getToken failed: it did not return a token' });
        return;
      }
      if (!this.useToken(token)) return;
    }
    this.room.open(this.token!);
  }

  private useToken(token: string): boolean {
    const claims = decodeToken(token);
    if (claims && claims.sub !== this.options.userId) {
      // Every write would be refused as another user's: stop here with the reason instead.
      clearTimeout(this.refreshTimer);
      this.setState({
        status: 'forbidden',
        synced: false,
        attempt: this.state.attempt,
        reason: `the token is for user ${JSON.stringify(claims.sub)}, not ${JSON.stringify(this.options.userId)}`,
      });
      this.room.closeSocket(1000, 'token subject mismatch');
      return false;
    }
    this.token = token;
    this.options.onToken?.(claims);
    clearTimeout(this.refreshTimer);
    const delay = claims ? refreshDelay(claims) : undefined;
    if (delay !== undefined) this.refreshTimer = setTimeout(() => void this.refreshAhead(), delay);
    return true;
  }

  /** Fetches a fresh token before the current one expires and moves the session onto a socket that uses it. */
  private async refreshAhead(): Promise<void> {
    if (this.closed) return;
    let token: string;
    try {
      token = await this.options.getToken({ room: this.options.room, forceRefresh: true });
      if (typeof token !== 'string' || token === '') throw new TypeError('getToken did not return a token');
    } catch {
      // Keep the current socket; the relay's 4401 at expiry will lead to another attempt.
      return;
    }
    if (this.closed || !this.useToken(token)) return;
    if (this.room.isOpen) {
      this.swapping = true;
      this.room.closeSocket(1000, SWAP_REASON);
    }
  }

  private handleClose(event: CloseEvent | null): void {
    this.relayStateVector = undefined;
    if (this.closed || this.state.status === 'forbidden' || this.state.status === 'deleted') return;
    const code = event?.code;
    const reason = event?.reason || undefined;
    const info = { ...(code !== undefined ? { code } : {}), ...(reason ? { reason } : {}) };
    this.afterClose({ cause: 'socket', ...(code !== undefined ? { code } : {}) }, info);
  }

  /** Applies the close policy's decision. */
  private afterClose(close: Pick<CloseInput, 'cause' | 'code'>, info: { code?: number; reason?: string }): void {
    const swapping = this.swapping;
    this.swapping = false;
    const decision = decideAfterClose(
      { ...close, swapping, attempt: this.state.attempt, unauthorizedInARow: this.unauthorizedInARow, browserOffline: browserOffline() },
      this.options.backoff ? { backoff: this.options.backoff, rateLimitedBackoff: slower(this.options.backoff) } : {},
    );
    this.unauthorizedInARow = close.code === CloseCode.unauthorized ? this.unauthorizedInARow + 1 : 0;
    clearTimeout(this.retryTimer);
    if (decision.action === 'stop') {
      clearTimeout(this.refreshTimer);
      this.setState({ status: decision.status, synced: false, attempt: this.state.attempt, ...info });
      return;
    }
    const attempt = decision.countsAsFailure ? this.state.attempt + 1 : this.state.attempt;
    const { delayMs } = decision;
    this.setState({
      status: decision.status,
      synced: false,
      attempt,
      ...(delayMs !== undefined && decision.status !== 'connecting' ? { retryAt: Date.now() + delayMs } : {}),
      ...(swapping ? {} : info),
    });
    if (delayMs !== undefined) this.retryTimer = setTimeout(() => void this.connect(decision.forceRefresh), delayMs);
  }

  /** The browser lost the network: the socket is dead (or soon will be); say so now and wait for `online`. */
  private wentOffline(): void {
    if (this.closed || this.state.status === 'forbidden' || this.state.status === 'deleted') return;
    if (this.room.hasSocket) this.room.dropSocket();
    else {
      clearTimeout(this.retryTimer);
      this.setState({ status: 'offline', synced: false, attempt: this.state.attempt, ...this.lastClose() });
    }
  }

  private checkHeartbeat({ idleMs, deadMs }: { idleMs: number; deadMs: number }): void {
    if (!this.room.isOpen) return;
    const silent = Date.now() - this.room.lastMessageAt;
    if (silent >= deadMs) this.room.dropSocket();
    else if (silent >= idleMs) this.room.sendHeartbeat();
  }

  private lastClose(): { code?: number; reason?: string } {
    const { code, reason } = this.state;
    return { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) };
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}

/** The rate-limited schedule for an application-given backoff: 8× the base, 15× the cap. */
const slower = (backoff: BackoffOptions): BackoffOptions => ({ baseMs: backoff.baseMs * 8, maxMs: backoff.maxMs * 15 });

const tokenExpiresSoon = (token: string): boolean => {
  const claims = decodeToken(token);
  return claims?.exp !== undefined && claims.exp * 1000 - Date.now() < 1_000;
};

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
