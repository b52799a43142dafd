// The latest messages of each conversation as last shown on this device, kept apart from its document so the first screen needs no document.
import { MESSAGE_FIELDS, type ProfileEntry, type RoomKind } from '../../shared/schema.js';
import { checkMessageRecord, checkTimestamp } from '../../shared/rules.js';
import { inMainFlow } from '../../shared/threads.js';
import { openDatabase, request, transactionDone, userDbPrefix } from '../idb.js';
import type { MessageView } from './types.js';

/** Rows of the main flow a tail keeps: more than any screen shows at once, few enough to read and clone in a few ms. */
export const TAIL_ROWS = 40;
/** Messages a tail keeps at most (thread-only replies do not count as rows but are kept when among the latest). */
const TAIL_MAX = 200;
/** Writes wait this long after the last change (a burst of messages writes once). */
const TAIL_DEBOUNCE_MS = 1_000;
const VERSION = 1;
const STORE = 'tails';

/**
 * One database per user for every conversation's tail. `#` is never part of a room name, so this name cannot be
 * the document database of a room, and it starts with the user's prefix, so logout finds it.
 */
export const tailDbName = (userId: string): string => `${userDbPrefix(userId)}:#tails`;

/** What the first screen shows before the document is loaded. */
export interface Tail {
  messages: MessageView[];
  profiles: Map<string, ProfileEntry>;
  meta: { title: string; kind: RoomKind };
  unread: number;
}

/** The stored form (structured clone; checked on every read, since anything may have written it). */
interface StoredTail {
  v: typeof VERSION;
  savedAt: number;
  messages: MessageView[];
  profiles: [string, ProfileEntry][];
  meta: { title: string; kind: RoomKind };
  unread: number;
}

/** The latest messages of `messages` (enough for `TAIL_ROWS` rows of the main flow), without queued ones (the outbox has them). */
export function tailOf(state: { messages: readonly MessageView[]; profiles: ReadonlyMap<string, ProfileEntry>; meta: { title: string; kind: RoomKind }; unread: number }): Tail {
  const messages: MessageView[] = [];
  let rows = 0;
  for (let i = state.messages.length - 1; i >= 0 && rows < TAIL_ROWS && messages.length < TAIL_MAX; i--) {
    const m = state.messages[i]!;
    if (m.queued) continue;
    messages.push(m);
    if (inMainFlow(m)) rows++;
  }
  messages.reverse();
  const authors = new Set(messages.map((m) => m.author));
  const profiles = new Map([...state.profiles].filter(([id]) => authors.has(id)));
  return { messages, profiles, meta: { ...state.meta }, unread: state.unread };
}

const STATUSES: ReadonlySet<unknown> = new Set(['sending', 'sent', 'delivered', 'read']);
const VIEW_FIELDS: ReadonlySet<string> = new Set([...MESSAGE_FIELDS, 'mine', 'status', 'deliveredTo', 'readBy', 'recipients', 'queued']);
const isCount = (v: unknown): boolean => v === undefined || (Number.isSafeInteger(v) && (v as number) >= 0);

/** One stored message view, or an exception saying what is wrong with it (the shared model's record rule, plus the view's fields). */
function checkView(value: unknown): asserts value is MessageView {
  if (typeof value !== 'object' || value === null) throw new Error('not an object');
  const view = value as Record<string, unknown>;
  for (const key of Object.keys(view)) if (!VIEW_FIELDS.has(key)) throw new Error(`unknown field ${key}`);
  const record: Record<string, unknown> = {};
  for (const key of MESSAGE_FIELDS) if (view[key] !== undefined && key !== 'deleted') record[key] = view[key];
  if (typeof view.deleted !== 'boolean') throw new Error('deleted must be a boolean');
  if (view.deleted) record.deleted = true;
  checkMessageRecord(record);
  if (typeof view.mine !== 'boolean' || view.queued !== false) throw new Error('mine/queued');
  if (view.status !== undefined && !STATUSES.has(view.status)) throw new Error('bad status');
  if (!isCount(view.deliveredTo) || !isCount(view.readBy) || !isCount(view.recipients)) throw new Error('bad counts');
}

/** The tail in `value`, or undefined when it is not one this version wrote intact. */
export function parseTail(value: unknown): Tail | undefined {
  try {
    if (typeof value !== 'object' || value === null) return undefined;
    const stored = value as Partial<StoredTail>;
    if (stored.v !== VERSION || !Array.isArray(stored.messages) || stored.messages.length > TAIL_MAX) return undefined;
    if (!Array.isArray(stored.profiles) || !isCount(stored.unread) || stored.unread === undefined) return undefined;
    checkTimestamp(stored.savedAt);
    stored.messages.forEach(checkView);
    const meta = stored.meta;
    if (typeof meta !== 'object' || meta === null || typeof meta.title !== 'string' || (meta.kind !== 'group' && meta.kind !== 'direct')) return undefined;
    const profiles = new Map<string, ProfileEntry>();
    for (const entry of stored.profiles) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1]?.name !== 'string') return undefined;
      profiles.set(entry[0], { name: entry[1].name, ...(typeof entry[1].avatar === 'string' ? { avatar: entry[1].avatar } : {}) });
    }
    return { messages: stored.messages, profiles, meta: { title: meta.title, kind: meta.kind }, unread: stored.unread };
  } catch {
    return undefined;
  }
}

const openTails = (userId: string): Promise<IDBDatabase> =>
  openDatabase(tailDbName(userId), (db) => db.createObjectStore(STORE), { timeoutMs: 2_000 });

/**
 * Reads the tail of `room`. Never rejects: no tail, a corrupt one (then deleted) or storage that does not answer
 * all mean undefined, and the conversation simply waits for its document as it would without a tail.
 */
export async function readTail(userId: string, room: string): Promise<Tail | undefined> {
  let db: IDBDatabase | undefined;
  try {
    db = await openTails(userId);
    const value: unknown = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(room));
    if (value === undefined) return undefined;
    const tail = parseTail(value);
    if (!tail) {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).delete(room);
      await transactionDone(tx);
    }
    return tail;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

/** Stores the tail of `room` (opened for the write and closed after, so logout's deletion never waits on it). Never rejects. */
export async function writeTail(userId: string, room: string, tail: Tail): Promise<void> {
  const stored: StoredTail = {
    v: VERSION,
    savedAt: Date.now(),
    messages: tail.messages,
    profiles: [...tail.profiles],
    meta: tail.meta,
    unread: tail.unread,
  };
  let db: IDBDatabase | undefined;
  try {
    db = await openTails(userId);
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(stored, room);
    await transactionDone(tx);
  } catch {
    // A tail is only a head start: the document stays the truth.
  } finally {
    db?.close();
  }
}

/**
 * Keeps one room's tail current from the live view: written soon after the conversation is loaded (so a stale tail
 * is replaced at once), then debounced after changes, and on close. Unchanged tails are not written again.
 */
export class TailWriter {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastJson = '';
  private stopped = false;

  constructor(
    private readonly userId: string,
    private readonly room: string,
    private readonly read: () => Tail,
  ) {}

  /** Writes soon (at most once per debounce period). */
  schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, TAIL_DEBOUNCE_MS);
  }

  /** Writes a scheduled tail now, then stops (the conversation is closing). */
  async close(): Promise<void> {
    const due = this.timer !== undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (due) await this.write();
    this.stopped = true;
  }

  /** Stops without writing (the conversation is closing because its data is being wiped). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopped = true;
  }

  private async write(): Promise<void> {
    if (this.stopped) return;
    const tail = this.read();
    const json = JSON.stringify([tail.messages, [...tail.profiles], tail.meta, tail.unread]);
    if (json === this.lastJson) return;
    this.lastJson = json;
    await writeTail(this.userId, this.room, tail);
  }
}
