// Per-user entries (receipts, profiles, thread read marks): each user has their own top-level Y.Array holding one live entry.
import * as Y from 'yjs';
import type { MessageLookup } from './rules.js';
import { USER_TYPES, type ReceiptEntry } from './schema.js';

/** The families of per-user top-level arrays: `receipts:<userId>`, `members:<userId>`, `threads:<userId>`. */
export type UserEntryKind = (typeof USER_TYPES)[number];

/** The top-level name of `user`'s array of `kind`. */
export const userArrayName = (kind: UserEntryKind, user: string): string => `${kind}:${user}`;

/** Splits a top-level name into a per-user family and user id, or undefined for other names. */
export function parseUserArrayName(name: string): { kind: UserEntryKind; user: string } | undefined {
  const colon = name.indexOf(':');
  const kind = name.slice(0, colon);
  if (colon < 0 || !(USER_TYPES as readonly string[]).includes(kind)) return undefined;
  return { kind: kind as UserEntryKind, user: name.slice(colon + 1) };
}

/**
 * Replaces `user`'s entries of `kind` with `entry`: appends it and deletes the older ones.
 * Only that user writes there, each time right after their previous entry, so a session's deleted
 * entries are consecutive structs of one client that Yjs merges into a single run: thousands of
 * writes cost a few bytes, where an overwritten Y.Map key or a shared array keeps metadata per write.
 * A top-level type per user (rather than a map of arrays) means two devices writing a user's first
 * entry at once cannot overwrite each other.
 */
export function replaceUserEntry<T extends object>(doc: Y.Doc, kind: UserEntryKind, user: string, entry: T): void {
  const entries = doc.getArray<T>(userArrayName(kind, user));
  doc.transact(() => {
    const old = entries.length;
    entries.push([entry]);
    if (old > 0) entries.delete(0, old);
  });
}

/** `user`'s live entries of `kind` in order: one, or several after concurrent writes from two devices. */
export function userEntries<T>(doc: Y.Doc, kind: UserEntryKind, user: string): T[] {
  const name = userArrayName(kind, user);
  // Asking for a root type creates it locally; don't create one just to read it.
  if (!doc.share.has(name)) return [];
  return doc.getArray<T>(name).toArray().filter((entry) => typeof entry === 'object' && entry !== null);
}

/** The users that have at least one live entry of `kind`. */
export function usersWithEntries(doc: Y.Doc, kind: UserEntryKind): string[] {
  const users: string[] = [];
  for (const name of doc.share.keys()) {
    const parsed = parseUserArrayName(name);
    if (parsed?.kind === kind && userEntries(doc, kind, parsed.user).length > 0) users.push(parsed.user);
  }
  return users;
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
