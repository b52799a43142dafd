// The relay connection of one conversation: y-websocket's provider driven with jittered backoff, token refresh and close codes.
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import type { Awareness } from 'y-protocols/awareness';
import { WebsocketProvider } from 'y-websocket';
import { CloseCode } from '../shared/close-codes.js';
import { MessageType } from '../shared/protocol.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { decodeToken, refreshDelay, type TokenClaims } from './token.js';

/**
 * - `connecting`: opening a socket (or fetching a token for it);
 * - `connected`: socket open (see `synced` for "caught up with the relay");
 * - `offline`: no socket; a retry is scheduled at `retryAt`;
 * - `auth-expired`: the relay refused the token (4401) and `getToken` has not produced a usable one yet;
 *   retried with backoff, or at once by `reconnect()`;
 * - `forbidden` (4403) and `deleted` (4404): final; the relay's reason is in `reason`; no more retries;
 * - `closed`: `close()` was called.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'offline' | 'auth-expired' | 'forbidden' | 'deleted' | 'closed';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Whether this replica has caught up with the relay on the current socket (sync step 2 received). */
  synced: boolean;
  /** The last close code from the relay and its human reason, if any. */
  code?: number;
  reason?: string;
  /** Failed attempts since the last successful sync. */
  attempt: number;
  /** When the next retry is scheduled (ms since epoch), while offline or auth-expired. */
  retryAt?: number;
}

/** Asks the application for a relay token; `forceRefresh` is true when the last one was refused or is about to expire. */
export type GetToken = (request: { room: string; forceRefresh: boolean }) => Promise<string>;

export interface ConnectionOptions {
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
  /** Called with the relay's durable state vector each time it acknowledges persistence (message type 100). */
  onDurable: (stateVector: Map<number, number>) => void;
  /** Called with each new token's claims (e.g. to learn the role in the room). */
  onToken?: (claims: TokenClaims | undefined) => void;
}

/** Traffic counters, for diagnostics and the benchmark. `current*` count the socket in use only. */
export interface ConnectionStats {
  bytesIn: number;
  bytesOut: number;
  currentBytesIn: number;
  currentBytesOut: number;
  opens: number;
}

/** Normalises a relay base URL to the provider's `ws(s)://host[:port][/path]/rooms`; throws on anything else. */
export function roomsUrl(relayUrl: string): string {
  const url = new URL(relayUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`unsupported relay URL scheme ${url.protocol}`);
  if (url.search || url.hash) throw new TypeError('the relay URL must not carry a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/rooms`;
}

const SWAP_REASON = 'parley: token refresh';

type AwarenessHandler = (changes: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void;

/**
 * Owns one WebsocketProvider. The provider's own reconnect loop is neutralised (it has no jitter and would
 * retry after auth failures): on every close this class sets `shouldConnect = false` before the provider's
 * zero-delay retry fires, then decides itself: refresh the token (4401), stop (4403/4404), or retry with
 * jittered backoff. Tokens are refreshed ahead of expiry and the socket swapped, so the relay's expiry close
 * never interrupts a session; anything written meanwhile is in the Y.Doc and goes out in the next sync.
 */
export class Connection {
  readonly provider: WebsocketProvider;
  state: ConnectionState = { status: 'connecting', synced: false, attempt: 0 };
  readonly stats: ConnectionStats = { bytesIn: 0, bytesOut: 0, currentBytesIn: 0, currentBytesOut: 0, opens: 0 };
  private readonly options: ConnectionOptions;
  private readonly listeners = new Set<(state: ConnectionState) => void>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private token: string | undefined;
  private closed = false;
  private connectedOnce = false;
  private swapping = false;
  /** The relay's state vector from its sync step 1 on the current socket. */
  private relayStateVector: Map<number, number> | undefined;

  constructor(options: ConnectionOptions) {
    this.options = options;
    const stats = this.stats;
    // Counts bytes of every socket the provider opens (standard WebSocket otherwise).
    class CountingWebSocket extends WebSocket {
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
    }
    this.provider = new WebsocketProvider(roomsUrl(options.relayUrl), options.room, options.doc, {
      connect: false,
      awareness: options.awareness,
      params: { acks: '1' },
      WebSocketPolyfill: CountingWebSocket,
      // The provider's own retry fires after 0 ms and finds shouldConnect already false (see the class comment).
      maxBackoffTime: 0,
      shouldReconnect: () => true,
    });
    this.provider.bcChannel = options.broadcastChannel;
    // The stock provider re-sends every awareness change it hears, other clients' included: the relay
    // refuses those (a connection may only publish its own client ids) and the traffic doubles. Only this
    // client's own state goes out.
    const stock = (this.provider as unknown as { _awarenessUpdateHandler: AwarenessHandler })._awarenessUpdateHandler;
    options.awareness.off('update', stock);
    const ownOnly: AwarenessHandler = ({ added, updated, removed }, origin) => {
      const self = options.doc.clientID;
      if (added.includes(self) || updated.includes(self) || removed.includes(self)) {
        stock({ added: [], updated: [self], removed: [] }, origin);
      }
    };
    options.awareness.on('update', ownOnly);
    (this.provider as unknown as { _awarenessUpdateHandler: AwarenessHandler })._awarenessUpdateHandler = ownOnly;
    this.provider.messageHandlers[MessageType.durableAck] = (_encoder, decoder) => {
      this.options.onDurable(Y.decodeStateVector(decoding.readVarUint8Array(decoder)));
    };
    // The relay acks only writes that arrive on this socket; what it already held when we connected (messages
    // sent before a drop or a reload, whose ack never came) is announced only by its sync step 1 state
    // vector. That vector is taken as durable for those older structs: the relay applies updates just a
    // group commit ahead of disk, and a message it then lost would still be in this replica and re-sent.
    const syncHandler = this.provider.messageHandlers[MessageType.sync]!;
    this.provider.messageHandlers[MessageType.sync] = (encoder, decoder, provider, emitSynced, messageType) => {
      const peek = decoding.createDecoder(decoder.arr.subarray(decoder.pos));
      if (decoding.readVarUint(peek) === 0 /* sync step 1 */) {
        this.relayStateVector = Y.decodeStateVector(decoding.readVarUint8Array(peek));
        this.options.onDurable(this.relayStateVector);
      }
      syncHandler(encoder, decoder, provider, emitSynced, messageType);
    };
    this.provider.on('connection-close', (event) => this.handleClose(event));
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') {
        this.stats.opens++;
        this.setState({ status: 'connected', synced: false, attempt: this.state.attempt });
      }
    });
    this.provider.on('sync', (synced) => {
      if (synced) this.setState({ status: 'connected', synced: true, attempt: 0 });
    });
    void this.connect(false);
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onState(listener: (state: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Whether this replica holds everything the relay held when the socket opened. `synced` only says that a
   * sync-step-2 frame arrived; a large catch-up comes in several frames (Parley's relay sends step 2 last,
   * but nothing in the protocol promises it), and messages queued offline must wait for all of them, or
   * they would land before history that is still arriving.
   */
  isCaughtUp(): boolean {
    if (!this.state.synced || !this.relayStateVector) return false;
    const local = Y.decodeStateVector(Y.encodeStateVector(this.options.doc));
    for (const [client, clock] of this.relayStateVector) if ((local.get(client) ?? 0) < clock) return false;
    return true;
  }

  /** Retries now (e.g. when the browser reports it is back online), unless forbidden, deleted or closed. */
  reconnect(): void {
    if (this.closed || this.state.status === 'forbidden' || this.state.status === 'deleted') return;
    if (this.provider.ws) return;
    clearTimeout(this.retryTimer);
    void this.connect(this.state.status === 'auth-expired');
  }

  /** Closes the socket for good and stops every timer; the Y.Doc is left to its owner. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refreshTimer);
    this.provider.destroy();
    this.setState({ ...this.state, status: 'closed', synced: false });
  }

  private async connect(forceRefresh: boolean): Promise<void> {
    if (this.closed) return;
    this.setState({ status: 'connecting', synced: false, attempt: this.state.attempt, ...this.lastClose() });
    if (forceRefresh || !this.token || this.tokenExpiresSoon()) {
      let token: string;
      try {
        token = await this.options.getToken({ room: this.options.room, forceRefresh: forceRefresh || !!this.token });
        if (typeof token !== 'string' || token === '') throw new TypeError('getToken did not return a token');
      } catch (error) {
        if (this.closed) return;
        const reason = `getToken failed: ${error instanceof Error ? error.message : String(error)}`;
        this.scheduleRetry('auth-expired', { reason }, true);
        return;
      }
      if (this.closed || !this.useToken(token)) return;
    }
    this.provider.params = { ...this.provider.params, token: this.token! };
    if (!this.connectedOnce) {
      this.connectedOnce = true;
      this.provider.connect();
    } else {
      // connect() also re-announces the whole document on the cross-tab channel (connectBc): that is
      // only needed once, so it is skipped on reconnects.
      this.provider.disableBc = true;
      this.provider.connect();
      this.provider.disableBc = false;
    }
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
      this.provider.ws?.close(1000, 'token subject mismatch');
      return false;
    }
    this.token = token;
    this.options.onToken?.(claims);
    clearTimeout(this.refreshTimer);
    const delay = claims ? refreshDelay(claims) : undefined;
    if (delay !== undefined) this.refreshTimer = setTimeout(() => void this.refreshAhead(), delay);
    return true;
  }

  private tokenExpiresSoon(): boolean {
    const claims = this.token ? decodeToken(this.token) : undefined;
    return claims?.exp !== undefined && claims.exp * 1000 - Date.now() < 1_000;
  }

  /** Fetches a fresh token before the current one expires and moves the session onto a socket that uses it. */
  private async refreshAhead(): Promise<void> {
    if (this.closed) return;
    let token: string;
    try {
      token = await this.options.getToken({ room: this.options.room, forceRefresh: true });
      if (typeof token !== 'string' || token === '') throw new TypeError('getToken did not return a token');
    } catch {
      // Keep the current socket; the relay's 4401 at expiry will lead to another attempt with backoff.
      return;
    }
    if (this.closed || !this.useToken(token)) return;
    this.provider.params = { ...this.provider.params, token };
    const ws = this.provider.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      this.swapping = true;
      ws.close(1000, SWAP_REASON);
    }
  }

  private handleClose(event: CloseEvent | null): void {
    // Checked first: the provider's own retry is already scheduled and must find shouldConnect false.
    this.provider.shouldConnect = false;
    this.relayStateVector = undefined;
    if (this.closed || this.state.status === 'forbidden' || this.state.status === 'deleted') return;
    const code = event?.code;
    const reason = event?.reason || undefined;
    if (this.swapping) {
      this.swapping = false;
      this.setState({ status: 'connecting', synced: false, attempt: 0 });
      setTimeout(() => void this.connect(false), 0);
      return;
    }
    const info = { ...(code !== undefined ? { code } : {}), ...(reason ? { reason } : {}) };
    switch (code) {
      case CloseCode.forbidden:
        clearTimeout(this.refreshTimer);
        this.setState({ status: 'forbidden', synced: false, attempt: this.state.attempt, ...info });
        return;
      case CloseCode.roomDeleted:
        clearTimeout(this.refreshTimer);
        this.setState({ status: 'deleted', synced: false, attempt: this.state.attempt, ...info });
        return;
      case CloseCode.unauthorized:
        // The first 4401 is retried at once with a fresh token; repeated ones back off.
        this.scheduleRetry('auth-expired', info, true, this.state.attempt === 0 ? 0 : undefined);
        return;
      default:
        this.scheduleRetry('offline', info, false);
    }
  }

  private scheduleRetry(
    status: 'offline' | 'auth-expired',
    info: { code?: number; reason?: string },
    forceRefresh: boolean,
    delay?: number,
  ): void {
    clearTimeout(this.retryTimer);
    const attempt = this.state.attempt;
    const backoff = this.options.backoff ?? DEFAULT_BACKOFF;
    // Rate limiting asks for more patience than a dropped network.
    const base = info.code === CloseCode.rateLimited ? { ...backoff, baseMs: backoff.baseMs * 8 } : backoff;
    const wait = delay ?? backoffDelay(attempt, base);
    this.setState({ status, synced: false, attempt: attempt + 1, retryAt: Date.now() + wait, ...info });
    this.retryTimer = setTimeout(() => void this.connect(forceRefresh), wait);
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
