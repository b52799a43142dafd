// One WebSocket to the relay's multiplexed endpoint for all of a user's documents: auth in band, attach/detach, heartbeat, retries.
import { CloseCode } from '../../shared/close-codes.js';
import type { BackoffOptions } from '../backoff.js';
import { decodeToken, refreshDelay, type TokenClaims } from '../token.js';
import { decideAfterClose, type CloseInput } from './close-policy.js';
import type { GetToken } from './connection-state.js';
import {
  ATTACH_DURABLE_ACKS, decodeRelayFrame, encodeAttach, encodeAuth, encodeDetach, encodeMessage, encodePing,
} from './mux-protocol.js';
import { browserOffline, watchNetwork } from './network-signals.js';
import { DEFAULT_HEARTBEAT, type Heartbeat } from './room-connection.js';
import { syncUrl } from './relay-url.js';
import { TokenRefusedError } from './token-refused-error.js';
import type * as decoding from 'lib0/decoding';

/** The socket's own state (documents add theirs on top: attached, synced, refused). */
export interface MuxSocketState {
  status: 'connecting' | 'connected' | 'offline' | 'auth-expired' | 'forbidden' | 'closed';
  /** Authenticated (authOk received): attach frames may go out. */
  ready: boolean;
  attempt: number;
  code?: number;
  reason?: string;
  retryAt?: number;
}

/** One document on the socket, as the socket sees it (implemented by MuxConnection). */
export interface MuxAttachment {
  readonly doc: string;
  /** The socket is ready and the attach frame went out: send sync step 1 and awareness. */
  attached(): void;
  /** A y-websocket message for this document; `decoder` is positioned at its message type. */
  message(decoder: decoding.Decoder, size: number): void;
  /** The relay detached this document (`refused`). */
  refused(code: number, reason: string): void;
  /** The socket's state changed (a lost socket detaches every document). */
  socketState(state: MuxSocketState): void;
  /** A new token's claims. */
  token(claims: TokenClaims | undefined): void;
}

export interface MuxSocketOptions {
  relayUrl: string;
  userId: string;
  /** Shared by every conversation on this socket: one token must grant all their rooms. */
  getToken: GetToken;
  backoff?: BackoffOptions;
  heartbeat?: Heartbeat;
  /** Called once the last attachment left and the socket closed. */
  onEmpty: () => void;
}

/**
 * The shared socket. Closes go through the same close policy as a per-room socket (close-policy.ts). Conversations
 * share a socket when they share a `getToken` function (the app passes one to all): one token must then grant every
 * room the socket carries. It is refreshed in band ahead of expiry, without a reconnect or a re-sync.
 */
export class MuxSocket {
  state: MuxSocketState = { status: 'connecting', ready: false, attempt: 0 };
  private readonly options: MuxSocketOptions;
  private readonly attachments = new Map<string, MuxAttachment>();
  /** Documents attached on the current socket (attach sent, no refusal since). */
  private readonly live = new Set<string>();
  private ws: WebSocket | undefined;
  private tokenRoom = '';
  private token: string | undefined;
  private claims: TokenClaims | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly heartbeatTimer: ReturnType<typeof setInterval>;
  private readonly unwatchNetwork: () => void;
  private unauthorizedInARow = 0;
  private socketSince = 0;
  private lastMessageAt = 0;
  private connecting = false;
  private closed = false;

  constructor(options: MuxSocketOptions) {
    this.options = options;
    const heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
    this.heartbeatTimer = setInterval(() => this.checkHeartbeat(heartbeat), Math.min(1_000, heartbeat.idleMs / 2));
    this.unwatchNetwork = watchNetwork({
      online: () => this.reconnect(),
      offline: () => this.wentOffline(),
      visible: () => (this.ws ? this.sendFrame(encodePing()) : this.reconnect()),
    });
  }

  /** Whether `doc` is on this socket already (a page opening the same room twice gets a second socket). */
  has(doc: string): boolean {
    return this.attachments.has(doc);
  }

  get isEmpty(): boolean {
    return this.attachments.size === 0;
  }

  /** Adds a document; it is attached now if the socket is ready, else once it is. */
  attach(attachment: MuxAttachment): void {
    this.attachments.set(attachment.doc, attachment);
    this.tokenRoom = attachment.doc;
    attachment.socketState(this.state);
    if (this.claims !== undefined || this.token !== undefined) attachment.token(this.claims);
    if (this.state.status === 'forbidden') return;
    if (this.state.ready) this.sendAttach(attachment);
    else if (!this.ws && !this.connecting && this.retryTimer === undefined) void this.connect(false);
  }

  /** Attaches a document again after a refusal the policy retries. */
  reattach(attachment: MuxAttachment): void {
    if (this.attachments.get(attachment.doc) === attachment && this.state.ready && !this.live.has(attachment.doc)) this.sendAttach(attachment);
  }

  /** Removes a document (sends `detach`); the socket closes with its last document. */
  detach(attachment: MuxAttachment): void {
    if (this.attachments.get(attachment.doc) !== attachment) return;
    this.attachments.delete(attachment.doc);
    if (this.live.delete(attachment.doc)) this.sendFrame(encodeDetach(attachment.doc));
    if (this.attachments.size === 0) this.shutDown();
  }

  /** Sends a y-websocket message for an attached document; returns the frame size, or 0 when not sent. */
  send(doc: string, ymessage: Uint8Array): number {
    if (!this.live.has(doc)) return 0;
    const frame = encodeMessage(doc, ymessage);
    return this.sendFrame(frame) ? frame.byteLength : 0;
  }

  isLive(doc: string): boolean {
    return this.live.has(doc);
  }

  /** Retries now (online again, or the application asked), unless a socket exists or the token's user is wrong. */
  reconnect(): void {
    if (this.closed || this.state.status === 'forbidden' || this.ws || this.connecting) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.connect(this.state.status === 'auth-expired');
  }

  private async connect(forceRefresh: boolean): Promise<void> {
    if (this.closed || this.connecting) return;
    this.connecting = true;
    this.retryTimer = undefined;
    this.setState({ status: 'connecting', ready: false, attempt: this.state.attempt, ...this.lastClose() });
    try {
      if (forceRefresh || !this.token || tokenExpiresSoon(this.token)) {
        let token: string;
        try {
          token = await this.options.getToken({ room: this.tokenRoom, forceRefresh: forceRefresh || !!this.token });
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
      this.open();
    } finally {
      this.connecting = false;
    }
  }

  private open(): void {
    const ws = new WebSocket(syncUrl(this.options.relayUrl));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.socketSince = Date.now();
    ws.onopen = () => {
      this.lastMessageAt = Date.now();
      ws.send(encodeAuth(this.token!));
    };
    ws.onmessage = (event: MessageEvent) => {
      if (this.ws !== ws) return;
      this.lastMessageAt = Date.now();
      this.receive(new Uint8Array(event.data as ArrayBuffer));
    };
    ws.onclose = (event) => {
      if (this.ws === ws) this.socketGone(event);
    };
    ws.onerror = () => undefined;
  }

  private receive(data: Uint8Array): void {
    let frame: ReturnType<typeof decodeRelayFrame>;
    try {
      frame = decodeRelayFrame(data);
    } catch {
      return; // a frame this client cannot parse: ignore it rather than lose every document
    }
    if (!frame) return;
    switch (frame.kind) {
      case 'authOk': {
        if (this.state.ready) return; // an in-band refresh was accepted
        this.unauthorizedInARow = 0;
        this.setState({ status: 'connected', ready: true, attempt: 0 });
        for (const attachment of this.attachments.values()) this.sendAttach(attachment);
        return;
      }
      case 'refused': {
        this.live.delete(frame.doc);
        this.attachments.get(frame.doc)?.refused(frame.code, frame.reason);
        return;
      }
      case 'message': {
        if (this.live.has(frame.doc)) this.attachments.get(frame.doc)?.message(frame.decoder, data.byteLength);
        return;
      }
      case 'pong':
        return;
    }
  }

  private sendAttach(attachment: MuxAttachment): void {
    this.live.add(attachment.doc);
    this.sendFrame(encodeAttach(attachment.doc, ATTACH_DURABLE_ACKS));
    attachment.attached();
  }

  private sendFrame(frame: Uint8Array): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(frame);
    return true;
  }

  private useToken(token: string): boolean {
    const claims = decodeToken(token);
    if (claims && claims.sub !== this.options.userId) {
      clearTimeout(this.refreshTimer);
      this.setState({
        status: 'forbidden',
        ready: false,
        attempt: this.state.attempt,
        reason: `the token is for user ${JSON.stringify(claims.sub)}, not ${JSON.stringify(this.options.userId)}`,
      });
      this.drop();
      return false;
    }
    this.token = token;
    this.claims = claims;
    for (const attachment of this.attachments.values()) attachment.token(claims);
    clearTimeout(this.refreshTimer);
    const delay = claims ? refreshDelay(claims) : undefined;
    if (delay !== undefined) this.refreshTimer = setTimeout(() => void this.refreshAhead(), delay);
    return true;
  }

  /** Fetches a fresh token before the current one expires and sends it on the open socket (no reconnect). */
  private async refreshAhead(): Promise<void> {
    if (this.closed) return;
    let token: string;
    try {
      token = await this.options.getToken({ room: this.tokenRoom, forceRefresh: true });
      if (typeof token !== 'string' || token === '') throw new TypeError('getToken did not return a token');
    } catch {
      return; // the relay's 4401 at expiry leads to another attempt
    }
    if (this.closed || !this.useToken(token)) return;
    if (this.state.ready) this.sendFrame(encodeAuth(token));
  }

  /** The socket closed (or was dropped): every document is detached; the policy decides what next. */
  private socketGone(event: CloseEvent | null): void {
    const ws = this.ws;
    this.ws = undefined;
    this.live.clear();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close();
    }
    if (this.closed || this.state.status === 'forbidden') return;
    const code = event?.code;
    const reason = event?.reason || undefined;
    this.afterClose({ cause: 'socket', ...(code !== undefined ? { code } : {}) }, { ...(code !== undefined ? { code } : {}), ...(reason ? { reason } : {}) });
  }

  private afterClose(close: Pick<CloseInput, 'cause' | 'code'>, info: { code?: number; reason?: string }): void {
    // On this endpoint a socket-level 4403 means "token for another user": final for the socket. There is no 4404.
    const decision = decideAfterClose(
      { ...close, swapping: false, attempt: this.state.attempt, unauthorizedInARow: this.unauthorizedInARow, browserOffline: browserOffline() },
      this.options.backoff ? { backoff: this.options.backoff, rateLimitedBackoff: { baseMs: this.options.backoff.baseMs * 8, maxMs: this.options.backoff.maxMs * 15 } } : {},
    );
    this.unauthorizedInARow = close.code === CloseCode.unauthorized ? this.unauthorizedInARow + 1 : 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (decision.action === 'stop') {
      clearTimeout(this.refreshTimer);
      this.setState({ status: 'forbidden', ready: false, attempt: this.state.attempt, ...info });
      return;
    }
    const attempt = decision.countsAsFailure ? this.state.attempt + 1 : this.state.attempt;
    const { delayMs } = decision;
    this.setState({
      status: decision.status,
      ready: false,
      attempt,
      ...(delayMs !== undefined && decision.status !== 'connecting' ? { retryAt: Date.now() + delayMs } : {}),
      ...info,
    });
    if (delayMs !== undefined) this.retryTimer = setTimeout(() => void this.connect(decision.forceRefresh), delayMs);
  }

  /** Drops the socket now, without waiting for a close handshake a dead connection will never finish. */
  private drop(): void {
    if (this.ws) this.socketGone(null);
  }

  private wentOffline(): void {
    if (this.closed || this.state.status === 'forbidden') return;
    if (this.ws) this.drop();
    else {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.setState({ status: 'offline', ready: false, attempt: this.state.attempt, ...this.lastClose() });
    }
  }

  private checkHeartbeat({ idleMs, deadMs, openTimeoutMs }: Heartbeat): void {
    const ws = this.ws;
    if (!ws) return;
    const now = Date.now();
    if (ws.readyState !== WebSocket.OPEN) {
      if (now - this.socketSince >= openTimeoutMs) this.drop();
      return;
    }
    const silent = now - this.lastMessageAt;
    if (silent >= deadMs) this.drop();
    else if (silent >= idleMs) this.sendFrame(encodePing());
  }

  private shutDown(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refreshTimer);
    clearInterval(this.heartbeatTimer);
    this.unwatchNetwork();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close(1000, 'no documents left');
    }
    this.state = { ...this.state, status: 'closed', ready: false };
    this.options.onEmpty();
  }

  private lastClose(): { code?: number; reason?: string } {
    const { code, reason } = this.state;
    return { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) };
  }

  private setState(state: MuxSocketState): void {
    this.state = state;
    for (const attachment of this.attachments.values()) attachment.socketState(state);
  }
}

const tokenExpiresSoon = (token: string): boolean => {
  const claims = decodeToken(token);
  return claims?.exp !== undefined && claims.exp * 1000 - Date.now() < 1_000;
};

/** Sockets by token source, then by relay and user. */
const sockets = new WeakMap<GetToken, Map<string, MuxSocket[]>>();

/**
 * The shared socket for a conversation of `userId` on `relayUrl` whose tokens come from `getToken`: the existing
 * one unless it already carries `doc` (the same room opened twice in one page gets a second socket: one
 * attachment per document and socket).
 */
export function muxSocketFor(relayUrl: string, userId: string, doc: string, getToken: GetToken, backoff?: BackoffOptions): MuxSocket {
  const key = `${syncUrl(relayUrl)}\u0000${userId}`;
  let bySource = sockets.get(getToken);
  if (!bySource) sockets.set(getToken, (bySource = new Map()));
  const list = bySource.get(key) ?? [];
  bySource.set(key, list);
  const existing = list.find((s) => !s.has(doc) && s.state.status !== 'forbidden');
  if (existing) return existing;
  const group = bySource;
  const socket: MuxSocket = new MuxSocket({
    relayUrl,
    userId,
    getToken,
    ...(backoff ? { backoff } : {}),
    onEmpty: () => {
      const rest = group.get(key)?.filter((s) => s !== socket) ?? [];
      if (rest.length > 0) group.set(key, rest);
      else group.delete(key);
    },
  });
  list.push(socket);
  return socket;
}
