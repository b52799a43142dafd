// Writes to a conversation document: each checks the shared rules first and writes in one transaction, or throws and writes nothing.
import type * as Y from 'yjs';
import { ensure } from './errors.js';
import { newMessageId } from './ids.js';
import { readMessageLog, type MessageLog, type ResolvedMessage } from './message-log.js';
import {
  checkCanWrite, checkEmoji, checkMessageId, checkMeta, checkNewMessage, checkProfile,
  checkReceipt, checkRecordRemoval, checkRevision, checkText,
} from './rules.js';
import {
  reactionKey,
  type Attachment, type MessageRecord, type ProfileEntry, type ReceiptEntry, type RoomKind, type Writer,
} from './schema.js';
import { furthestReceipt, replaceUserEntry, userEntries } from './user-entries.js';
import { dropPinOf } from './pins.js';
import { checkMentionMembers, mentionableIn } from './mentions.js';

export interface SendInput {
  text: string;
  replyTo?: string;
  /** Reply in the thread under this message (a top-level message of the conversation). */
  threadRoot?: string;
  /** With `threadRoot`: also show the reply in the main flow. */
  alsoInMain?: boolean;
  attachments?: Attachment[];
  /** User ids this message mentions (members of the conversation; shared/mentions.ts). Empty = none. */
  mentions?: readonly string[];
  /** Supply to make a re-send idempotent (an outbox flushed twice); generated when absent. */
  id?: string;
  createdAt?: number;
}

const messagesOf = (doc: Y.Doc) => doc.getArray<MessageRecord>('messages');
const reactionsOf = (doc: Y.Doc) => doc.getMap<true>('reactions');

/** Sends a message (a reply when `replyTo` is set). Re-sending an identical record with the same id is a no-op. */
export function sendMessage(doc: Y.Doc, writer: Writer, input: SendInput): MessageRecord {
  const record: MessageRecord = {
    id: input.id ?? newMessageId(),
    author: writer.userId,
    text: input.text,
    createdAt: input.createdAt ?? Date.now(),
  };
  if (input.replyTo !== undefined) record.replyTo = input.replyTo;
  if (input.threadRoot !== undefined) record.threadRoot = input.threadRoot;
  if (input.alsoInMain === true) record.alsoInMain = true;
  if (input.attachments !== undefined) record.attachments = input.attachments;
  if (input.mentions !== undefined && input.mentions.length > 0) record.mentions = [...input.mentions];
  const log = readMessageLog(doc);
  const existing = log.get(record.id);
  if (existing) {
    checkRevision(existing, record, writer);
    return existing;
  }
  checkNewMessage(record, writer, log);
  checkMentionMembers(record, mentionableIn(doc));
  messagesOf(doc).push([record]);
  return record;
}

/** Replaces all live records of a message by `record`, at the position of the first one. */
function replaceRecords(doc: Y.Doc, indices: number[], record: MessageRecord): void {
  const messages = messagesOf(doc);
  doc.transact(() => {
    messages.insert(indices[0]!, [record]);
    for (let i = indices.length - 1; i >= 0; i--) messages.delete(indices[i]! + 1, 1);
  });
}

function locate(doc: Y.Doc, id: string): { resolved: ResolvedMessage; log: MessageLog } {
  checkMessageId(id);
  const log = readMessageLog(doc);
  const resolved = log.byId.get(id);
  ensure(resolved !== undefined, 'unknown-message', id);
  return { resolved, log };
}

/**
 * Edits the text of one's own message; the old text leaves the document. `mentions` replaces the message's
 * mentions (empty: none); left out, the current ones stay.
 */
export function editMessage(doc: Y.Doc, writer: Writer, id: string, text: string, mentions?: readonly string[]): MessageRecord {
  checkCanWrite(writer);
  checkText(text);
  const { resolved } = locate(doc, id);
  const current = resolved.current.record;
  ensure(!current.deleted, 'message-deleted');
  const { editedAt: _editedAt, mentions: currentMentions, ...identity } = current;
  const record: MessageRecord = {
    ...identity,
    text,
    editedAt: Math.max(Date.now(), (current.editedAt ?? current.createdAt) + 1),
  };
  const nextMentions = mentions ?? currentMentions;
  if (nextMentions !== undefined && nextMentions.length > 0) record.mentions = [...nextMentions];
  checkRevision(current, record, writer);
  checkMentionMembers(record, mentionableIn(doc));
  for (const { record: old } of resolved.records) checkRecordRemoval(old, writer);
  replaceRecords(doc, resolved.records.map((r) => r.index), record);
  return record;
}

/**
 * Deletes a message (its author, or an admin as moderation): the record becomes a tombstone with no
 * text, keeping id, author, time, reply target and thread so replies still resolve; its pin goes too.
 * Deleting twice is a no-op.
 */
export function deleteMessage(doc: Y.Doc, writer: Writer, id: string): void {
  checkCanWrite(writer);
  const { resolved } = locate(doc, id);
  const current = resolved.current.record;
  if (current.deleted) return;
  const tombstone: MessageRecord = { id: current.id, author: current.author, text: '', createdAt: current.createdAt, deleted: true, deletedBy: writer.userId };
  if (current.replyTo !== undefined) tombstone.replyTo = current.replyTo;
  if (current.threadRoot !== undefined) tombstone.threadRoot = current.threadRoot;
  checkRevision(current, tombstone, writer);
  for (const { record: old } of resolved.records) checkRecordRemoval(old, writer);
  doc.transact(() => {
    replaceRecords(doc, resolved.records.map((r) => r.index), tombstone);
    dropPinOf(doc, id);
  });
}

/** Adds the writer's reaction `emoji` to a message (a no-op when already there). */
export function react(doc: Y.Doc, writer: Writer, id: string, emoji: string): void {
  checkCanWrite(writer);
  checkEmoji(emoji);
  const current = locate(doc, id).resolved.current.record;
  ensure(!current.deleted, 'message-deleted');
  const key = reactionKey(id, writer.userId, emoji);
  if (!reactionsOf(doc).has(key)) reactionsOf(doc).set(key, true);
}

/** Removes the writer's reaction `emoji` from a message (a no-op when absent). */
export function unreact(doc: Y.Doc, writer: Writer, id: string, emoji: string): void {
  checkCanWrite(writer);
  checkMessageId(id);
  checkEmoji(emoji);
  const key = reactionKey(id, writer.userId, emoji);
  if (reactionsOf(doc).has(key)) reactionsOf(doc).delete(key);
}

function moveReceipt(doc: Y.Doc, writer: Writer, id: string, fields: Array<'delivered' | 'read'>): boolean {
  checkCanWrite(writer);
  const { resolved, log } = locate(doc, id);
  ensure(resolved.current.record.author !== writer.userId, 'receipt-own-message');
  const entries = userEntries<ReceiptEntry>(doc, 'receipts', writer.userId);
  // A mark this replica cannot place yet (its message's records are still on the way: an edit's delete can
  // arrive before its insert while a catch-up is in pieces) cannot be compared: writing now could move it
  // backwards, which the relay refuses. Wait until the replica has caught up.
  const unplaced = (mark: string | undefined) => mark !== undefined && log.get(mark) === undefined;
  if (entries.some((entry) => unplaced(entry.delivered) || unplaced(entry.read))) return false;
  const current = furthestReceipt(entries, log);
  const next: ReceiptEntry = { ...current };
  let moved = false;
  for (const field of fields) {
    const previous = current[field];
    if (previous === undefined || log.compare(id, previous) > 0) {
      next[field] = id;
      moved = true;
    }
  }
  if (!moved) return false;
  checkReceipt(writer.userId, next, writer, current, log);
  replaceUserEntry(doc, 'receipts', writer.userId, next);
  return true;
}

/** Marks messages up to `id` (by others) delivered to the writer. Returns false when the mark is already there or further. */
export function markDelivered(doc: Y.Doc, writer: Writer, id: string): boolean {
  return moveReceipt(doc, writer, id, ['delivered']);
}

/** Marks messages up to `id` (by others) read, and so delivered too. Returns false when nothing moved. */
export function markRead(doc: Y.Doc, writer: Writer, id: string): boolean {
  return moveReceipt(doc, writer, id, ['delivered', 'read']);
}

/** Sets the writer's own profile; fields not given keep their value. A first profile needs a name. */
export function setProfile(doc: Y.Doc, writer: Writer, profile: { name?: string; avatar?: string; lastSeen?: number }): ProfileEntry {
  checkCanWrite(writer);
  const current = userEntries<ProfileEntry>(doc, 'members', writer.userId).at(-1);
  const entry = { ...current, ...profile } as ProfileEntry;
  for (const key of Object.keys(entry) as Array<keyof ProfileEntry>) {
    if (entry[key] === undefined) delete entry[key];
  }
  checkProfile(writer.userId, entry, writer);
  replaceUserEntry(doc, 'members', writer.userId, entry);
  return entry;
}

/** Sets room settings (admins only). */
export function setMeta(doc: Y.Doc, writer: Writer, meta: { title?: string; kind?: RoomKind }): void {
  checkCanWrite(writer);
  ensure(writer.role === 'admin', 'not-admin');
  const entries = Object.entries(meta).filter(([, value]) => value !== undefined);
  for (const [key, value] of entries) checkMeta(key, value, writer);
  const map = doc.getMap<unknown>('meta');
  doc.transact(() => {
    for (const [key, value] of entries) if (map.get(key) !== value) map.set(key, value);
  });
}
