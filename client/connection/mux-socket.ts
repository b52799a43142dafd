// One WebSocket to the relay's multiplexed endpoint for all of a user's documents: auth in band, attach/detach, heartbeat, retries.
import type { BackoffOptions } from '../backoff.js';
import type { TokenClaims } from '../token.js';
import type { GetToken } from './connection-state.js';
import {
  ATTACH_DURABLE_ACKS, decodeRelayFrame, encodeAttach, encodeAuth, encodeDetach, encodeMessage, encodePing,
} from './mux-protocol.js';
import { watchNetwork } from './network-signals.js';
import { Reconnector } from './reconnector.js';
import { DEFAULT_HEARTBEAT, type Heartbeat } from './room-connection.js';
import { syncUrl, relayBases, type RelayUrls } from './relay-url.js';
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
  /** The relay, or several relays of one cluster: a lost socket moves to the next (docs/cluster.md). */
  relayUrl: RelayUrls;
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
  private readonly link: Reconnector;
  private readonly attachments = new Map<string, MuxAttachment>();
  /** Which relay of the list the next socket goes to. */
  private relayIndex = 0;
  /** Documents attached on the current socket (attach sent, no refusal since). */
  private readonly live = new Set<string>();
  private ws: WebSocket | undefined;
  /** The latest token's claims, once a token was seen. */
  private claims: { value: TokenClaims | undefined } | undefined;
  private tokenRoom = '';
  private ready = false;
  private readonly heartbeatTimer: ReturnType<typeof setInterval>;
  private readonly unwatchNetwork: () => void;
  private socketSince = 0;
  private lastMessageAt = 0;
  private started = false;
  private closed = false;

  constructor(options: MuxSocketOptions) {
    this.options = options;
    this.link = new Reconnector({
      userId: options.userId,
      getToken: options.getToken,
      room: () => this.tokenRoom,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      open: (token) => this.open(token),
      // In band: the relay re-checks every attached document with it; no reconnect, no re-sync.
      refreshed: (token) => {
        if (this.ready) this.sendFrame(encodeAuth(token));
      },
      stop: () => this.drop(),
      state: (link) => {
        if (link.status !== 'connected') this.ready = false;
        this.setState({ ...link, status: link.status === 'deleted' ? 'forbidden' : link.status, ready: this.ready });
      },
      token: (claims) => {
        this.claims = { value: claims };
        for (const attachment of this.attachments.values()) attachment.token(claims);
      },
    });
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

  /** Whether the token's user was wrong: nothing more is attempted on this socket. */
  get final(): boolean {
    return this.link.final;
  }

  /** Adds a document; it is attached now if the socket is ready, else once it is. */
  attach(attachment: MuxAttachment): void {
    this.attachments.set(attachment.doc, attachment);
    this.tokenRoom = attachment.doc;
    attachment.socketState(this.state);
    if (this.claims) attachment.token(this.claims.value);
    if (this.link.final) return;
    if (this.ready) this.sendAttach(attachment);
    else if (!this.started) {
      this.started = true;
      void this.link.connect();
    }
  }

  /** Attaches a document again after a refusal the policy retries. */
  reattach(attachment: MuxAttachment): void {
    if (this.attachments.get(attachment.doc) === attachment && this.ready && !this.live.has(attachment.doc)) this.sendAttach(attachment);
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

  /** Retries now (online again, or the application asked), unless a socket exists or the link is final. */
  reconnect(): void {
    if (this.closed || this.ws) return;
    this.link.retryNow();
  }

  private open(token: string): void {
    const relays = relayBases(this.options.relayUrl);
    const ws = new WebSocket(syncUrl(relays[this.relayIndex % relays.length]!));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.socketSince = Date.now();
    ws.onopen = () => {
      this.lastMessageAt = Date.now();
      ws.send(encodeAuth(token));
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
        if (this.ready) return; // an in-band refresh was accepted
        this.ready = true;
        this.link.succeeded();
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

  /** The socket closed (or was dropped): every document is detached; the close policy decides what next. */
  private socketGone(event: CloseEvent | null): void {
    const ws = this.ws;
    this.ws = undefined;
    this.ready = false;
    this.live.clear();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close();
    }
    if (this.closed) return;
    const code = event?.code;
    const reason = event?.reason || undefined;
    // A lost socket (no close frame, or the relay going away or unable to store) moves to the next relay of a list;
    // answers about this client (4401, 4403, 4429…) are the same from every relay.
    if (code === undefined || code < 4000) this.relayIndex++;
    // A socket-level 4403 on this endpoint means "token for another user": final, as the policy says.
    this.link.closed({ cause: 'socket', ...(code !== undefined ? { code } : {}) }, { ...(code !== undefined ? { code } : {}), ...(reason ? { reason } : {}) });
  }

  /** Drops the socket now, without waiting for a close handshake a dead connection will never finish. */
  private drop(): void {
    if (this.ws) this.socketGone(null);
  }

  private wentOffline(): void {
    if (this.closed) return;
    if (this.ws) this.drop();
    else this.link.wentOffline();
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
    this.link.dispose();
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

  private setState(state: MuxSocketState): void {
    this.state = state;
    for (const attachment of this.attachments.values()) attachment.socketState(state);
  }
}

/** Sockets by token source, then by relay and user. */
const sockets = new WeakMap<GetToken, Map<string, MuxSocket[]>>();

/**
 * The shared socket for a conversation of `userId` on `relayUrl` whose tokens come from `getToken`: the existing
 * one unless it already carries `doc` (the same room opened twice in one page gets a second socket: one
 * attachment per document and socket).
 */
export function muxSocketFor(relayUrl: RelayUrls, userId: string, doc: string, getToken: GetToken, backoff?: BackoffOptions): MuxSocket {
  const key = `${relayBases(relayUrl).map(syncUrl).join(' ')}\u0000${userId}`;
  let bySource = sockets.get(getToken);
  if (!bySource) sockets.set(getToken, (bySource = new Map()));
  const list = bySource.get(key) ?? [];
  bySource.set(key, list);
  const existing = list.find((s) => !s.has(doc) && !s.final);
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
