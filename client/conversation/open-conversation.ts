// One open conversation: wires the document, its cache, the relay connection, the outbox, receipts and presence together.
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import {
  canPin, checkAttachments, checkCanWrite, checkText, checkThreadRoot, deleteMessage, editMessage, getMeta, getPins,
  getProfiles, getThreads, markThreadRead, newMessageId, patchMessageLogs, pinMessage, react, readMessageLog, readMessageLogInSteps, RuleError,
  sendMessage, setMeta, setProfile, unpinMessage, unreact, type Attachment, type MessageLog, type MessageRecord, type RoomKind,
  type Writer,
} from '../../shared/conversation.js';
import { isUserId } from '../../shared/ids.js';
import { checkMentionList, checkMentionMembers, mentionableIn } from '../../shared/mentions.js';
import { isValidRoomName, type Role } from '../../shared/protocol.js';
import { conversationKind } from '../../shared/membership.js';
import { checkCanPost, effectiveRole, rosterRole, writeRoleOf } from '../../shared/roster.js';
import type { ConnectionState, ConnectionStats, SyncConnection } from '../connection/connection-state.js';
import { watchNetwork } from '../connection/network-signals.js';
import { relayBases } from '../connection/relay-url.js';
import { MuxConnection } from '../connection/mux-connection.js';
import { RoomConnection } from '../connection/room-connection.js';
import { persistDoc, type DocStore } from '../doc-store.js';
import { ClientError } from '../errors.js';
import { userDbPrefix } from '../idb.js';
import { dropLocalStore, localStoreFor, type LocalStore, type OutboxEntry } from '../local-store.js';
import { PresenceTracker, type Presence } from '../presence.js';
import { roleFor, type TokenClaims } from '../token.js';
import { DurableAcks } from './durable-acks.js';
import { InboxSummary } from './inbox-summary.js';
import { messageViewsInSteps, nextViews, outboxView, type MessageViews, type ViewsInput } from './message-views.js';
import { Outbox } from './outbox.js';
import { ProfileUpkeep } from './profile-upkeep.js';
import { Receipts } from './receipts.js';
import { registerConversation } from './registry.js';
import { readTail, tailOf, TailWriter, type Tail } from './tail-cache.js';
import { nextTask } from '../next-task.js';
import type { Conversation, ConversationState, ConversationUser, MessageView, OpenConversationOptions, SendOptions } from './types.js';

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

/** The transport when `transport` is not given. */
const DEFAULT_TRANSPORT: 'mux' | 'room' = 'mux';

const NO_STATS: ConnectionStats = { bytesIn: 0, bytesOut: 0, currentBytesIn: 0, currentBytesOut: 0, opens: 0 };

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
  private readonly durable = new DurableAcks();
  private readonly outbox: Outbox;
  private readonly receipts: Receipts;
  private readonly inbox: InboxSummary;
  private profile: ProfileUpkeep | undefined;
  private connection: SyncConnection | undefined;
  private role: Role | undefined;
  private isLoaded = false;
  private closed = false;
  private readonly listeners = new Set<(state: ConversationState) => void>();
  private notifyScheduled = false;
  private receiptsDue = false;
  private snapshot: ConversationState | undefined;
  private views: MessageViews | undefined;
  /** The latest views built, kept when a change drops `views`: the next ones are patched from them. */
  private lastViews: MessageViews | undefined;
  /** Counts the times the views were dropped (a stepwise build started before one is stale). */
  private viewsGeneration = 0;
  /** The latest messages as this device last showed them: the state's messages until the document is loaded. */
  private tail: Tail | undefined;
  private readonly tailWriter: TailWriter;
  private readonly cleanup: (() => void)[] = [];
  private readonly idleConnection: ConnectionState = { status: 'connecting', synced: false, attempt: 0 };

  constructor(options: OpenConversationOptions) {
    const { room, user, relayUrl, getToken } = options;
    if (typeof room !== 'string' || !isValidRoomName(room)) {
      throw new ClientError('bad-room', `invalid room name ${JSON.stringify(room)}: use 1–128 characters of A-Z a-z 0-9 . _ ~ -`);
    }
    try {
      relayBases(relayUrl);
    } catch (error) {
      throw new ClientError('bad-relay-url', `invalid relay URL ${JSON.stringify(relayUrl)}: ${(error as Error).message}`);
    }
    if (!user || typeof user.id !== 'string' || !isUserId(user.id) || typeof user.name !== 'string') {
      throw new ClientError('bad-user', 'user must be { id, name } with a non-empty printable id (the token subject)');
    }
    if (typeof getToken !== 'function') throw new ClientError('bad-token', 'getToken must be a function returning a token');
    if (options.transport !== undefined && options.transport !== 'mux' && options.transport !== 'room') {
      throw new ClientError('bad-transport', `transport must be 'mux' or 'room', not ${JSON.stringify(options.transport)}`);
    }
    this.options = options;
    this.room = room;
    this.user = { id: user.id, name: user.name };
    this.awareness = new Awareness(this.doc);
    // The views are read after every change: the log is patched per transaction, not rebuilt (message-views.ts).
    patchMessageLogs(this.doc);
    this.store = localStoreFor(user.id);
    this.tailWriter = new TailWriter(user.id, room, () => tailOf(this.getState()));
    // The tail is read first and shown, and only then is the document loaded: applying a long history blocks the
    // main thread, and the first screen must be painted before that (see docs/client.md, "First screen").
    const tailShown = readTail(user.id, room).then(async (tail) => {
      if (!tail || this.isLoaded || this.closed) return;
      this.tail = tail;
      this.changed(false);
      await afterPaint();
    });
    this.docStore = persistDoc(this.doc, user.id, room, { timeoutMs: options.storageTimeoutMs ?? 5_000, startAfter: tailShown });
    this.presenceTracker = new PresenceTracker(this.awareness, this.user, options.presence);
    this.outbox = new Outbox({
      room,
      userId: user.id,
      doc: this.doc,
      store: this.store,
      writer: () => this.writer,
      isCaughtUp: () => this.connection?.isCaughtUp() === true,
      isClosed: () => this.closed,
      changed: () => this.changed(true),
      // Looked up by id (not a pass over every view: this runs on each durable ack).
      settledIds: () => new Set(this.outbox.entries.map((e) => e.id).filter((id) => {
        const m = this.viewOf(id);
        return m !== undefined && m.mine && !m.queued && m.status !== 'sending' && m.status !== 'failed';
      })),
    });
    this.receipts = new Receipts(this.doc, user.id, () => this.writer, () => this.role);
    this.inbox = new InboxSummary(room, this.doc, this.store, () => this.computeViews());

    const onUpdate = (_update: Uint8Array, origin: unknown): void => {
      this.changed(true);
      // The last frame of a split catch-up may be what the outbox was waiting for.
      if (this.connection?.isRemoteOrigin(origin) && this.outbox.entries.length > 0) this.outbox.flush();
    };
    this.doc.on('update', onUpdate);
    this.cleanup.push(
      () => this.doc.off('update', onUpdate),
      this.presenceTracker.onChange(() => this.changed(false)),
      this.docStore.onState(() => this.changed(false)),
      this.store.onState(() => this.changed(false)),
      watchNetwork({ online: () => undefined, offline: () => undefined, visible: () => this.receipts.onVisible() }),
      // Logout (here or in another tab) closes it before deleting its data: no tail may be written then.
      registerConversation(user.id, { close: () => (this.tailWriter.stop(), this.close()) }, () => dropLocalStore(user.id)),
      // Another tab's relay acked what this tab holds too (a write shared between tabs): see DurableAcks.
      this.durable.share(`${userDbPrefix(user.id)}:${room}:durable`, () => this.durableMoved()),
    );
    this.loaded = this.load();
  }

  get stats(): ConnectionStats {
    return this.connection?.stats ?? NO_STATS;
  }

  private get writer(): Writer {
    // The token's grant or the roster, the higher one (banned: read only). With neither known (no token seen
    // yet, no roster entry): assume `write` and let the relay be the judge.
    const role = effectiveRole(this.role, rosterRole(this.doc, this.user.id));
    return { userId: this.user.id, role: role === 'banned' ? 'read' : writeRoleOf(role) ?? this.role ?? 'write' };
  }

  /** Reads the cache, then connects: connecting first would make the relay send the whole history again. */
  private async load(): Promise<void> {
    const [, outbox, durable] = await Promise.all([
      this.docStore.whenLoaded,
      this.store.outbox(this.room),
      this.store.durable(this.room),
    ]);
    if (this.closed) return;
    // The views of a long history are built over several tasks while the tail stays on screen (the document was
    // applied the same way: see piece-store.ts): the message log in slices, then the views, then the first state.
    const log = await readMessageLogInSteps(this.doc, nextTask);
    if (this.closed) return;
    this.outbox.load(outbox);
    if (durable) this.durable.mergeEncoded(durable);
    // The delivered mark is the first write of a loaded conversation: made before the views, it does not drop them.
    this.receipts.deliver(lastByOther(log, this.user.id));
    await nextTask();
    if (this.closed) return;
    const generation = this.viewsGeneration;
    const views = await messageViewsInSteps(this.viewsInput(), nextTask);
    if (this.closed) return;
    if (generation === this.viewsGeneration) this.views = this.lastViews = views;
    await nextTask();
    if (this.closed) return;
    this.isLoaded = true;
    this.tail = undefined;
    // The views built above stay valid unless something changed meanwhile (which dropped them).
    this.changed(true, { keepViews: true });
    const common = {
      relayUrl: this.options.relayUrl,
      room: this.room,
      doc: this.doc,
      awareness: this.awareness,
      getToken: this.options.getToken,
      userId: this.user.id,
      ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      onDurable: (sv: Map<number, number>) => this.onDurable(sv),
      onToken: (claims: TokenClaims | undefined) => {
        this.role = claims ? roleFor(claims, this.room) : undefined;
        if (claims) this.presenceTracker.setName(claims.name ?? claims.sub);
        this.changed(false);
      },
    };
    const broadcastChannel = `${userDbPrefix(this.user.id)}:${this.room}`;
    this.connection = (this.options.transport ?? DEFAULT_TRANSPORT) === 'mux'
      ? new MuxConnection({
          ...common,
          broadcastChannel,
          ...(this.options.socketScope ? { socketScope: this.options.socketScope } : {}),
        })
      : new RoomConnection({ ...common, broadcastChannel });
    this.cleanup.push(
      this.connection.onState((state) => {
        if (state.synced) this.onSynced();
        // A final refusal turns pending messages into failures: messages depend on the connection's state.
        this.changed(state.status === 'forbidden' || state.status === 'deleted');
      }),
    );
    this.profile = new ProfileUpkeep(this.doc, this.user, () => this.writer, () =>
      !this.closed && this.role !== 'read' && this.connection?.state.synced === true && this.presenceTracker.isActive());
  }

  getState(): ConversationState {
    if (this.snapshot) return this.snapshot;
    if (!this.isLoaded) return (this.snapshot = this.loadingState());
    const computed = this.computeViews();
    const docState = this.docStore.state;
    const storeState = this.store.state;
    const rank = { ready: 0, loading: 1, unavailable: 2, failed: 3 } as const;
    const storage = rank[docState.status] >= rank[storeState.status] ? docState : storeState;
    const connection = this.connection?.state ?? this.idleConnection;
    const log = readMessageLog(this.doc);
    const meta = getMeta(this.doc);
    this.snapshot = {
      room: this.room,
      userId: this.user.id,
      connection: this.closed ? { ...connection, status: 'closed', synced: false } : connection,
      storage,
      loaded: this.isLoaded,
      role: this.role,
      messages: computed.messages,
      unread: computed.unread,
      unreadMentions: computed.unreadMentions,
      typing: this.presenceTracker.typing,
      presence: this.presenceTracker.presence,
      profiles: getProfiles(this.doc),
      meta,
      pins: getPins(this.doc, log),
      threads: getThreads(this.doc, this.user.id, log),
      canPin: this.role !== undefined && canPin(this.writer, meta.kind),
      preview: false,
      closed: this.closed,
    };
    return this.snapshot;
  }

  /**
   * The state until the cache is read: the tail's messages (or none), never the document's. The document may be
   * half-way through loading, and reading a long one here would add its cost to the task that applies it.
   */
  private loadingState(): ConversationState {
    const connection = this.connection?.state ?? this.idleConnection;
    const docState = this.docStore.state;
    const storeState = this.store.state;
    const rank = { ready: 0, loading: 1, unavailable: 2, failed: 3 } as const;
    const tail = this.tail;
    return {
      room: this.room,
      userId: this.user.id,
      connection: this.closed ? { ...connection, status: 'closed', synced: false } : connection,
      storage: rank[docState.status] >= rank[storeState.status] ? docState : storeState,
      loaded: false,
      role: this.role,
      messages: tail?.messages ?? [],
      unread: tail?.unread ?? 0,
      unreadMentions: 0,
      typing: this.presenceTracker.typing,
      presence: this.presenceTracker.presence,
      profiles: tail?.profiles ?? new Map(),
      meta: tail?.meta ?? { title: '', kind: 'group' },
      pins: [],
      threads: [],
      canPin: false,
      preview: tail !== undefined,
      closed: this.closed,
    };
  }

  subscribe(listener: (state: ConversationState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(text: string, options: SendOptions = {}): Promise<MessageView> {
    this.assertOpen();
    checkCanWrite(this.writer);
    checkCanPost(conversationKind(this.doc), effectiveRole(this.role, rosterRole(this.doc, this.user.id)) ?? 'member');
    // Files may be sent without a caption.
    if (!options.attachments?.length || text !== '') checkText(text);
    if (options.attachments !== undefined) checkAttachments(options.attachments);
    const mentions = this.checkedMentions(options.mentions);
    const log = readMessageLog(this.doc);
    if (options.replyTo !== undefined && !log.byId.has(options.replyTo) && !this.outbox.has(options.replyTo)) {
      throw new RuleError('bad-reply', options.replyTo);
    }
    if (options.threadRoot !== undefined || options.alsoInMain !== undefined) {
      // The model's rule, with roots still in the outbox counting as known.
      const draft = { id: '', threadRoot: options.threadRoot, ...(options.alsoInMain ? { alsoInMain: true } : {}) } as MessageRecord;
      const queued = (id: string): MessageRecord | undefined => {
        const entry = this.outbox.queuedOnly(id);
        return entry && { id: entry.id, author: this.user.id, text: entry.text, createdAt: entry.createdAt, ...(entry.threadRoot !== undefined ? { threadRoot: entry.threadRoot } : {}) };
      };
      checkThreadRoot(draft, { get: (id) => log.get(id) ?? queued(id), compare: log.compare });
    }
    this.presenceTracker.setTyping(false);
    const entry: OutboxEntry = {
      room: this.room,
      id: options.id ?? newMessageId(),
      text,
      createdAt: Date.now(),
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      ...(options.threadRoot !== undefined ? { threadRoot: options.threadRoot } : {}),
      ...(options.threadRoot !== undefined && options.alsoInMain === true ? { alsoInMain: true as const } : {}),
      ...(options.attachments !== undefined ? { attachments: options.attachments } : {}),
      ...(mentions !== undefined ? { mentions } : {}),
      ...(options.awaitingFiles ? { awaitingFiles: true as const } : {}),
    };
    if (this.connection?.isCaughtUp() === true && !this.outbox.hasWaiting() && !entry.awaitingFiles) {
      // Caught up with the relay: the message's position is right, so it goes straight into the document.
      sendMessage(this.doc, this.writer, entry);
    } else {
      // Not caught up (or older messages still queued: it queues behind them to keep the order).
      await this.outbox.add(entry);
    }
    return this.viewOf(entry.id) ?? outboxView(entry, this.user.id);
  }

  async filesStored(id: string, attachments: Attachment[]): Promise<void> {
    checkAttachments(attachments);
    await this.outbox.filesStored(id, attachments);
  }

  async filesRefused(id: string, reason: string): Promise<void> {
    await this.outbox.filesRefused(id, reason);
  }

  reply(replyTo: string, text: string, options: Omit<SendOptions, 'replyTo'> = {}): Promise<MessageView> {
    return this.send(text, { ...options, replyTo });
  }

  replyInThread(root: string, text: string, options: Omit<SendOptions, 'threadRoot'> = {}): Promise<MessageView> {
    return this.send(text, { ...options, threadRoot: root });
  }

  markThreadRead(root: string, upTo?: string): boolean {
    this.assertOpen();
    return markThreadRead(this.doc, this.writer, root, upTo);
  }

  pin(id: string): void {
    this.assertOpen();
    if (this.outbox.queuedOnly(id)) throw new ClientError('pending-message', 'this message is not sent yet: pin it once it is');
    pinMessage(this.doc, this.writer, id);
  }

  unpin(id: string): void {
    this.assertOpen();
    unpinMessage(this.doc, this.writer, id);
  }

  async edit(id: string, text: string, options: { mentions?: readonly string[] } = {}): Promise<void> {
    this.assertOpen();
    const queued = this.outbox.queuedOnly(id);
    if (queued) {
      checkText(text);
      const mentions = options.mentions === undefined ? undefined : (this.checkedMentions(options.mentions) ?? []);
      await this.outbox.edit(queued, text, mentions);
      return;
    }
    editMessage(this.doc, this.writer, id, text, options.mentions);
  }

  /**
   * The shared mention rule before anything is queued (shared/mentions.ts): the list's shape and bound, and each
   * id a member as this replica knows the room. Undefined when there are none.
   */
  private checkedMentions(mentions: readonly string[] | undefined): string[] | undefined {
    if (mentions === undefined || mentions.length === 0) return undefined;
    checkMentionList(mentions);
    const list = [...mentions];
    checkMentionMembers({ author: this.user.id, mentions: list } as MessageRecord, mentionableIn(this.doc));
    return list;
  }

  async delete(id: string): Promise<void> {
    this.assertOpen();
    const queued = this.outbox.queuedOnly(id);
    if (queued) {
      await this.outbox.remove(queued);
      return;
    }
    deleteMessage(this.doc, this.writer, id);
  }

  react(id: string, emoji: string): void {
    this.assertOpen();
    if (this.outbox.queuedOnly(id)) throw new ClientError('pending-message', 'this message is not sent yet: react once it is');
    react(this.doc, this.writer, id, emoji);
  }

  unreact(id: string, emoji: string): void {
    this.assertOpen();
    if (this.outbox.queuedOnly(id)) return;
    unreact(this.doc, this.writer, id, emoji);
  }

  markRead(upTo?: string): boolean {
    this.assertOpen();
    return this.receipts.markRead(upTo);
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
    this.profile?.stop();
    if (this.isLoaded) await Promise.all([this.inbox.flush(), this.tailWriter.close()]);
    else this.tailWriter.stop();
    this.presenceTracker.destroy();
    this.connection?.close();
    for (const fn of this.cleanup) fn();
    this.outbox.close();
    this.awareness.destroy();
    await this.docStore.destroy();
    this.doc.destroy();
    this.changed(false);
  }

  // ---- internals ----

  private assertOpen(): void {
    if (this.closed) throw new ClientError('closed', 'this conversation was closed');
  }

  /** Something changed: drop cached state (`keepViews`: not the views, still valid), and notify listeners (and write receipts) once per microtask. */
  private changed(messages: boolean, { keepViews = false }: { keepViews?: boolean } = {}): void {
    this.snapshot = undefined;
    if (messages) {
      if (!keepViews) {
        this.views = undefined;
        this.viewsGeneration++;
      }
      this.receiptsDue = true;
      if (this.isLoaded && !this.closed) {
        this.inbox.schedule();
        this.tailWriter.schedule();
      }
    }
    if (this.notifyScheduled || (this.listeners.size === 0 && !this.receiptsDue)) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      if (this.receiptsDue && this.isLoaded && !this.closed) {
        this.receiptsDue = false;
        this.receipts.deliver(this.computeViews().lastOther);
      }
      if (this.listeners.size === 0) return;
      const state = this.getState();
      for (const listener of this.listeners) listener(state);
    });
  }

  private computeViews(): MessageViews {
    if (!this.views) this.views = this.lastViews = nextViews(this.lastViews, this.viewsInput());
    return this.views;
  }

  private viewsInput(): ViewsInput {
    const state = this.connection?.state;
    const failure = state?.status === 'forbidden' || state?.status === 'deleted' ? (state.reason ?? state.status) : undefined;
    return {
      doc: this.doc,
      log: readMessageLog(this.doc),
      userId: this.user.id,
      durable: this.durable.vector,
      outbox: this.outbox.entries,
      failure,
    };
  }

  /** The view of a message by id: the document's views follow the log's order, one per message, then the outbox's. */
  private viewOf(id: string): MessageView | undefined {
    const views = this.computeViews();
    const log = readMessageLog(this.doc);
    const position = log.byId.get(id)?.position;
    if (position !== undefined) return views.messages[position]?.id === id ? views.messages[position] : undefined;
    // Not in the document: the outbox's views follow the document's.
    return views.messages.slice(log.list.length).find((m) => m.id === id);
  }

  /** The relay made more of this replica durable: statuses move, and settled outbox entries leave. */
  private onDurable(stateVector: Map<number, number>): void {
    if (!this.durable.mergeFromRelay(stateVector)) return;
    this.changed(true);
    if (this.closed) return;
    void this.store.putDurable(this.room, this.durable.encode());
    void this.outbox.prune();
  }

  /** Another tab's acks moved this tab's vector (that tab stores it): statuses move, settled outbox entries leave. */
  private durableMoved(): void {
    if (this.closed) return;
    this.changed(true);
    if (this.isLoaded) void this.outbox.prune();
  }

  private onSynced(): void {
    this.outbox.flush();
    if (this.role !== 'read') this.profile?.onSynced();
  }
}

/** The id of the latest message by someone other than `userId` (the views' `lastOther`), or undefined. */
const lastByOther = (log: MessageLog, userId: string): string | undefined => {
  for (let i = log.list.length - 1; i >= 0; i--) {
    const { record } = log.list[i]!.current;
    if (record.author !== userId) return record.id;
  }
  return undefined;
};

/** Resolves once what was rendered now is painted: after the next frame, or soon in a hidden page (no frames there). */
const afterPaint = (): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, 100);
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(done, 0));
  });

export type { ConversationImpl };
