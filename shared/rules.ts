// The conversation rules as pure functions: the client pre-checks its own writes with them, the relay every incoming update.
import { ensure } from './errors.js';
import { isMessageId, isUserId } from './ids.js';
import { checkAttachmentList } from './attachments.js';
import { checkMentionList, sameMentions } from './mentions.js';
import {
  LIMITS, MESSAGE_FIELDS, META_KEYS, PROFILE_FIELDS, RECEIPT_FIELDS, ROOM_KINDS, TYPES,
  parseReactionKey,
  type Attachment, type MessageRecord, type PinEntry, type ProfileEntry, type ReceiptEntry, type RoomKind, type ThreadReadsEntry, type Writer,
} from './schema.js';
import { parseUserArrayName } from './user-entries.js';

/** What the rules need to know about the messages already in the room. */
export interface MessageLookup {
  /** The current (winning) record of a message, or undefined when there is none. */
  get(id: string): MessageRecord | undefined;
  /** Negative, zero or positive as message `a` comes before, at or after message `b` in conversation order. */
  compare(a: string, b: string): number;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

const codePoints = (text: string): number => {
  let n = 0;
  for (const _ of text) n++;
  return n;
};

function checkFields(record: Record<string, unknown>, known: ReadonlySet<string>): void {
  for (const key of Object.keys(record)) ensure(known.has(key), 'unknown-field', key);
}

/** Only `write` and `admin` members write at all. */
export function checkCanWrite(writer: Writer): void {
  ensure(writer.role === 'write' || writer.role === 'admin', 'read-only');
}

/** Known top-level types only, each with its declared kind; per-user arrays need a well-formed user id. */
export function checkTopLevel(name: string, kind?: 'array' | 'map' | 'text' | 'xml' | 'unknown'): void {
  const perUser = parseUserArrayName(name);
  if (perUser) checkUserId(perUser.user);
  const expected = perUser ? 'array' : (TYPES as Record<string, string>)[name];
  ensure(expected !== undefined, 'unknown-type', JSON.stringify(name.slice(0, 80)));
  if (kind !== undefined && kind !== 'unknown') ensure(kind === expected, 'unknown-type', `${name} must be a ${expected}`);
}

/** Message text: a string, not blank, at most 8,000 code points. */
export function checkText(text: unknown): asserts text is string {
  ensure(typeof text === 'string', 'text-not-string');
  ensure(text.trim().length > 0, 'text-empty');
  const length = codePoints(text);
  ensure(length <= LIMITS.textLength, 'text-too-long', `${length} > ${LIMITS.textLength} characters`);
}

export function checkMessageId(id: unknown): asserts id is string {
  ensure(isMessageId(id), 'bad-message-id', typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id);
}

export function checkUserId(id: unknown): asserts id is string {
  ensure(isUserId(id), 'bad-user-id', typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id);
}

/** A millisecond timestamp: a whole positive number before year 10000. */
export function checkTimestamp(value: unknown): asserts value is number {
  ensure(typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 253402300800000, 'bad-timestamp');
}

const isHttpUrl = (value: unknown): value is string => {
  if (typeof value !== 'string' || value.length > LIMITS.url) return false;
  return /^https?:\/\/[^\s]+$/i.test(value);
};

/** A message's attachment list (format and bounds: attachments.ts). */
export function checkAttachments(value: unknown): asserts value is Attachment[] {
  checkAttachmentList(value);
}

/** A reaction is one emoji-like token: no spaces or control characters, at least one pictograph. */
export function checkEmoji(emoji: unknown): asserts emoji is string {
  ensure(
    typeof emoji === 'string' &&
      emoji.length > 0 &&
      emoji.length <= LIMITS.emojiLength &&
      !/[\s\p{Cc}]/u.test(emoji) &&
      /[\p{Extended_Pictographic}\p{Regional_Indicator}]/u.test(emoji),
    'bad-emoji',
  );
}

/** The shape of any message record: known fields of the right types. */
export function checkMessageRecord(value: unknown): asserts value is MessageRecord {
  ensure(isPlainObject(value), 'bad-record', 'a message must be an object');
  checkFields(value, MESSAGE_FIELDS);
  checkMessageId(value.id);
  checkUserId(value.author);
  checkTimestamp(value.createdAt);
  if (value.replyTo !== undefined) checkMessageId(value.replyTo);
  if (value.threadRoot !== undefined) checkMessageId(value.threadRoot);
  ensure(value.alsoInMain === undefined || value.alsoInMain === true, 'bad-record', 'alsoInMain must be true');
  if (value.attachments !== undefined) checkAttachments(value.attachments);
  // Shape and bound only: membership needs the room (checkMentionMembers in mentions.ts).
  if (value.mentions !== undefined) checkMentionList(value.mentions);
  if (value.deleted !== undefined) {
    ensure(value.deleted === true, 'bad-record', 'deleted must be true');
    ensure(value.text === '', 'bad-record', 'a deleted message has no text');
    ensure(value.attachments === undefined && value.mentions === undefined && value.editedAt === undefined, 'bad-record', 'a deleted message keeps no content');
    checkUserId(value.deletedBy);
  } else {
    ensure(value.deletedBy === undefined, 'bad-record', 'deletedBy without deleted');
    // Files may be sent without a caption.
    if (value.attachments === undefined || value.attachments.length === 0 || value.text !== '') checkText(value.text);
  }
  if (value.editedAt !== undefined) checkTimestamp(value.editedAt);
}

/** The least a message record needs before it can be looked up: an object with a well-formed id (the rest is checkMessageRecord's). */
export function checkRecordId(value: unknown): asserts value is { id: string } {
  ensure(isPlainObject(value), 'bad-record', 'a message must be an object');
  checkMessageId(value.id);
}

/** A brand-new message: well-formed, written by its author, replying to a message that exists. */
export function checkNewMessage(record: unknown, writer: Writer, messages: MessageLookup): asserts record is MessageRecord {
  checkCanWrite(writer);
  checkMessageRecord(record);
  ensure(record.author === writer.userId, 'author-mismatch', `author ${record.author} is not ${writer.userId}`);
  ensure(record.deleted === undefined && record.editedAt === undefined, 'bad-record', 'a new message is neither edited nor deleted');
  if (record.replyTo !== undefined) ensure(messages.get(record.replyTo) !== undefined, 'bad-reply', record.replyTo);
  checkThreadRoot(record, messages);
}

/**
 * A record for a message the relay has not seen yet: the writer's own new message, possibly already
 * edited or deleted while offline (its earlier records then arrive already deleted, without content).
 */
export function checkUnseenRecord(record: unknown, writer: Writer, messages: MessageLookup): asserts record is MessageRecord {
  checkCanWrite(writer);
  checkMessageRecord(record);
  ensure(record.author === writer.userId, 'author-mismatch', `author ${record.author} is not ${writer.userId}`);
  if (record.deleted) ensure(record.deletedBy === writer.userId, 'bad-record', 'deletedBy must be the writer');
  if (record.replyTo !== undefined) ensure(messages.get(record.replyTo) !== undefined, 'bad-reply', record.replyTo);
  checkThreadRoot(record, messages);
}

/**
 * A thread reply (`threadRoot` set) hangs under a message of this conversation (a root in another
 * conversation is unknown here) that is not itself a thread reply: threads are one level deep. A root
 * deleted meanwhile still counts (its tombstone keeps `threadRoot`), as for `replyTo`, so that a reply
 * written offline is not lost to a race. `alsoInMain` is for thread replies only.
 */
export function checkThreadRoot(record: MessageRecord, messages: MessageLookup): void {
  if (record.threadRoot === undefined) {
    ensure(record.alsoInMain === undefined, 'bad-record', 'alsoInMain is for thread replies');
    return;
  }
  ensure(record.threadRoot !== record.id, 'thread-nested', 'a message cannot be its own thread root');
  const root = messages.get(record.threadRoot);
  ensure(root !== undefined, 'thread-root-unknown', record.threadRoot);
  ensure(root.threadRoot === undefined, 'thread-nested', `${record.threadRoot} is itself a reply in the thread of ${root.threadRoot}`);
}

/** The shape of a user's thread read marks: at most LIMITS.threadReads entries `rootId: replyId`. */
export function checkThreadReads(owner: string, value: unknown, writer: Writer): asserts value is ThreadReadsEntry {
  checkOwnEntry(owner, writer);
  ensure(isPlainObject(value), 'bad-thread-reads', 'must be an object');
  const entries = Object.entries(value);
  ensure(entries.length <= LIMITS.threadReads, 'bad-thread-reads', `at most ${LIMITS.threadReads} threads`);
  for (const [root, mark] of entries) ensure(isMessageId(root) && isMessageId(mark), 'bad-thread-reads', 'rootId: replyId, both message ids');
}

/**
 * A record for a message that already exists: an edit by its author, a tombstone by its author or an
 * admin, or an identical re-send of the original (an outbox flushed twice). Identity fields never change.
 * With `concurrent` (the relay's view), a record that raced a delete or another edit is accepted as long
 * as only its author wrote it: the model's precedence already settles the race, and refusing would cut
 * off an honest client.
 */
export function checkRevision(current: MessageRecord, record: unknown, writer: Writer, { concurrent = false } = {}): asserts record is MessageRecord {
  checkCanWrite(writer);
  checkMessageRecord(record);
  ensure(
    record.id === current.id && record.author === current.author &&
      record.createdAt === current.createdAt && record.replyTo === current.replyTo &&
      record.threadRoot === current.threadRoot && (record.deleted === true || record.alsoInMain === current.alsoInMain),
    'immutable-field',
  );
  if (record.deleted) {
    ensure(record.deletedBy === writer.userId, 'bad-record', 'deletedBy must be the writer');
    ensure(writer.userId === current.author || writer.role === 'admin', 'not-author-or-admin');
    return;
  }
  ensure(writer.userId === current.author, 'not-author');
  if (concurrent) return;
  ensure(!current.deleted, 'message-deleted');
  if (record.editedAt === undefined) {
    ensure(current.editedAt === undefined && record.text === current.text && sameMentions(record.mentions, current.mentions), 'duplicate-message', current.id);
  }
}

/** Removing a message record from the array is part of an edit or a delete: its author's or an admin's. */
export function checkRecordRemoval(record: MessageRecord, writer: Writer): void {
  checkCanWrite(writer);
  ensure(writer.userId === record.author || writer.role === 'admin', 'not-author-or-admin');
}

/** The shape of a receipt entry. */
export function checkReceiptShape(value: unknown): asserts value is ReceiptEntry {
  ensure(isPlainObject(value), 'bad-receipt', 'must be an object');
  checkFields(value, RECEIPT_FIELDS);
  ensure(value.delivered !== undefined || value.read !== undefined, 'bad-receipt', 'empty entry');
  if (value.delivered !== undefined) checkMessageId(value.delivered);
  if (value.read !== undefined) checkMessageId(value.read);
}

/** Whether the writer may write entries under `owner` in `receipts` or `members`: only their own. */
export function checkOwnEntry(owner: string, writer: Writer): void {
  checkCanWrite(writer);
  ensure(owner === writer.userId, 'not-own-entry', `entry of ${owner}`);
}

/** A receipt entry under `owner`: the writer's own, pointing at messages by others that exist. */
export function checkReceiptEntry(owner: string, entry: unknown, writer: Writer, messages: MessageLookup): asserts entry is ReceiptEntry {
  checkOwnEntry(owner, writer);
  checkReceiptShape(entry);
  for (const mark of [entry.delivered, entry.read]) {
    if (mark === undefined) continue;
    const target = messages.get(mark);
    ensure(target !== undefined, 'unknown-message', mark);
    ensure(target.author !== writer.userId, 'receipt-own-message');
  }
}

/** A user's furthest marks never move backwards: `after` must reach at least as far as `before`, field by field. */
export function checkReceiptProgress(before: ReceiptEntry, after: ReceiptEntry, messages: MessageLookup): void {
  for (const field of ['delivered', 'read'] as const) {
    const previous = before[field];
    if (previous === undefined || messages.get(previous) === undefined) continue;
    const next = after[field];
    ensure(next !== undefined, 'receipt-backwards', `${field} mark dropped`);
    ensure(next === previous || messages.compare(next, previous) > 0, 'receipt-backwards', `${field} ${next} is before ${previous}`);
  }
}

/** A user's next receipt entry, replacing `current` (the furthest of their live entries): well-formed and not behind. */
export function checkReceipt(owner: string, entry: unknown, writer: Writer, current: ReceiptEntry, messages: MessageLookup): asserts entry is ReceiptEntry {
  checkReceiptEntry(owner, entry, writer, messages);
  checkReceiptProgress(current, entry, messages);
}

/** A profile entry under `owner`: the writer's own, with a display name and optional http(s) avatar and last-seen time. */
export function checkProfile(owner: string, entry: unknown, writer: Writer): asserts entry is ProfileEntry {
  checkOwnEntry(owner, writer);
  ensure(isPlainObject(entry), 'bad-profile', 'must be an object');
  checkFields(entry, PROFILE_FIELDS);
  ensure(
    typeof entry.name === 'string' && entry.name.trim().length > 0 && codePoints(entry.name) <= LIMITS.displayName && !/\p{Cc}/u.test(entry.name),
    'bad-profile', `name: 1 to ${LIMITS.displayName} characters`,
  );
  if (entry.avatar !== undefined) ensure(isHttpUrl(entry.avatar), 'bad-profile', 'avatar must be an http(s) URL');
  if (entry.lastSeen !== undefined) checkTimestamp(entry.lastSeen);
}

/** Adding or removing a reaction: the writer's own, with one emoji, on a message that exists. */
export function checkReactionKey(key: string, writer: Writer, messages: MessageLookup, adding: boolean): void {
  checkCanWrite(writer);
  const parts = parseReactionKey(key);
  ensure(parts !== undefined, 'bad-record', 'reaction key is `messageId userId emoji`');
  checkMessageId(parts.messageId);
  ensure(parts.userId === writer.userId, 'not-own-entry', `reaction of ${parts.userId}`);
  checkEmoji(parts.emoji);
  if (adding) {
    const message = messages.get(parts.messageId);
    ensure(message !== undefined, 'unknown-message', parts.messageId);
    ensure(!message.deleted, 'message-deleted');
  }
}

/** The value stored under a reaction key: always `true`. */
export function checkReactionValue(value: unknown): void {
  ensure(value === true, 'bad-record', 'a reaction value is true');
}

/** Room settings: admins only, a known key with a valid value. */
export function checkMeta(key: string, value: unknown, writer: Writer): void {
  checkCanWrite(writer);
  ensure(writer.role === 'admin', 'not-admin');
  ensure(META_KEYS.has(key), 'unknown-field', key);
  if (key === 'title') {
    ensure(typeof value === 'string' && codePoints(value) <= LIMITS.title && !/\p{Cc}/u.test(value), 'bad-meta', `title: at most ${LIMITS.title} characters`);
  } else if (key === 'public') {
    ensure(typeof value === 'boolean', 'bad-meta', 'public: true or false');
  } else {
    ensure((ROOM_KINDS as readonly unknown[]).includes(value), 'bad-meta', `kind: one of ${ROOM_KINDS.join(', ')}`);
  }
}


/**
 * Where a value may be written: a known top-level type, in its declared shape (arrays take values by
 * position, maps by key; nested types are not part of the schema).
 */
export function checkPlace(root: string, sub: string | null): void {
  checkTopLevel(root);
  const kind = parseUserArrayName(root) ? 'array' : (TYPES as Record<string, string>)[root];
  if (kind === 'array') ensure(sub === null, 'bad-record', root === 'messages' ? 'messages form an array' : 'per-user entries form an array');
  else ensure(sub !== null, 'bad-record', `${root} is a map`);
}

/**
 * Whether the writer may write (or remove) anything at `root`/`sub` of a room of `kind`, whatever the value.
 * Messages are judged by record.
 */
export function checkWriteAccess(root: string, sub: string | null, writer: Writer, messages: MessageLookup, kind: RoomKind = 'group'): void {
  checkCanWrite(writer);
  const perUser = parseUserArrayName(root);
  if (perUser) checkOwnEntry(perUser.user, writer);
  else if (root === 'meta') ensure(writer.role === 'admin', 'not-admin');
  else if (root === 'reactions') checkReactionKey(sub ?? '', writer, messages, false);
  else if (root === 'pins') checkPinner(writer, kind);
}

/** Removing an item other than a message record: only where the writer may write; unknown places never. */
export function checkRemoval(root: string, sub: string | null, writer: Writer, messages: MessageLookup, kind: RoomKind = 'group'): void {
  ensure(root === 'meta' || root === 'reactions' || root === 'pins' || parseUserArrayName(root) !== undefined, 'forbidden-delete', root);
  if (root === 'pins') checkUnpin(sub ?? '', writer, kind, messages);
  else checkWriteAccess(root, sub, writer, messages, kind);
}

/** Who may pin and unpin: admins, and in a direct conversation both people (any writer). */
export const canPin = (writer: Writer, kind: RoomKind): boolean =>
  writer.role === 'admin' || (kind === 'direct' && writer.role === 'write');

/** Pinning or unpinning as `writer` in a room of `kind`. */
export function checkPinner(writer: Writer, kind: RoomKind): void {
  checkCanWrite(writer);
  ensure(canPin(writer, kind), 'pin-not-allowed', kind === 'direct' ? undefined : `members of a ${kind} do not pin`);
}

/** A new pin under key `messageId`: by whoever may pin, of a message that exists and is not deleted, `{ by: writer, at }`. */
export function checkPin(messageId: string, value: unknown, writer: Writer, kind: RoomKind, messages: MessageLookup): asserts value is PinEntry {
  checkPinner(writer, kind);
  checkMessageId(messageId);
  const message = messages.get(messageId);
  ensure(message !== undefined, 'unknown-message', messageId);
  ensure(!message.deleted, 'message-deleted');
  ensure(isPlainObject(value), 'bad-pin', 'a pin is { by, at }');
  for (const key of Object.keys(value)) ensure(key === 'by' || key === 'at', 'bad-pin', `unknown field ${key.slice(0, 40)}`);
  ensure(value.by === writer.userId, 'bad-pin', 'by must be the writer');
  ensure(typeof value.at === 'number' && Number.isInteger(value.at) && value.at > 0 && value.at < 253402300800000, 'bad-pin', 'at must be a time');
}

/**
 * Removing a pin: by whoever may pin, or, once the message is deleted, by anyone who may write (deleting a
 * message takes it out of the pins, whoever deletes it).
 */
export function checkUnpin(messageId: string, writer: Writer, kind: RoomKind, messages: MessageLookup): void {
  checkCanWrite(writer);
  if (messages.get(messageId)?.deleted === true) return;
  checkPinner(writer, kind);
}

/** The pins a room may hold at once. */
export function checkPinCount(count: number): void {
  ensure(count <= LIMITS.pins, 'too-many-pins', `${count} > ${LIMITS.pins}`);
}

/**
 * Adding a reaction as the relay sees it: the writer's own key and a `true` value on a message that exists.
 * A reaction racing a delete of its message is harmless (deleted messages show none): only existence counts.
 */
export function checkReactionTarget(key: string, value: unknown, writer: Writer, messages: MessageLookup): void {
  checkReactionKey(key, writer, messages, false);
  const { messageId } = parseReactionKey(key)!;
  ensure(messages.get(messageId) !== undefined, 'unknown-message', messageId);
  checkReactionValue(value);
}

/**
 * Edits and deletes replace a message's record in place; removing a message outright would orphan its
 * replies. `removed` of its `live` records go: the update must insert one for it, or leave one standing.
 */
export function checkRecordsReplaced(id: string, inserted: boolean, live: number, removed: number): void {
  ensure(inserted || live > removed, 'forbidden-delete', `message ${id} can only be replaced by a new version or a tombstone`);
}

/**
 * A message keeps at most LIMITS.recordsPerMessage live records: an update may not add copies beyond that
 * (`live` before it, `inserted` and `removed` by it). A room already over the limit may still shrink.
 */
export function checkRecordCount(id: string, live: number, inserted: number, removed: number): void {
  const after = live + inserted - removed;
  ensure(after <= LIMITS.recordsPerMessage || inserted <= removed, 'too-many-copies', `${after} records of message ${id}`);
}

/** A user keeps at most LIMITS.receiptEntries live receipt entries: `live` before the update, `added` and `removed` by it. */
export function checkReceiptCount(user: string, live: number, added: number, removed: number): void {
  const after = live + added - removed;
  ensure(after <= LIMITS.receiptEntries || added <= removed, 'too-many-receipts', `${after} entries of ${user}`);
}

/** A user's per-user array is only ever replaced: an update that removes entries from it also writes one. */
export function checkEntriesReplaced(root: string, refilled: boolean): void {
  ensure(refilled, 'forbidden-delete', `${root} can only be replaced`);
}

/**
 * A Yjs client id writes for one user: the one it was first seen with. The relay's own ids (`{ relay: true }`)
 * are nobody's to write with.
 */
export function checkClientOwner(client: number, owner: string | { relay: true } | undefined, writer: Writer): void {
  ensure(owner === undefined || owner === writer.userId, 'foreign-client', `client ${client}`);
}
