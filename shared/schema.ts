// The conversation document's layout: top-level types, record shapes and limits shared by client and relay.
import type { Role } from './protocol.js';
import type { Attachment } from './attachments.js';

/**
 * One conversation = one Y.Doc with exactly these top-level types:
 *
 * | name        | type               | holds                                                     | written by                 |
 * |-------------|--------------------|-----------------------------------------------------------|----------------------------|
 * | `messages`  | Y.Array<object>    | message records, in conversation order                    | author (admin: tombstone)  |
 * | `reactions` | Y.Map<true>        | key `messageId userId emoji` present = reacted             | that user                  |
 * | `receipts:<userId>` | Y.Array<object> | that user's marks `{ delivered?, read? }` (one live entry) | that user              |
 * | `members:<userId>`  | Y.Array<object> | that user's profile `{ name, avatar?, lastSeen? }`         | that user              |
 * | `meta`      | Y.Map<string>      | `title`, `kind` (`direct` / `group` / `channel`)          | admins                     |
 * | `pins`      | Y.Map<object>      | key `messageId` → `{ by, at }`, at most LIMITS.pins live   | admins (direct: both people) |
 * | `threads:<userId>`  | Y.Array<object> | that user's thread read marks `{ rootId: replyId }` (one live entry) | that user  |
 *
 * Message records are plain (immutable) objects: cheaper to store and open than a Y.Map per message.
 * Editing or deleting a message replaces its record in place (delete + insert at the same position,
 * one transaction) so the old text really leaves the document; a tombstone keeps id, author,
 * creation time, reply target and thread so replies still resolve. A thread reply names its root in
 * `threadRoot` (one level: a root is never itself a thread reply). Receipts and profiles live in per-user
 * top-level arrays holding one live entry (a write appends the new one and deletes the old), because
 * an overwritten Y.Map key keeps metadata for every past value while a user's deleted entries merge.
 */
export const TYPES = {
  messages: 'array',
  reactions: 'map',
  meta: 'map',
  pins: 'map',
} as const;

/**
 * Membership types (shared/roster.ts, shared/system-events.ts, shared/invites.ts), judged by the relay's
 * membership judge rather than the message rules: `roster` (user id → role, owners and admins write),
 * `events` (system entries, relay only) and `invites` (relay only).
 */
export const MEMBERSHIP_TYPES = {
  roster: 'map',
  events: 'array',
  invites: 'map',
} as const;

/** Families of per-user top-level arrays, named `<family>:<userId>`. */
export const USER_TYPES = ['receipts', 'members', 'threads'] as const;

export const LIMITS = {
  /** Longest message text, in Unicode code points. */
  textLength: 8000,
  /** Attachment bounds live with their record format: ATTACHMENT_LIMITS in attachments.ts. */
  url: 2048,
  displayName: 64,
  title: 200,
  emojiLength: 32,
  /**
   * Live records one message may have at once. One normally (an edit replaces it); a few after concurrent
   * edits from several devices or an outbox flushed twice. Bounds what an identical re-send can cost.
   */
  recordsPerMessage: 16,
  /** Live receipt entries one user may have at once: one normally, one per device after concurrent writes. */
  receiptEntries: 16,
  /** Live pins per conversation. */
  pins: 50,
  /** Thread read marks a user keeps (the most recently read threads). */
  threadReads: 200,
  /** Distinct people one message may mention. */
  mentions: 50,
} as const;

export const ROOM_KINDS = ['direct', 'group', 'channel'] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];

/** A file attached to a message: its record format and rules live in attachments.ts. */
export type { Attachment } from './attachments.js';

/** One record in `messages`. A message may have several records over time (edits); the newest wins. */
export interface MessageRecord {
  id: string;
  author: string;
  text: string;
  createdAt: number;
  replyTo?: string;
  /** The root message of the thread this reply is in (never itself a thread reply). */
  threadRoot?: string;
  /** A thread reply also shown in the main flow ("also send to the conversation"). */
  alsoInMain?: true;
  attachments?: Attachment[];
  /** User ids this message mentions (`@name`): members of the conversation, unique, at most LIMITS.mentions. */
  mentions?: string[];
  editedAt?: number;
  deleted?: true;
  deletedBy?: string;
}

export const MESSAGE_FIELDS: ReadonlySet<string> = new Set([
  'id', 'author', 'text', 'createdAt', 'replyTo', 'threadRoot', 'alsoInMain', 'attachments', 'mentions', 'editedAt', 'deleted', 'deletedBy',
]);

/** One entry in a user's `receipts` array: how far they have received and read, as message ids. */
export interface ReceiptEntry {
  delivered?: string;
  read?: string;
}

export const RECEIPT_FIELDS: ReadonlySet<string> = new Set(['delivered', 'read']);

/** One entry in a user's `members` array: their profile, written only by them. */
export interface ProfileEntry {
  name: string;
  avatar?: string;
  lastSeen?: number;
}

export const PROFILE_FIELDS: ReadonlySet<string> = new Set(['name', 'avatar', 'lastSeen']);

export const META_KEYS: ReadonlySet<string> = new Set(['title', 'kind', 'public']);

/** One pin in `pins`: who pinned the message and when. */
export interface PinEntry {
  by: string;
  at: number;
}

/** A user's thread read marks: thread root id → the furthest reply read. */
export type ThreadReadsEntry = Record<string, string>;

/** Who is writing: the authenticated user and their role in the room. */
export interface Writer {
  userId: string;
  role: Role;
}

/** The separator of reaction keys; ids and emoji never contain it. */
export const REACTION_SEPARATOR = ' ';

/** The key of one user's reaction with one emoji to one message. */
export const reactionKey = (messageId: string, userId: string, emoji: string): string =>
  [messageId, userId, emoji].join(REACTION_SEPARATOR);

/** Splits a reaction key into its parts, or undefined when it is not well-formed. */
export function parseReactionKey(key: string): { messageId: string; userId: string; emoji: string } | undefined {
  const parts = key.split(REACTION_SEPARATOR);
  if (parts.length !== 3) return undefined;
  const [messageId, userId, emoji] = parts as [string, string, string];
  return { messageId, userId, emoji };
}
