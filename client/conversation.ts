// One open conversation: a Y.Doc cached in IndexedDB and synced through the relay, with an outbox, receipts, typing and presence.
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import {
  checkAttachments, checkCanWrite, checkText, deleteMessage, editMessage, getMessages, getMeta, getProfiles,
  markDelivered, markRead, newMessageId, react, readMessageLog, RuleError, sendMessage, setMeta, setProfile,
  unreact, unreadCount,
  type Attachment, type Message, type MessageLog, type MessageState, type ProfileEntry, type RoomKind, type Writer,
} from '../shared/conversation.js';
import { isValidRoomName, type Role } from '../shared/protocol.js';
import type { BackoffOptions } from './backoff.js';
import { openChannel } from './channel.js';
import { Connection, roomsUrl, type ConnectionState, type ConnectionStats, type GetToken } from './connection.js';
import { persistDoc, type DocStore } from './doc-store.js';
import { ClientError } from './errors.js';
import { userDbPrefix } from './idb.js';
import { notifyInbox } from './inbox.js';
import { logoutChannel } from './logout.js';
import { dropLocalStore, localStoreFor, type InboxEntry, type LocalStore, type OutboxEntry, type StorageState } from './local-store.js';
import { PresenceTracker, type Presence, type PresenceEntry, type PresenceOptions } from './presence.js';
import { ownStatuses } from './status.js';
import { roleFor } from './token.js';

export interface ConversationUser {
  /** Must equal the `sub` of the tokens `getToken` returns (the relay checks awareness against it). */
  id: string;
  name: string;
}

export interface OpenConversationOptions {
  /** Base URL of the relay: `ws(s)://host:port` or `http(s)://host:port` (the `/rooms/:room` path is added). */
  relayUrl: string;
  /** Room name: 1–128 characters of `[A-Za-z0-9._~-]`. */
  room: string;
  user: ConversationUser;
  /** Returns a relay token (JWT) for the room; called before connecting, ahead of expiry and after a 4401. */
  getToken: GetToken;
  /** Reconnect schedule (default: 500 ms doubling to 30 s, half of each step random). */
  backoff?: BackoffOptions;
  presence?: PresenceOptions;
  /** How long to wait for IndexedDB before carrying on in memory (default 5 s). */
  storageTimeoutMs?: number;
}

/** `failed`: the relay refused the room (4403/4404) or the model refused the queued message; see `error`. */
export type MessageStatusName = MessageState | 'failed';

/** A message as the UI shows it. Status fields are set on one's own messages only. */
export interface MessageView extends Message {
  mine: boolean;
  status?: MessageStatusName;
  deliveredTo?: number;
  readBy?: number;
  recipients?: number;
  /** Why it failed, when `status` is `failed`. */
  error?: string;
  /** Composed while not synced and still in the local outbox: not in the shared document yet. */
  queued: boolean;
}

export interface ConversationState {
  room: string;
  userId: string;
  connection: ConnectionState;
  /** Worst of the document cache and the client database: `unavailable`/`failed` mean memory only. */
  storage: StorageState;
  /** The local cache has been read (or found unusable): `messages` now shows what this device knows. */
  loaded: boolean;
  /** The role the current token grants in the room (undefined until a token was seen). */
  role: Role | undefined;
  messages: readonly MessageView[];
  unread: number;
  /** Other users typing now (one entry per user). */
  typing: readonly PresenceEntry[];
  /** Everyone connected to the room, this user first (one entry per user, whatever their tab count). */
  presence: readonly PresenceEntry[];
  profiles: ReadonlyMap<string, ProfileEntry>;
  meta: { title: string; kind: RoomKind };
  closed: boolean;
}

export interface SendOptions {
  replyTo?: string;
  attachments?: Attachment[];
  /** The message id (default: a new one); the attachment sender picks it before storing the files. */
  id?: string;
  /** Queue the message until `filesStored` (its attachments are still uploading). */
  awaitingFiles?: true;
}

/** The handle `openConversation` returns. Every write is checked by the shared model's rules first. */
export interface Conversation {
  readonly room: string;
  readonly user: ConversationUser;
  /** The live document (read-only use: write through the methods so rules and the outbox apply). */
  readonly doc: Y.Doc;
  /** Resolves once the cached history is in memory (or storage turned out unusable). */
  readonly loaded: Promise<void>;
  /** Traffic counters of the relay connection. */
  readonly stats: ConnectionStats;
  getState(): ConversationState;
  /** Calls `listener` (batched, at most once per microtask) after any change; returns the unsubscribe function. */
  subscribe(listener: (state: ConversationState) => void): () => void;
  /** Sends a message; while not synced it waits in the outbox and is appended at the end once synced. */
  send(text: string, options?: SendOptions): Promise<MessageView>;
  /** Sends a reply to message `replyTo`. */
  reply(replyTo: string, text: string, options?: Omit<SendOptions, 'replyTo'>): Promise<MessageView>;
  edit(id: string, text: string): Promise<void>;
  /** Deletes (tombstones) a message; a queued one just leaves the outbox. */
  delete(id: string): Promise<void>;
  react(id: string, emoji: string): void;
  unreact(id: string, emoji: string): void;
  /**
   * Marks messages up to `upTo` (default: the latest) as read, as displayed to the user. While the page is
   * hidden the mark waits until it is visible again. Returns whether a receipt was written now.
   */
  markRead(upTo?: string): boolean;
  setProfile(profile: { name?: string; avatar?: string }): void;
  setMeta(meta: { title?: string; kind?: RoomKind }): void;
  /** Call with `true` on each keystroke and `false` on blur (sending clears it too). */
  setTyping(active: boolean): void;
  /** `busy`/`away` stick until changed; `online` returns to automatic presence. `status` is a custom text. */
  setPresence(presence: Presence, status?: string): void;
  /** Retries the connection now (after `auth-expired` or while offline). */
  reconnect(): void;
  /** A queued message's files are stored on the relay: it gets their final records and may now be written. */
  filesStored(id: string, attachments: Attachment[]): Promise<void>;
  /** A queued message's files were refused: it shows as failed with `reason` (its files stay for Retry). */
  filesRefused(id: string, reason: string): Promise<void>;
  /** Disconnects and releases everything; the local data stays (see `logout` to wipe it). */
  close(): Promise<void>;
}

const LAST_SEEN_EVERY_MS = 60_000;
const INBOX_DEBOUNCE_MS = 250;

const openByUser = new Map<string, Set<ConversationImpl>>();

/** Every conversation of `userId` open in this page (for logout). */
export const openConversationsOf = (userId: string): ConversationImpl[] => [...(openByUser.get(userId) ?? [])];

/**
 * Opens a conversation: shows the cached history at once (no network needed), then connects to the relay
 * when it can. Throws a `ClientError` synchronously for a bad room name, relay URL, user or `getToken`.
 *
 * @example
 * const chat = openConversation({ relayUrl: 'ws://127.0.0.1:8787', room: 'team', user: { id: 'u1', name: 'Ada' },
 *   getToken: async () => (await fetch('/token?room=team')).text() });
 * chat.subscribe((state) => render(state.messages));
 * await chat.send('hello');
 */
export function openConversation(options: OpenConversationOptions): Conversation {
  return new ConversationImpl(options);
}

class ConversationImpl implements Conversation {
  readonly room: string;
  readonly user: ConversationUser;
  readonly doc = new Y.Doc();
  readonly loaded: Promise<void>;
  private readonly options: OpenConversationOptions;
  private readonly awareness: Awareness;
  private readonly store: LocalStore;
  private readonly docStore: DocStore;
  private readonly presenceTracker: PresenceTracker;
  private connection: Connection | undefined;
  private readonly durable = new Map<number, number>();
  private outbox: OutboxEntry[] = [];
  private role: Role | undefined;
  private isLoaded = false;
  private closed = false;
  private pendingRead: { upTo: string | undefined } | undefined;
  private flushing = false;
  private flushAgain = false;
  /** Outbox entries whose write to storage has not completed yet. */
  private readonly uncommitted = new Set<string>();
  /** Queued messages deleted here (ids are never reused). */
  private readonly removed = new Set<string>();
  private readonly listeners = new Set<(state: ConversationState) => void>();
  private notifyScheduled = false;
  private receiptsDue = false;
  private snapshot: ConversationState | undefined;
  private messagesCache: { messages: MessageView[]; unread: number; lastOther: string | undefined } | undefined;
  private lastSeenWritten = 0;
  private readonly openedAt = Date.now();
  private deliveredUpTo: string | undefined;
  private lastSeenTimer: ReturnType<typeof setInterval> | undefined;
  private inboxTimer: ReturnType<typeof setTimeout> | undefined;
  private lastInboxJson = '';
  private readonly outboxChannel: { post(message: string): void; close(): void };
  private readonly cleanup: (() => void)[] = [];
  private readonly idleConnection: ConnectionState = { status: 'connecting', synced: false, attempt: 0 };

  constructor(options: OpenConversationOptions) {
    const { room, user, relayUrl, getToken } = options;
    if (typeof room !== 'string' || !isValidRoomName(room)) {
      throw new ClientError('bad-room', `invalid room name ${JSON.stringify(room)}: use 1–128 characters of A-Z a-z 0-9 . _ ~ -`);
    }
    try {
      roomsUrl(relayUrl);
    } catch (error) {
      throw new ClientError('bad-relay-url', `invalid relay URL ${JSON.stringify(relayUrl)}: ${(error as Error).message}`);
    }
    if (!user || typeof user.id !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(user.id) || typeof user.name !== 'string') {
      throw new ClientError('bad-user', 'user must be { id, name } with a non-empty printable id (the token subject)');
    }
    if (typeof getToken !== 'function') throw new ClientError('bad-token', 'getToken must be a function returning a token');
    this.options = options;
    this.room = room;
    this.user = { id: user.id, name: user.name };
    this.awareness = new Awareness(this.doc);
    this.store = localStoreFor(user.id);
    this.docStore = persistDoc(this.doc, user.id, room, { timeoutMs: options.storageTimeoutMs ?? 5_000 });
    this.presenceTracker = new PresenceTracker(this.awareness, this.user, options.presence);

    const onUpdate = (_update: Uint8Array, origin: unknown): void => {
      this.changed(true);
      // The last frame of a split catch-up may be what the outbox was waiting for.
      if (origin !== null && origin === this.connection?.provider && this.outbox.length > 0) this.flush();
    };
    this.doc.on('update', onUpdate);
    this.cleanup.push(
      () => this.doc.off('update', onUpdate),
      this.presenceTracker.onChange(() => this.changed(false)),
      this.docStore.onState(() => this.changed(false)),
      this.store.onState(() => this.changed(false)),
    );
    this.outboxChannel = openChannel<string>(`${userDbPrefix(user.id)}:outbox`, (changedRoom) => {
      if (changedRoom === this.room) void this.reloadOutbox();
    });
    if (typeof document !== 'undefined') {
      const onVisible = (): void => {
        if (document.visibilityState === 'visible' && this.pendingRead) {
          const { upTo } = this.pendingRead;
          this.pendingRead = undefined;
          this.markRead(upTo);
        }
      };
      const onOnline = (): void => this.connection?.reconnect();
      document.addEventListener('visibilitychange', onVisible);
      window.addEventListener('online', onOnline);
      this.cleanup.push(() => {
        document.removeEventListener('visibilitychange', onVisible);
        window.removeEventListener('online', onOnline);
      });
    }
    // Another tab logged this user out: let go of the databases it is deleting.
    const logoutListener = openChannel<'logout'>(logoutChannel(user.id), () => {
      void this.close().then(() => dropLocalStore(user.id));
    });
    this.cleanup.push(() => logoutListener.close());
    const users = openByUser.get(user.id) ?? new Set();
    users.add(this);
    openByUser.set(user.id, users);
    this.loaded = this.load();
  }

  get stats(): ConnectionStats {
    return this.connection?.stats ?? { bytesIn: 0, bytesOut: 0, currentBytesIn: 0, currentBytesOut: 0, opens: 0 };
  }

  private get writer(): Writer {
    // Until a token is seen the role is unknown: assume `write` and let the relay be the judge.
    return { userId: this.user.id, role: this.role ?? 'write' };
  }

  /** Reads the cache, then connects: connecting first would make the relay send the whole history again. */
  private async load(): Promise<void> {
    const [, outbox, durable] = await Promise.all([
      this.docStore.whenLoaded,
      this.store.outbox(this.room),
      this.store.durable(this.room),
    ]);
    if (this.closed) return;
    this.outbox = outbox;
    if (durable) this.mergeDurable(Y.decodeStateVector(durable), false);
    this.isLoaded = true;
    this.changed(true);
    this.connection = new Connection({
      relayUrl: this.options.relayUrl,
      room: this.room,
      doc: this.doc,
      awareness: this.awareness,
      getToken: this.options.getToken,
      userId: this.user.id,
      broadcastChannel: `${userDbPrefix(this.user.id)}:${this.room}`,
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      onDurable: (sv) => this.mergeDurable(sv, true),
      onToken: (claims) => {
        this.role = claims ? roleFor(claims, this.room) : undefined;
        this.changed(false);
      },
    });
    this.cleanup.push(
      this.connection.onState((state) => {
        if (state.synced) this.onSynced();
        // A final refusal turns pending messages into failures: messages depend on the connection's state.
        this.changed(state.status === 'forbidden' || state.status === 'deleted');
      }),
    );
    this.lastSeenTimer = setInterval(() => this.touchLastSeen(), LAST_SEEN_EVERY_MS);
  }

  getState(): ConversationState {
    if (this.snapshot) return this.snapshot;
    const computed = this.computeMessages();
    const docState = this.docStore.state;
    const storeState = this.store.state;
    const rank = { ready: 0, loading: 1, unavailable: 2, failed: 3 } as const;
    const storage = rank[docState.status] >= rank[storeState.status] ? docState : storeState;
    this.snapshot = {
      room: this.room,
      userId: this.user.id,
      connection: this.closed ? { ...(this.connection?.state ?? this.idleConnection), status: 'closed', synced: false } : (this.connection?.state ?? this.idleConnection),
      storage,
      loaded: this.isLoaded,
      role: this.role,
      messages: computed.messages,
      unread: computed.unread,
      typing: this.presenceTracker.typing,
      presence: this.presenceTracker.presence,
      profiles: getProfiles(this.doc),
      meta: getMeta(this.doc),
      closed: this.closed,
    };
    return this.snapshot;
  }

  subscribe(listener: (state: ConversationState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(text: string, options: SendOptions = {}): Promise<MessageView> {
    this.assertOpen();
    checkCanWrite(this.writer);
    if (!options.attachments?.length || text !== '') checkText(text);
    if (options.attachments !== undefined) checkAttachments(options.attachments);
    const log = readMessageLog(this.doc);
    if (options.replyTo !== undefined && !log.byId.has(options.replyTo) && !this.outbox.some((e) => e.id === options.replyTo)) {
      throw new RuleError('bad-reply', options.replyTo);
    }
    this.presenceTracker.setTyping(false);
    const entry: OutboxEntry = {
      room: this.room,
      id: options.id ?? newMessageId(),
      text,
      createdAt: Date.now(),
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      ...(options.attachments !== undefined ? { attachments: options.attachments } : {}),
      ...(options.awaitingFiles ? { awaitingFiles: true as const } : {}),
    };
    const synced = this.connection?.isCaughtUp() === true;
    const waiting = this.outbox.some((e) => !e.error && !e.awaitingFiles && !log.byId.has(e.id));
    if (synced && !waiting && !entry.awaitingFiles) {
      // Caught up with the relay: the message's position is right, so it goes straight into the document.
      sendMessage(this.doc, this.writer, entry);
    } else {
      // Not synced: appended to the shared array only once caught up, so it lands after what others wrote
      // meanwhile instead of in the middle of their history. (Synced but older messages still queued: it
      // queues behind them to keep the order.)
      this.outbox.push(entry);
      this.changed(true);
      await this.commitOutbox(entry);
      if (synced) this.flush();
    }
    return this.viewOf(entry.id) ?? this.outboxView(entry);
  }

  async filesStored(id: string, attachments: Attachment[]): Promise<void> {
    checkAttachments(attachments);
    const entry = this.outbox.find((e) => e.id === id);
    if (!entry) return;
    entry.attachments = attachments;
    delete entry.awaitingFiles;
    this.changed(true);
    await this.commitOutbox(entry);
    this.flush();
  }

  async filesRefused(id: string, reason: string): Promise<void> {
    const entry = this.outbox.find((e) => e.id === id);
    if (!entry) return;
    entry.error = reason;
    this.changed(true);
    await this.commitOutbox(entry);
  }

  reply(replyTo: string, text: string, options: Omit<SendOptions, 'replyTo'> = {}): Promise<MessageView> {
    return this.send(text, { ...options, replyTo });
  }

  async edit(id: string, text: string): Promise<void> {
    this.assertOpen();
    const queued = this.queuedOnly(id);
    if (queued) {
      checkText(text);
      queued.text = text;
      this.changed(true);
      await this.commitOutbox(queued);
      return;
    }
    editMessage(this.doc, this.writer, id, text);
  }

  async delete(id: string): Promise<void> {
    this.assertOpen();
    const queued = this.queuedOnly(id);
    if (queued) {
      this.outbox = this.outbox.filter((e) => e !== queued);
      this.removed.add(id);
      this.changed(true);
      await this.store.deleteOutbox(this.room, id);
      this.outboxChannel.post(this.room);
      return;
    }
    deleteMessage(this.doc, this.writer, id);
  }

  react(id: string, emoji: string): void {
    this.assertOpen();
    if (this.queuedOnly(id)) throw new ClientError('pending-message', 'this message is not sent yet: react once it is');
    react(this.doc, this.writer, id, emoji);
  }

  unreact(id: string, emoji: string): void {
    this.assertOpen();
    if (this.queuedOnly(id)) return;
    unreact(this.doc, this.writer, id, emoji);
  }

  markRead(upTo?: string): boolean {
    this.assertOpen();
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') {
      this.pendingRead = { upTo };
      return false;
    }
    const log = readMessageLog(this.doc);
    let index = upTo === undefined ? log.list.length - 1 : (log.byId.get(upTo)?.position ?? -1);
    if (upTo !== undefined && index < 0) throw new RuleError('unknown-message', upTo);
    // Receipts are never written for one's own messages: read up to the last message by someone else.
    while (index >= 0 && log.list[index]!.current.record.author === this.user.id) index--;
    if (index < 0) return false;
    try {
      return markRead(this.doc, this.writer, log.list[index]!.current.record.id);
    } catch (error) {
      if (error instanceof RuleError && error.code === 'read-only') return false;
      throw error;
    }
  }

  setProfile(profile: { name?: string; avatar?: string }): void {
    this.assertOpen();
    const current = getProfiles(this.doc).get(this.user.id);
    setProfile(this.doc, this.writer, { ...(current ? {} : { name: this.user.name }), ...profile });
  }

  setMeta(meta: { title?: string; kind?: RoomKind }): void {
    this.assertOpen();
    setMeta(this.doc, this.writer, meta);
  }

  setTyping(active: boolean): void {
    if (!this.closed) this.presenceTracker.setTyping(active);
  }

  setPresence(presence: Presence, status?: string): void {
    if (!this.closed) this.presenceTracker.setPresence(presence, status);
  }

  reconnect(): void {
    this.connection?.reconnect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.lastSeenTimer);
    if (this.inboxTimer !== undefined) {
      clearTimeout(this.inboxTimer);
      await this.writeInbox();
    }
    this.presenceTracker.destroy();
    this.connection?.close();
    for (const fn of this.cleanup) fn();
    this.outboxChannel.close();
    this.awareness.destroy();
    await this.docStore.destroy();
    this.doc.destroy();
    openByUser.get(this.user.id)?.delete(this);
    this.changed(false);
  }

  // ---- internals ----

  private assertOpen(): void {
    if (this.closed) throw new ClientError('closed', 'this conversation was closed');
  }

  /** The outbox entry of `id` when the message is only there (not yet in the document). */
  private queuedOnly(id: string): OutboxEntry | undefined {
    const entry = this.outbox.find((e) => e.id === id);
    if (!entry) return undefined;
    return readMessageLog(this.doc).byId.has(id) ? undefined : entry;
  }

  private changed(messages: boolean): void {
    this.snapshot = undefined;
    if (messages) {
      this.messagesCache = undefined;
      this.scheduleInbox();
    }
    if (messages) this.receiptsDue = true;
    if (this.notifyScheduled || (this.listeners.size === 0 && !this.receiptsDue)) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      if (this.receiptsDue && this.isLoaded && !this.closed) {
        this.receiptsDue = false;
        this.deliverReceipts();
      }
      if (this.listeners.size === 0) return;
      const state = this.getState();
      for (const listener of this.listeners) listener(state);
    });
  }

  private computeMessages(): { messages: MessageView[]; unread: number; lastOther: string | undefined } {
    if (this.messagesCache) return this.messagesCache;
    const log = readMessageLog(this.doc);
    const statuses = ownStatuses(this.doc, log, this.user.id, this.durable);
    const final = this.connection?.state.status === 'forbidden' || this.connection?.state.status === 'deleted'
      ? (this.connection.state.reason ?? this.connection.state.status)
      : undefined;
    let lastOther: string | undefined;
    const messages: MessageView[] = getMessages(this.doc, log).map((message) => {
      if (message.author !== this.user.id) {
        lastOther = message.id;
        return { ...message, mine: false, queued: false };
      }
      const status = statuses.get(message.id);
      const view: MessageView = { ...message, mine: true, queued: false };
      if (status) {
        Object.assign(view, status);
        view.status = status.state;
        if (status.state === 'sending' && final) {
          view.status = 'failed';
          view.error = final;
        }
      }
      return view;
    });
    for (const entry of this.outbox) {
      if (log.byId.has(entry.id)) continue;
      messages.push(this.outboxView(entry, final));
    }
    this.messagesCache = { messages, unread: unreadCount(this.doc, this.user.id, log), lastOther };
    return this.messagesCache;
  }

  private outboxView(entry: OutboxEntry, final?: string): MessageView {
    const error = entry.error ?? final;
    return {
      id: entry.id,
      author: this.user.id,
      text: entry.text,
      createdAt: entry.createdAt,
      ...(entry.replyTo !== undefined ? { replyTo: entry.replyTo } : {}),
      ...(entry.attachments !== undefined ? { attachments: entry.attachments } : {}),
      deleted: false,
      mine: true,
      status: error ? 'failed' : 'sending',
      ...(error ? { error } : {}),
      queued: true,
    };
  }

  private viewOf(id: string): MessageView | undefined {
    return this.computeMessages().messages.find((m) => m.id === id);
  }

  /** "Delivered" = reached this replica: moves the delivered mark to the latest message by someone else. */
  private deliverReceipts(): void {
    const { lastOther } = this.computeMessages();
    if (lastOther === undefined || lastOther === this.deliveredUpTo || this.role === 'read') return;
    this.deliveredUpTo = lastOther;
    try {
      markDelivered(this.doc, this.writer, lastOther);
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
    }
  }

  private mergeDurable(stateVector: Map<number, number>, persist: boolean): void {
    let moved = false;
    for (const [client, clock] of stateVector) {
      if ((this.durable.get(client) ?? 0) < clock) {
        this.durable.set(client, clock);
        moved = true;
      }
    }
    if (!moved) return;
    this.changed(true);
    if (persist && !this.closed) {
      void this.store.putDurable(this.room, Y.encodeStateVector(this.durable));
      void this.pruneOutbox();
    }
  }

  /** Outbox entries leave once their message is in the document and durable on the relay. */
  private async pruneOutbox(): Promise<void> {
    const { messages } = this.computeMessages();
    const done = new Set(messages.filter((m) => m.mine && !m.queued && m.status !== 'sending' && m.status !== 'failed').map((m) => m.id));
    const leaving = this.outbox.filter((e) => done.has(e.id));
    if (leaving.length === 0) return;
    this.outbox = this.outbox.filter((e) => !done.has(e.id));
    await Promise.all(leaving.map((e) => this.store.deleteOutbox(this.room, e.id)));
  }

  /** Stores an outbox entry and tells other tabs; until stored, a re-read of storage must not drop it. */
  private async commitOutbox(entry: OutboxEntry): Promise<void> {
    this.uncommitted.add(entry.id);
    try {
      await this.store.putOutbox(entry);
    } finally {
      this.uncommitted.delete(entry.id);
    }
    this.outboxChannel.post(this.room);
  }

  /** Takes storage's outbox (other tabs' changes included), keeping local entries still being stored. */
  private adoptOutbox(stored: OutboxEntry[]): void {
    const ids = new Set(stored.map((e) => e.id));
    const keep = this.outbox.filter((e) => this.uncommitted.has(e.id) && !ids.has(e.id));
    // A read that started before a local delete committed must not bring the entry back.
    this.outbox = [...stored.filter((e) => !this.removed.has(e.id)), ...keep].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  private async reloadOutbox(): Promise<void> {
    if (this.closed || !this.isLoaded) return;
    this.adoptOutbox(await this.store.outbox(this.room));
    this.changed(true);
    if (this.connection?.state.synced) this.flush();
  }

  private onSynced(): void {
    this.flush();
    if (this.role !== 'read') {
      const profile = getProfiles(this.doc).get(this.user.id);
      if (!profile || profile.name !== this.user.name) this.tryWrite(() => setProfile(this.doc, this.writer, { name: this.user.name }));
      this.touchLastSeen();
    }
  }

  /**
   * Appends queued messages to the shared array, oldest first, now that this replica is caught up. One
   * flush at a time; a request during a flush runs another pass after it.
   */
  private flush(): void {
    if (!this.connection?.isCaughtUp()) return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    void (async () => {
      try {
        do {
          this.flushAgain = false;
          // Another tab may have flushed, edited or deleted entries meanwhile: storage is the truth.
          const stored = await this.store.outbox(this.room);
          if (this.closed) return;
          this.adoptOutbox(stored);
          const inDoc = readMessageLog(this.doc).byId;
          for (const entry of [...this.outbox]) {
            if (!this.connection?.isCaughtUp()) break;
            if (entry.error || entry.awaitingFiles || inDoc.has(entry.id)) continue;
            try {
              sendMessage(this.doc, this.writer, {
                id: entry.id,
                text: entry.text,
                createdAt: entry.createdAt,
                ...(entry.replyTo !== undefined ? { replyTo: entry.replyTo } : {}),
                ...(entry.attachments !== undefined ? { attachments: entry.attachments } : {}),
              });
            } catch (error) {
              if (!(error instanceof RuleError)) throw error;
              entry.error = error.message;
              await this.store.putOutbox(entry);
            }
          }
          this.changed(true);
          await this.pruneOutbox();
        } while (this.flushAgain && !this.closed && this.connection?.isCaughtUp());
      } finally {
        this.flushing = false;
      }
    })();
  }

  /** Writes `lastSeen` in the member profile while the user is here, at most once a minute. */
  private touchLastSeen(): void {
    if (this.closed || this.role === 'read' || !this.connection?.state.synced || !this.presenceTracker.isActive()) return;
    const now = Date.now();
    const current = getProfiles(this.doc).get(this.user.id);
    // The profile's own value counts too: reloads and other tabs must not write it more often.
    if (now - Math.max(this.lastSeenWritten, current?.lastSeen ?? 0) < LAST_SEEN_EVERY_MS) return;
    this.lastSeenWritten = now;
    this.tryWrite(() => setProfile(this.doc, this.writer, { name: current?.name ?? this.user.name, lastSeen: now }));
  }

  private tryWrite(write: () => void): void {
    try {
      write();
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
    }
  }

  private scheduleInbox(): void {
    if (!this.isLoaded || this.closed || this.inboxTimer !== undefined) return;
    this.inboxTimer = setTimeout(() => {
      this.inboxTimer = undefined;
      void this.writeInbox();
    }, INBOX_DEBOUNCE_MS);
  }

  /** Keeps this room's inbox entry (unread count, last message, title) current for the inbox view. */
  private async writeInbox(): Promise<void> {
    if (!this.isLoaded) return;
    const { messages, unread } = this.computeMessages();
    const last = messages.at(-1);
    const profiles = getProfiles(this.doc);
    const title = getMeta(this.doc).title;
    const summary = {
      room: this.room,
      unread,
      ...(title ? { title } : {}),
      ...(last
        ? {
            lastMessage: {
              id: last.id,
              author: last.author,
              ...(profiles.get(last.author)?.name ? { authorName: profiles.get(last.author)!.name } : {}),
              text: last.deleted ? '' : last.text.slice(0, 200),
              createdAt: last.createdAt,
              ...(last.deleted ? { deleted: true } : {}),
            },
          }
        : {}),
    };
    const json = JSON.stringify(summary);
    if (json === this.lastInboxJson) return;
    this.lastInboxJson = json;
    const entry: InboxEntry = { ...summary, openedAt: this.openedAt, updatedAt: Date.now() };
    await this.store.putInbox(entry);
    notifyInbox(this.user.id);
  }
}

export type { ConversationImpl };
