// The user's client database (outbox, inbox, durable acks) in IndexedDB, falling back to memory when storage fails.
import type { Attachment } from '../shared/schema.js';
import { clientDbName, openDatabase, request, transactionDone } from './idb.js';

/** A message composed while the conversation was not synced: kept here until it is in the document and durable. */
export interface OutboxEntry {
  room: string;
  id: string;
  text: string;
  createdAt: number;
  replyTo?: string;
  threadRoot?: string;
  alsoInMain?: true;
  attachments?: Attachment[];
  /** User ids the message mentions (shared/mentions.ts). */
  mentions?: string[];
  /** Its files are still being uploaded (client/attachments/): it is not written until they are stored. */
  awaitingFiles?: true;
  /** Set when the model refused the message at flush time (it then stays here, shown as failed). */
  error?: string;
}

/** What the inbox shows for one conversation the user opened on this device. */
export interface InboxEntry {
  room: string;
  title?: string;
  unread: number;
  /** Unread messages mentioning the user (left out: none). */
  mentions?: number;
  lastMessage?: { id: string; author: string; authorName?: string; text: string; createdAt: number; deleted?: boolean };
  /** When the user last opened it here (ms since epoch). */
  openedAt: number;
  /** When this entry last changed (ms since epoch). */
  updatedAt: number;
}

/**
 * - `loading`: not open yet; `ready`: persisting to IndexedDB;
 * - `unavailable`: IndexedDB could not be opened (private mode, disabled, blocked): everything lives in memory;
 * - `failed`: it worked, then a write failed or the database was lost (quota exceeded, storage cleared):
 *   what follows lives in memory only.
 */
export type StorageStatus = 'loading' | 'ready' | 'unavailable' | 'failed';

export interface StorageState {
  status: StorageStatus;
  /** The browser's reason when status is `unavailable` or `failed`. */
  error?: string;
}

type Stores = 'outbox' | 'inbox' | 'durable';

const outboxKey = (room: string, id: string): string => `${room}\u0000${id}`;

/**
 * One per user and page. Every write goes to a memory copy first (the page keeps working whatever happens to
 * storage), then to IndexedDB; reads come from IndexedDB while it works so other tabs' writes are seen.
 */
export class LocalStore {
  readonly userId: string;
  state: StorageState = { status: 'loading' };
  private db: IDBDatabase | undefined;
  private readonly ready: Promise<void>;
  private readonly listeners = new Set<(state: StorageState) => void>();
  private readonly memory = {
    outbox: new Map<string, OutboxEntry>(),
    inbox: new Map<string, InboxEntry>(),
    durable: new Map<string, Uint8Array>(),
  };

  constructor(userId: string, { timeoutMs }: { timeoutMs?: number } = {}) {
    this.userId = userId;
    this.ready = openDatabase(
      clientDbName(userId),
      (db) => {
        db.createObjectStore('outbox');
        db.createObjectStore('inbox');
        db.createObjectStore('durable');
      },
      { ...(timeoutMs !== undefined ? { timeoutMs } : {}), onLost: (reason) => this.fail('failed', reason) },
    ).then(
      (db) => {
        this.db = db;
        this.setState({ status: 'ready' });
      },
      (error: unknown) => this.fail('unavailable', describe(error)),
    );
  }

  /** Resolves once the database is open or known to be unavailable (never rejects). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Calls `listener` on every storage state change; returns the unsubscribe function. */
  onState(listener: (state: StorageState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Messages waiting in the outbox of `room`, oldest first. */
  async outbox(room: string): Promise<OutboxEntry[]> {
    const entries = await this.readAll('outbox', (e: OutboxEntry) => e.room === room);
    return entries.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  putOutbox(entry: OutboxEntry): Promise<void> {
    return this.write('outbox', outboxKey(entry.room, entry.id), entry);
  }

  deleteOutbox(room: string, id: string): Promise<void> {
    return this.write('outbox', outboxKey(room, id), undefined);
  }

  /** Every conversation in the inbox, most recently active first. */
  async inbox(): Promise<InboxEntry[]> {
    const entries = await this.readAll<InboxEntry>('inbox', () => true);
    return entries.sort((a, b) => activity(b) - activity(a));
  }

  async inboxEntry(room: string): Promise<InboxEntry | undefined> {
    return this.read('inbox', room);
  }

  putInbox(entry: InboxEntry): Promise<void> {
    return this.write('inbox', entry.room, entry);
  }

  /** The relay's last durable state vector for `room` (encoded), so "sent" survives a reload while offline. */
  durable(room: string): Promise<Uint8Array | undefined> {
    return this.read('durable', room);
  }

  putDurable(room: string, stateVector: Uint8Array): Promise<void> {
    return this.write('durable', room, stateVector);
  }

  /** Closes the database (the memory copy stays usable). */
  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private async readAll<T>(store: Stores, keep: (value: T) => boolean): Promise<T[]> {
    await this.ready;
    const memory = this.memory[store] as unknown as Map<string, T>;
    if (this.db) {
      try {
        const tx = this.db.transaction(store, 'readonly');
        const os = tx.objectStore(store);
        const [keys, values] = await Promise.all([request(os.getAllKeys()), request(os.getAll())]);
        memory.clear();
        keys.forEach((key, i) => memory.set(String(key), values[i] as T));
      } catch (error) {
        this.fail('failed', describe(error));
      }
    }
    return [...memory.values()].filter(keep);
  }

  private async read<T>(store: Stores, key: string): Promise<T | undefined> {
    await this.ready;
    const memory = this.memory[store] as unknown as Map<string, T>;
    if (this.db) {
      try {
        const value = (await request(this.db.transaction(store, 'readonly').objectStore(store).get(key))) as T | undefined;
        if (value === undefined) memory.delete(key);
        else memory.set(key, value);
      } catch (error) {
        this.fail('failed', describe(error));
      }
    }
    return memory.get(key);
  }

  /** Writes (or deletes, with `value` undefined) in memory at once, then in IndexedDB. Never rejects. */
  private async write(store: Stores, key: string, value: unknown): Promise<void> {
    const memory = this.memory[store] as Map<string, unknown>;
    if (value === undefined) memory.delete(key);
    else memory.set(key, value);
    await this.ready;
    if (!this.db) return;
    try {
      const tx = this.db.transaction(store, 'readwrite');
      const os = tx.objectStore(store);
      if (value === undefined) os.delete(key);
      else os.put(value, key);
      await transactionDone(tx);
    } catch (error) {
      this.fail('failed', describe(error));
    }
  }

  private fail(status: 'unavailable' | 'failed', error: string): void {
    this.db?.close();
    this.db = undefined;
    if (this.state.status === 'unavailable' || this.state.status === 'failed') return;
    this.setState({ status, error });
  }

  private setState(state: StorageState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}

const activity = (e: InboxEntry): number => Math.max(e.openedAt, e.lastMessage?.createdAt ?? 0, e.updatedAt);

/** A readable reason from whatever IndexedDB threw (DOMException names such as QuotaExceededError matter). */
export const describe = (error: unknown): string =>
  error instanceof DOMException
    ? `${error.name}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);

const stores = new Map<string, LocalStore>();

/** The page's LocalStore of `userId`, opened on first use. */
export function localStoreFor(userId: string): LocalStore {
  let store = stores.get(userId);
  if (!store) {
    store = new LocalStore(userId);
    stores.set(userId, store);
  }
  return store;
}

/** Forgets and closes the page's LocalStore of `userId` (logout). */
export function dropLocalStore(userId: string): void {
  stores.get(userId)?.close();
  stores.delete(userId);
}
