// Where the outbox flushes: messages composed while not caught up wait here (and in IndexedDB) until they can be appended.
import type * as Y from 'yjs';
import { readMessageLog, RuleError, sendMessage, type Attachment, type Writer } from '../../shared/conversation.js';
import { openChannel } from '../channel.js';
import { userDbPrefix } from '../idb.js';
import type { LocalStore, OutboxEntry } from '../local-store.js';

export interface OutboxHost {
  room: string;
  userId: string;
  doc: Y.Doc;
  store: LocalStore;
  writer(): Writer;
  /** Whether the replica holds everything the relay had when the socket opened (see `SyncConnection.isCaughtUp`). */
  isCaughtUp(): boolean;
  isClosed(): boolean;
  /** The entries changed (the message views must be recomputed). */
  changed(): void;
  /** Ids of entries whose message is in the document and durable on the relay: they may leave. */
  settledIds(): Set<string>;
}

/**
 * The outbox of one conversation. Entries live in memory and in the client database (shared by the user's tabs,
 * which hear of changes over a channel). A message is appended to the shared array only once this replica is
 * caught up, so it lands after what others wrote meanwhile instead of in the middle of their history; it leaves
 * the outbox once it is in the document and durable on the relay.
 */
export class Outbox {
  entries: OutboxEntry[] = [];
  private readonly host: OutboxHost;
  private flushing = false;
  private running: Promise<void> = Promise.resolve();
  private flushAgain = false;
  private loaded = false;
  /** Entries whose write to storage has not completed yet. */
  private readonly uncommitted = new Set<string>();
  /** Queued messages deleted here (ids are never reused). */
  private readonly removed = new Set<string>();
  private readonly channel: { post(message: string): void; close(): void };

  constructor(host: OutboxHost) {
    this.host = host;
    this.channel = openChannel<string>(`${userDbPrefix(host.userId)}:outbox`, (changedRoom) => {
      if (changedRoom === host.room) void this.reload();
    });
  }

  /** Takes the stored entries read at start. */
  load(entries: OutboxEntry[]): void {
    this.entries = entries;
    this.loaded = true;
  }

  /** Whether any entry still waits to be appended (not failed, not in the document yet). */
  hasWaiting(): boolean {
    const inDoc = readMessageLog(this.host.doc).byId;
    return this.entries.some((e) => !e.error && !e.awaitingFiles && !inDoc.has(e.id));
  }

  has(id: string): boolean {
    return this.entries.some((e) => e.id === id);
  }

  /** The entry of `id` when the message is only here (not yet in the document). */
  queuedOnly(id: string): OutboxEntry | undefined {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) return undefined;
    return readMessageLog(this.host.doc).byId.has(id) ? undefined : entry;
  }

  /** Queues a message; it is flushed at once when the replica is caught up. */
  async add(entry: OutboxEntry): Promise<void> {
    this.entries.push(entry);
    this.host.changed();
    await this.commit(entry);
    if (this.host.isCaughtUp()) this.flush();
  }

  async edit(entry: OutboxEntry, text: string, mentions?: readonly string[]): Promise<void> {
    entry.text = text;
    if (mentions !== undefined) {
      if (mentions.length > 0) entry.mentions = [...mentions];
      else delete entry.mentions;
    }
    this.host.changed();
    await this.commit(entry);
  }

  /** A queued message's files are stored (client/attachments/): it takes their final records and may be written now. */
  async filesStored(id: string, attachments: Attachment[]): Promise<void> {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) return;
    entry.attachments = attachments;
    delete entry.awaitingFiles;
    this.host.changed();
    await this.commit(entry);
    this.flush();
  }

  /** A queued message's files were refused: it stays here, failed with `reason`. */
  async filesRefused(id: string, reason: string): Promise<void> {
    const entry = this.entries.find((e) => e.id === id);
    if (!entry) return;
    entry.error = reason;
    this.host.changed();
    await this.commit(entry);
  }

  async remove(entry: OutboxEntry): Promise<void> {
    this.entries = this.entries.filter((e) => e !== entry);
    this.removed.add(entry.id);
    this.host.changed();
    await this.host.store.deleteOutbox(this.host.room, entry.id);
    this.channel.post(this.host.room);
  }

  /**
   * Appends queued messages to the shared array, oldest first, while the replica is caught up. One flush at a
   * time; a request during a flush runs another pass after it. Storage is re-read first: another tab may have
   * flushed, edited or deleted entries meanwhile. A message the model refuses stays here, marked failed.
   */
  flush(): void {
    if (!this.host.isCaughtUp()) return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    this.running = (async () => {
      try {
        do {
          this.flushAgain = false;
          const stored = await this.host.store.outbox(this.host.room);
          if (this.host.isClosed()) return;
          this.adopt(stored);
          const inDoc = readMessageLog(this.host.doc).byId;
          for (const entry of [...this.entries]) {
            if (!this.host.isCaughtUp()) break;
            if (entry.error || entry.awaitingFiles || inDoc.has(entry.id)) continue;
            try {
              sendMessage(this.host.doc, this.host.writer(), {
                id: entry.id,
                text: entry.text,
                createdAt: entry.createdAt,
                ...(entry.replyTo !== undefined ? { replyTo: entry.replyTo } : {}),
                ...(entry.threadRoot !== undefined ? { threadRoot: entry.threadRoot, alsoInMain: entry.alsoInMain === true } : {}),
                ...(entry.attachments !== undefined ? { attachments: entry.attachments } : {}),
                ...(entry.mentions !== undefined ? { mentions: entry.mentions } : {}),
              });
            } catch (error) {
              if (!(error instanceof RuleError)) throw error;
              entry.error = error.message;
              await this.host.store.putOutbox(entry);
            }
          }
          this.host.changed();
          await this.prune();
        } while (this.flushAgain && !this.host.isClosed() && this.host.isCaughtUp());
      } finally {
        this.flushing = false;
      }
    })();
  }

  /** Resolves when no flush is running (the current one, with its extra passes, is done). */
  async whenIdle(): Promise<void> {
    while (this.flushing) await this.running;
  }

  /** Entries leave once their message is in the document and durable on the relay. */
  async prune(): Promise<void> {
    const done = this.host.settledIds();
    const leaving = this.entries.filter((e) => done.has(e.id));
    if (leaving.length === 0) return;
    this.entries = this.entries.filter((e) => !done.has(e.id));
    await Promise.all(leaving.map((e) => this.host.store.deleteOutbox(this.host.room, e.id)));
  }

  close(): void {
    this.channel.close();
  }

  /** Stores an entry and tells other tabs; until stored, a re-read of storage must not drop it. */
  private async commit(entry: OutboxEntry): Promise<void> {
    this.uncommitted.add(entry.id);
    try {
      await this.host.store.putOutbox(entry);
    } finally {
      this.uncommitted.delete(entry.id);
    }
    this.channel.post(this.host.room);
  }

  /** Takes storage's entries (other tabs' changes included), keeping local entries still being stored. */
  private adopt(stored: OutboxEntry[]): void {
    const ids = new Set(stored.map((e) => e.id));
    const keep = this.entries.filter((e) => this.uncommitted.has(e.id) && !ids.has(e.id));
    // A read that started before a local delete committed must not bring the entry back.
    this.entries = [...stored.filter((e) => !this.removed.has(e.id)), ...keep].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  /** Another tab changed this room's entries. */
  private async reload(): Promise<void> {
    if (this.host.isClosed() || !this.loaded) return;
    this.adopt(await this.host.store.outbox(this.host.room));
    this.host.changed();
    if (this.host.isCaughtUp()) this.flush();
  }
}
