// Per-user entries (receipts, profiles): a Y.Map from user id to that user's own small Y.Array, one live entry each.
import * as Y from 'yjs';
import type { MessageLookup } from './rules.js';
import type { ReceiptEntry } from './schema.js';

/** A top-level map of per-user arrays, as `receipts` and `members` are. */
export type UserEntryMap<T> = Y.Map<Y.Array<T>>;

/**
 * Replaces `user`'s entries with `entry`: appends it to the user's own array and deletes the older ones.
 * Only that user appends there, each time right after their previous entry, so a session's deleted
 * entries are consecutive structs of one client that Yjs merges into a single run: thousands of
 * writes cost a few bytes (an overwritten Y.Map key, or a shared array, keeps metadata per write).
 */
export function replaceUserEntry<T extends object>(map: UserEntryMap<T>, user: string, entry: T): void {
  map.doc!.transact(() => {
    let entries = map.get(user);
    if (!(entries instanceof Y.Array)) {
      entries = new Y.Array<T>();
      map.set(user, entries);
    }
    const old = entries.length;
    entries.push([entry]);
    if (old > 0) entries.delete(0, old);
  });
}

/** `user`'s live entries in order: one, or several after concurrent writes from two devices. */
export function userEntries<T>(map: UserEntryMap<T>, user: string): T[] {
  const entries = map.get(user);
  return entries instanceof Y.Array ? entries.toArray().filter((entry) => typeof entry === 'object' && entry !== null) : [];
}

/** The furthest delivered and read marks among a user's receipt entries: concurrent writes merge to the max. */
export function furthestReceipt(entries: ReceiptEntry[], messages: MessageLookup): ReceiptEntry {
  const result: ReceiptEntry = {};
  for (const entry of entries) {
    for (const field of ['delivered', 'read'] as const) {
      const mark = entry[field];
      if (mark === undefined || messages.get(mark) === undefined) continue;
      const best = result[field];
      if (best === undefined || messages.compare(mark, best) > 0) result[field] = mark;
    }
  }
  return result;
}
