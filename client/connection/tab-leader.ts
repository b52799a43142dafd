// Where tabs elect the one that holds the socket: one /sync socket per browser, the leader relaying for the others.
/*
 * The tabs of one user (per relay) that open conversations with `socketScope: 'browser'` ask for one Web Lock;
 * the holder (the leader) runs a MuxSocket and relays for the others over a BroadcastChannel:
 *
 *   follower → leader: hello | attach(doc) | detach(doc) | reattach(doc) | send(doc, ymessage) | reconnect
 *   leader → follower: leader(to?) | attached(doc) | message(doc, ymessage) | refused(doc, code, reason)
 *                      | state(doc, socketState) | token(claims)
 *
 * Every tab also holds a lock of its own for its whole life; the leader waits on each follower's, so a follower
 * that vanishes without a word (crash, killed tab) has its documents detached when the browser frees that lock.
 * Each follower document is one subscriber of the leader's socket (mux-socket.ts fans a document's frames out to
 * all its subscribers); the Yjs sync of a document always runs in the tab that holds its Y.Doc. Hand-over: when
 * the leader tab closes, the browser gives the lock to a waiting tab, which opens a socket and says `leader`;
 * every follower then attaches its documents again. A frame lost in the hand-over is recovered by the sync that
 * follows every attach (the relay's step 1 answered with what it lacks), and a write applied twice is the same
 * Yjs update (a message flushed twice from an outbox has one id): nothing lost, nothing duplicated.
 * The leader's `getToken` serves every tab: the tabs' tokens must grant the same rooms (the app's session tokens do).
 */
import type { BackoffOptions } from '../backoff.js';
import type { TokenClaims } from '../token.js';
import type { GetToken } from './connection-state.js';
import { relayBases, syncUrl, type RelayUrls } from './relay-url.js';
import { MuxSocket, type DocSocket, type MuxAttachment, type MuxSocketState } from './mux-socket.js';

type TabMessage =
  | { t: 'hello'; from: string }
  | { t: 'leader'; from: string; to?: string }
  | { t: 'attach' | 'detach' | 'reattach'; from: string; doc: string }
  | { t: 'send'; from: string; doc: string; bytes: Uint8Array }
  | { t: 'reconnect'; from: string }
  | { t: 'attached'; to: string; doc: string }
  | { t: 'message'; to: string; doc: string; bytes: Uint8Array; size: number }
  | { t: 'refused'; to: string; doc: string; code: number; reason: string }
  | { t: 'state'; to: string; doc: string; state: MuxSocketState }
  | { t: 'token'; to: string; doc: string; claims: TokenClaims | null };

const WAITING: MuxSocketState = { status: 'connecting', ready: false, attempt: 0 };

/** A follower tab's document, as the leader's socket sees it: everything it is told goes to that tab. */
class RemoteAttachment implements MuxAttachment {
  constructor(readonly doc: string, private readonly tab: string, private readonly post: (message: TabMessage) => void) {}
  attached(): void {
    this.post({ t: 'attached', to: this.tab, doc: this.doc });
  }
  message(ymessage: Uint8Array, size: number): void {
    this.post({ t: 'message', to: this.tab, doc: this.doc, bytes: ymessage, size });
  }
  refused(code: number, reason: string): void {
    this.post({ t: 'refused', to: this.tab, doc: this.doc, code, reason });
  }
  socketState(state: MuxSocketState): void {
    this.post({ t: 'state', to: this.tab, doc: this.doc, state });
  }
  token(claims: TokenClaims | undefined): void {
    this.post({ t: 'token', to: this.tab, doc: this.doc, claims: claims ?? null });
  }
}

/** One per page and (relay, user): leads (holds the socket) or follows (talks to the leader). */
class BrowserSocket implements DocSocket {
  private readonly tab = crypto.randomUUID();
  private readonly channel: BroadcastChannel;
  private leading = false;
  private leaderKnown = false;
  private socket: MuxSocket | undefined;
  /** This tab's subscribers while following. */
  private readonly local = new Map<string, Set<MuxAttachment>>();
  private readonly live = new Set<string>();
  /** Follower documents while leading, by `${tab}\0${doc}`. */
  private readonly remote = new Map<string, RemoteAttachment>();
  /** Follower tabs whose end the leader waits for (their own lock), to detach what they leave behind. */
  private readonly watched = new Set<string>();
  /** This tab holds its own lock: only then may it talk (the leader watches that lock to see it go). */
  private talking = false;

  constructor(
    private readonly name: string,
    private readonly options: { relayUrl: RelayUrls; userId: string; getToken: GetToken; backoff?: BackoffOptions },
  ) {
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event: MessageEvent<TabMessage>) => this.receive(event.data);
    // This tab's own lock, held for the page's life: a leader waiting for it learns when this tab is gone.
    void navigator.locks.request(this.tabLock(this.tab), () => {
      this.talking = true;
      // The leader lock, held until the page goes away: the browser then hands it to the next waiting tab.
      void navigator.locks.request(name, () => new Promise<void>(() => this.lead()));
      this.post({ t: 'hello', from: this.tab });
      return new Promise<void>(() => undefined);
    });
  }

  attach(attachment: MuxAttachment): void {
    if (this.leading) return this.mine().attach(attachment);
    const subscribers = this.local.get(attachment.doc) ?? new Set();
    this.local.set(attachment.doc, subscribers);
    subscribers.add(attachment);
    attachment.socketState(WAITING);
    if (this.live.has(attachment.doc)) attachment.attached();
    else if (subscribers.size === 1 && this.leaderKnown && this.talking) this.post({ t: 'attach', from: this.tab, doc: attachment.doc });
  }

  reattach(attachment: MuxAttachment): void {
    if (this.leading) this.mine().reattach(attachment);
    else if (!this.live.has(attachment.doc)) this.post({ t: 'reattach', from: this.tab, doc: attachment.doc });
  }

  detach(attachment: MuxAttachment): void {
    if (this.leading) return this.socket?.detach(attachment);
    const subscribers = this.local.get(attachment.doc);
    if (!subscribers?.delete(attachment) || subscribers.size > 0) return;
    this.local.delete(attachment.doc);
    this.live.delete(attachment.doc);
    this.post({ t: 'detach', from: this.tab, doc: attachment.doc });
  }

  send(doc: string, ymessage: Uint8Array): number {
    if (this.leading) return this.socket?.send(doc, ymessage) ?? 0;
    if (!this.live.has(doc)) return 0;
    this.post({ t: 'send', from: this.tab, doc, bytes: ymessage });
    return ymessage.byteLength;
  }

  isLive(doc: string): boolean {
    return this.leading ? (this.socket?.isLive(doc) ?? false) : this.live.has(doc);
  }

  reconnect(): void {
    if (this.leading) this.socket?.reconnect();
    else this.post({ t: 'reconnect', from: this.tab });
  }

  /** The lock is ours: open the socket for this tab's documents and tell the others to attach theirs. */
  private lead(): void {
    this.leading = true;
    this.leaderKnown = true;
    this.live.clear();
    const mine = [...this.local.values()].flatMap((subscribers) => [...subscribers]);
    this.local.clear();
    for (const attachment of mine) this.mine().attach(attachment);
    this.post({ t: 'leader', from: this.tab });
  }

  /** The leader's socket (opened again after it closed with its last document). */
  private mine(): MuxSocket {
    if (!this.socket) {
      const socket: MuxSocket = new MuxSocket({
        ...this.options,
        onEmpty: () => {
          if (this.socket === socket) this.socket = undefined;
          for (const key of [...this.remote.keys()]) this.remote.delete(key);
        },
      });
      this.socket = socket;
    }
    return this.socket;
  }

  private receive(message: TabMessage): void {
    if (this.leading) this.serve(message);
    else this.follow(message);
  }

  private tabLock(tab: string): string {
    return `${this.name}:tab:${tab}`;
  }

  /** Leader: the follower tab `tab` is gone (its lock came free): detach what it left attached. */
  private forget(tab: string): void {
    this.watched.delete(tab);
    for (const [key, attachment] of [...this.remote]) {
      if (!key.startsWith(`${tab}\u0000`)) continue;
      this.remote.delete(key);
      this.socket?.detach(attachment);
    }
  }

  /** Leader: act for a follower. */
  private serve(message: TabMessage): void {
    if (!('from' in message)) return;
    if (!this.watched.has(message.from)) {
      this.watched.add(message.from);
      void navigator.locks.request(this.tabLock(message.from), () => this.forget(message.from));
    }
    const key = 'doc' in message ? `${message.from}\u0000${message.doc}` : '';
    switch (message.t) {
      case 'hello':
        // Only the new tab: the others' documents are attached already.
        this.post({ t: 'leader', from: this.tab, to: message.from });
        return;
      case 'attach': {
        const known = this.remote.get(key);
        if (known) {
          if (this.socket?.isLive(message.doc)) known.attached();
          return;
        }
        const attachment = new RemoteAttachment(message.doc, message.from, (m) => this.post(m));
        this.remote.set(key, attachment);
        this.mine().attach(attachment);
        return;
      }
      case 'detach': {
        const attachment = this.remote.get(key);
        this.remote.delete(key);
        if (attachment) this.socket?.detach(attachment);
        return;
      }
      case 'reattach': {
        const attachment = this.remote.get(key);
        if (attachment) this.socket?.reattach(attachment);
        return;
      }
      case 'send':
        if (this.remote.has(key)) this.socket?.send(message.doc, message.bytes);
        return;
      case 'reconnect':
        this.socket?.reconnect();
        return;
      default:
        return;
    }
  }

  /** Follower: what the leader says about this tab's documents. */
  private follow(message: TabMessage): void {
    if (message.t === 'leader') {
      // A new leader (or the answer to hello): every document attaches through it, from scratch.
      if (!this.talking || (message.to !== undefined && message.to !== this.tab)) return;
      this.leaderKnown = true;
      this.live.clear();
      for (const [doc, subscribers] of this.local) {
        for (const attachment of subscribers) attachment.socketState(WAITING);
        this.post({ t: 'attach', from: this.tab, doc });
      }
      return;
    }
    if (!('to' in message) || message.to !== this.tab) return;
    const subscribers = [...(this.local.get(message.doc) ?? [])];
    switch (message.t) {
      case 'attached':
        if (subscribers.length === 0) return;
        this.live.add(message.doc);
        for (const attachment of subscribers) attachment.attached();
        return;
      case 'message':
        if (this.live.has(message.doc)) for (const attachment of subscribers) attachment.message(message.bytes, message.size);
        return;
      case 'refused':
        this.live.delete(message.doc);
        for (const attachment of subscribers) attachment.refused(message.code, message.reason);
        return;
      case 'state':
        if (!message.state.ready) this.live.delete(message.doc);
        for (const attachment of subscribers) attachment.socketState(message.state);
        return;
      case 'token':
        for (const attachment of subscribers) attachment.token(message.claims ?? undefined);
        return;
    }
  }

  private post(message: TabMessage): void {
    this.channel.postMessage(message);
  }
}

const pages = new Map<string, BrowserSocket>();

/** Whether this browser can elect a leader tab (Web Locks and BroadcastChannel). */
export const canShareAcrossTabs = (): boolean =>
  typeof navigator !== 'undefined' && 'locks' in navigator && typeof BroadcastChannel === 'function' && typeof crypto?.randomUUID === 'function';

/**
 * The browser-wide socket of `userId` on `relayUrl`: this tab leads (holds the socket) or follows (its documents
 * travel through the leader tab). One per page; the first caller's `getToken` and `backoff` are used.
 */
export function browserSocketFor(relayUrl: RelayUrls, userId: string, getToken: GetToken, backoff?: BackoffOptions): DocSocket {
  const name = `parley-mux:${relayBases(relayUrl).map(syncUrl).join(' ')}:${encodeURIComponent(userId)}`;
  let socket = pages.get(name);
  if (!socket) {
    socket = new BrowserSocket(name, { relayUrl, userId, getToken, ...(backoff ? { backoff } : {}) });
    pages.set(name, socket);
  }
  return socket;
}
