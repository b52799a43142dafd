// The files of queued messages, kept in IndexedDB (Blobs, structured-cloned) until the relay has stored them; memory when storage fails.
import { openDatabase, request, transactionDone, userDbPrefix } from '../idb.js';
import type { UploadedBlob } from './blob-upload.js';

/** One file of a queued message. */
export interface PendingFile {
  name: string;
  /** The original bytes, as chosen. */
  file: Blob;
  sha256: string;
  width?: number;
  height?: number;
  /** A smaller image made on this device, and its SHA-256. */
  preview?: Blob;
  previewSha256?: string;
  /** The relay's upload in progress of `file` (continued after a reload, if the relay still has it). */
  uploadId?: string;
  /** Set once the relay stored it (so a resumed send does not upload it again). */
  stored?: UploadedBlob;
  previewStored?: UploadedBlob;
}

/** The files of one queued message. */
export interface PendingMessageFiles {
  room: string;
  messageId: string;
  files: PendingFile[];
  createdAt: number;
}

const STORE = 'files';
const keyOf = (room: string, messageId: string) => `${room}\u0000${messageId}`;

/** The pending-files database of one user: `parley:<user>:files`. */
export class PendingFiles {
  private db: Promise<IDBDatabase | undefined>;
  private readonly memory = new Map<string, PendingMessageFiles>();

  constructor(userId: string, timeoutMs = 5_000) {
    this.db = openDatabase(`${userDbPrefix(userId)}:files`, (db) => db.createObjectStore(STORE), { timeoutMs }).catch(() => undefined);
  }

  async put(entry: PendingMessageFiles): Promise<void> {
    this.memory.set(keyOf(entry.room, entry.messageId), entry);
    const db = await this.db;
    if (!db) return;
    try {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(entry, keyOf(entry.room, entry.messageId));
      await transactionDone(tx);
    } catch {
      // Quota or a lost database: the memory copy still serves this page.
    }
  }

  async get(room: string, messageId: string): Promise<PendingMessageFiles | undefined> {
    const db = await this.db;
    if (db) {
      try {
        const value = (await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(keyOf(room, messageId)))) as PendingMessageFiles | undefined;
        if (value) return value;
      } catch {
        // Fall back to memory.
      }
    }
    return this.memory.get(keyOf(room, messageId));
  }

  /** Every queued message's files in `room`, oldest first. */
  async inRoom(room: string): Promise<PendingMessageFiles[]> {
    const found = new Map<string, PendingMessageFiles>();
    for (const [key, value] of this.memory) if (value.room === room) found.set(key, value);
    const db = await this.db;
    if (db) {
      try {
        const range = IDBKeyRange.bound(`${room}\u0000`, `${room}\u0001`, false, true);
        const os = db.transaction(STORE, 'readonly').objectStore(STORE);
        const [keys, values] = await Promise.all([request(os.getAllKeys(range)), request(os.getAll(range))]);
        keys.forEach((key, i) => found.set(String(key), values[i] as PendingMessageFiles));
      } catch {
        // Memory only.
      }
    }
    return [...found.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  async delete(room: string, messageId: string): Promise<void> {
    this.memory.delete(keyOf(room, messageId));
    const db = await this.db;
    if (!db) return;
    try {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).delete(keyOf(room, messageId));
      await transactionDone(tx);
    } catch {
      // Nothing more to do: it is gone from memory.
    }
  }

  async close(): Promise<void> {
    (await this.db)?.close();
  }
}
