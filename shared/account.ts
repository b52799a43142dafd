// The account document: one Yjs document per user listing their conversations (relay-written) and their preferences (user-written).
import type * as Y from 'yjs';
import { ensure } from './errors.js';
import { isValidRoomName } from './protocol.js';
import { sha256Hex, type RosterRole } from './roster.js';
import { ROOM_KINDS, type RoomKind } from './schema.js';

/**
 * One document per user, synced through the relay like a conversation and cached on each device, readable and
 * writable by that user alone. Two top-level maps, keyed by room name:
 *
 * | name            | value                                       | written by                    |
 * |-----------------|---------------------------------------------|-------------------------------|
 * | `conversations` | `{ kind, title, role, joinedAt }`           | the relay only                |
 * | `preferences`   | `{ mutedUntil?, pinned?, archived?, notify? }` | the user                   |
 * | `settings`      | global settings, key → value (`hideMessageText`: boolean) | the user            |
 * | `relay`         | the relay's own bookkeeping (`listings`: how far its journal of pending listings was applied) | the relay only |
 *
 * Clients reach their own account document through the alias room name `~account` (per-room endpoint
 * `/rooms/~account`, doc name `~account` on `/sync`); the relay maps it to the stored name `accountRoomName(sub)`.
 * Stored names are never reachable directly, so no one can open another user's account document.
 */
export const ACCOUNT_ALIAS = '~account';
export const ACCOUNT_PREFIX = '~account.';
export const CONVERSATIONS = 'conversations';
export const PREFERENCES = 'preferences';
export const SETTINGS = 'settings';
/** Relay-only bookkeeping map (relay/membership/listing-journal.ts); clients ignore it and may not write it. */
export const RELAY_STATE = 'relay';

/** The stored room name of `userId`'s account document: `~account.` + 40 hex digits of SHA-256(user id). */
export async function accountRoomName(userId: string): Promise<string> {
  return accountRoomNameFromDigest(await sha256Hex(userId));
}

/**
 * The same name from the user id's SHA-256 already computed (lower-case hex of its UTF-8 bytes): for callers with
 * a synchronous hash (the relay, node:crypto), which would otherwise pay an asynchronous WebCrypto job per name.
 */
export const accountRoomNameFromDigest = (sha256HexOfUserId: string): string => `${ACCOUNT_PREFIX}${sha256HexOfUserId.slice(0, 40)}`;

/** Whether `name` has the shape of a stored account room name (`accountRoomNameFromDigest`), not the alias. */
export const isStoredAccountRoomName = (name: string): boolean =>
  name.startsWith(ACCOUNT_PREFIX) && /^[0-9a-f]{40}$/.test(name.slice(ACCOUNT_PREFIX.length));

/** Whether `room` names an account document (stored name or alias): never a conversation. */
export const isAccountRoom = (room: string): boolean => room === ACCOUNT_ALIAS || room.startsWith(ACCOUNT_PREFIX);

/** One of the user's conversations, as the relay records it. */
export interface ConversationEntry {
  kind: RoomKind;
  title: string;
  role: RosterRole;
  joinedAt: number;
}

export const NOTIFY_LEVELS = ['all', 'mentions', 'none'] as const;
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];

/** The user's own settings for one conversation. */
export interface ConversationPreferences {
  /** Muted until this time (ms since the epoch); a muted conversation is not counted in the unread badge. */
  mutedUntil?: number;
  pinned?: boolean;
  archived?: boolean;
  notify?: NotifyLevel;
}

/**
 * A conversation's notification level when the user chose none: every message of a direct conversation,
 * mentions only in groups and channels (as Slack and Matrix do for large rooms).
 */
export const defaultNotifyLevel = (kind: RoomKind): NotifyLevel => (kind === 'direct' ? 'all' : 'mentions');

/** `mutedUntil` for "until I turn it back on" (the last second of year 9999, which `checkPreferences` accepts). */
export const MUTED_FOREVER = 253402300799000;

const PREFERENCE_FIELDS = new Set(['mutedUntil', 'pinned', 'archived', 'notify']);

/** A preferences value for `room`: known fields of the right types. */
export function checkPreferences(room: string, value: unknown): asserts value is ConversationPreferences {
  ensure(isValidRoomName(room) && !isAccountRoom(room), 'bad-preferences', 'key must be a conversation name');
  ensure(typeof value === 'object' && value !== null && !Array.isArray(value), 'bad-preferences', 'must be an object');
  const prefs = value as Record<string, unknown>;
  for (const key of Object.keys(prefs)) ensure(PREFERENCE_FIELDS.has(key), 'unknown-field', key);
  const { mutedUntil, pinned, archived, notify } = prefs;
  if (mutedUntil !== undefined) {
    ensure(typeof mutedUntil === 'number' && Number.isInteger(mutedUntil) && mutedUntil >= 0 && mutedUntil < 253402300800000, 'bad-preferences', 'mutedUntil must be a time');
  }
  if (pinned !== undefined) ensure(typeof pinned === 'boolean', 'bad-preferences', 'pinned must be true or false');
  if (archived !== undefined) ensure(typeof archived === 'boolean', 'bad-preferences', 'archived must be true or false');
  if (notify !== undefined) ensure((NOTIFY_LEVELS as readonly unknown[]).includes(notify), 'bad-preferences', `notify: one of ${NOTIFY_LEVELS.join(', ')}`);
}

/** Whether a value is a well-formed conversation entry (the relay writes them; clients read defensively). */
export const isConversationEntry = (value: unknown): value is ConversationEntry =>
  typeof value === 'object' && value !== null &&
  (ROOM_KINDS as readonly unknown[]).includes((value as ConversationEntry).kind) &&
  typeof (value as ConversationEntry).title === 'string' && typeof (value as ConversationEntry).joinedAt === 'number';

/** One row of the user's conversation list: the relay's entry and the user's preferences. */
export interface ConversationListItem extends ConversationEntry {
  room: string;
  preferences: ConversationPreferences;
  /** Muted right now (`mutedUntil` in the future). */
  muted: boolean;
}

/**
 * The user's conversations from their account document: pinned first, then most recently joined; archived ones
 * only with `includeArchived`. `now` decides whether a mute is still in force.
 */
export function listConversations(doc: Y.Doc, { includeArchived = false, now = Date.now() } = {}): ConversationListItem[] {
  const conversations = doc.getMap<unknown>(CONVERSATIONS);
  const preferences = doc.getMap<unknown>(PREFERENCES);
  const items: ConversationListItem[] = [];
  for (const [room, entry] of conversations.entries()) {
    if (!isConversationEntry(entry)) continue;
    const raw = preferences.get(room);
    const prefs = (typeof raw === 'object' && raw !== null ? raw : {}) as ConversationPreferences;
    if (prefs.archived && !includeArchived) continue;
    items.push({ room, ...entry, preferences: prefs, muted: (prefs.mutedUntil ?? 0) > now });
  }
  return items.sort((a, b) =>
    Number(Boolean(b.preferences.pinned)) - Number(Boolean(a.preferences.pinned)) || b.joinedAt - a.joinedAt || (a.room < b.room ? -1 : 1));
}

/** Sets the user's preferences for `room` (merged with what is there), after checking them. */
export function setPreferences(doc: Y.Doc, room: string, change: ConversationPreferences): ConversationPreferences {
  const preferences = doc.getMap<ConversationPreferences>(PREFERENCES);
  const next: Record<string, unknown> = { ...(preferences.get(room) ?? {}), ...change };
  for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
  checkPreferences(room, next);
  preferences.set(room, next);
  return next;
}

/** The user's global settings (the `settings` map of the account document). */
export interface AccountSettings {
  /** Notifications show only the conversation's title, never the sender or a preview of the text. */
  hideMessageText?: boolean;
}

const SETTING_CHECKS: Record<keyof AccountSettings, (value: unknown) => boolean> = {
  hideMessageText: (value) => typeof value === 'boolean',
};

/** A settings entry: a known key with a value of its type. */
export function checkSetting(key: string, value: unknown): void {
  ensure(Object.hasOwn(SETTING_CHECKS, key), 'unknown-field', `setting ${JSON.stringify(key.slice(0, 80))}`);
  ensure(SETTING_CHECKS[key as keyof AccountSettings](value), 'bad-preferences', `setting ${key} has the wrong type`);
}

/** The user's settings from their account document (well-formed entries only). */
export function readSettings(doc: Y.Doc): AccountSettings {
  const settings: AccountSettings = {};
  for (const [key, value] of doc.getMap<unknown>(SETTINGS).entries()) {
    if (Object.hasOwn(SETTING_CHECKS, key) && SETTING_CHECKS[key as keyof AccountSettings](value)) {
      (settings as Record<string, unknown>)[key] = value;
    }
  }
  return settings;
}

/** Sets one global setting, after checking it. */
export function setSetting<K extends keyof AccountSettings>(doc: Y.Doc, key: K, value: NonNullable<AccountSettings[K]>): void {
  checkSetting(key, value);
  doc.getMap<unknown>(SETTINGS).set(key, value);
}
