// Reads of a conversation document: messages, statuses, unread counts, replies, reactions, profiles and settings.
import type * as Y from 'yjs';
import { readMessageLog, type MessageLog } from './message-log.js';
import {
  ROOM_KINDS,
  type MessageRecord, type ProfileEntry, type ReceiptEntry, type RoomKind,
} from './schema.js';
import { furthestReceipt, userEntries, usersWithEntries } from './user-entries.js';
import { inMainFlow } from './threads.js';

// Statuses and reactions have their own modules; re-exported so `shared/conversation.ts` stays the one entry.
export {
  messageStatus, messageStatuses, receiptMarks, statusAt, statusOf, type MessageState, type MessageStatus, type ReceiptMark,
} from './message-status.js';
export { groupReactions, reactionsSummary, type ReactionGroup } from './reactions.js';

/** A message as shown: the resolved current state of one message id. */
export type Message = Omit<MessageRecord, 'deleted'> & { deleted: boolean };

const toMessage = (record: MessageRecord): Message => ({ ...record, deleted: record.deleted === true });

/** All messages in conversation order (the same order on every replica), one per id. */
export function getMessages(doc: Y.Doc, log: MessageLog = readMessageLog(doc)): Message[] {
  return log.list.map((resolved) => toMessage(resolved.current.record));
}

/** One message by id, or undefined. */
export function getMessage(doc: Y.Doc, id: string, log: MessageLog = readMessageLog(doc)): Message | undefined {
  const record = log.get(id);
  return record && toMessage(record);
}

/** A user's receipt marks: the furthest message delivered to and read by them (read implies delivered). */
export function getReceipts(doc: Y.Doc, userId: string, log: MessageLog = readMessageLog(doc)): { delivered?: string; read?: string } {
  const marks = furthestReceipt(userEntries<ReceiptEntry>(doc, 'receipts', userId), log);
  if (marks.read !== undefined && (marks.delivered === undefined || log.compare(marks.read, marks.delivered) > 0)) {
    marks.delivered = marks.read;
  }
  return marks;
}

/** Every member's profile by user id (after concurrent writes from two devices, the later entry in array order wins). */
export function getProfiles(doc: Y.Doc): Map<string, ProfileEntry> {
  const profiles = new Map<string, ProfileEntry>();
  for (const user of usersWithEntries(doc, 'members')) {
    const profile = userEntries<ProfileEntry>(doc, 'members', user).at(-1);
    if (profile) profiles.set(user, profile);
  }
  return profiles;
}

/**
 * The room's members as far as the document knows them: everyone with a profile, a receipt or a message.
 * (Access itself is granted by tokens; the document only sees who took part.)
 */
export function getMembers(doc: Y.Doc, log: MessageLog = readMessageLog(doc)): string[] {
  return membersWith(doc, log.list.map(({ current }) => current.record.author));
}

/** `getMembers` given the authors of the messages (a reader that keeps them up to date need not walk the log). */
export function membersWith(doc: Y.Doc, authors: Iterable<string>): string[] {
  const members = new Set<string>(getProfiles(doc).keys());
  for (const user of usersWithEntries(doc, 'receipts')) members.add(user);
  for (const author of authors) members.add(author);
  return [...members].sort();
}

/** How many messages by others, not deleted, come after the user's read mark. */
export function unreadCount(doc: Y.Doc, userId: string, log: MessageLog = readMessageLog(doc)): number {
  const { read } = getReceipts(doc, userId, log);
  const from = read === undefined ? 0 : (log.byId.get(read)?.position ?? -1) + 1;
  let count = 0;
  for (let i = from; i < log.list.length; i++) {
    const record = log.list[i]!.current.record;
    // Thread replies count in their thread (threadUnread), not in the conversation.
    if (record.author !== userId && !record.deleted && inMainFlow(record)) count++;
  }
  return count;
}

/** What a reply points at, for quoting: the original's author, name and a short excerpt, or a deleted placeholder. */
export function replyContext(doc: Y.Doc, id: string, log: MessageLog = readMessageLog(doc)):
  { id: string; author: string; authorName: string; excerpt: string; deleted: boolean } | undefined {
  const target = log.get(id);
  if (!target) return undefined;
  const profile = getProfiles(doc).get(target.author);
  const text = target.text.replace(/\s+/g, ' ').trim();
  return {
    id,
    author: target.author,
    authorName: profile?.name ?? target.author,
    excerpt: text.length > 120 ? `${text.slice(0, 119)}\u2026` : text,
    deleted: target.deleted === true,
  };
}

/** Room settings, with defaults. */
export function getMeta(doc: Y.Doc): { title: string; kind: RoomKind } {
  const meta = doc.getMap<unknown>('meta');
  const title = meta.get('title');
  const kind = meta.get('kind');
  return {
    title: typeof title === 'string' ? title : '',
    kind: (ROOM_KINDS as readonly unknown[]).includes(kind) ? (kind as RoomKind) : 'group',
  };
}
