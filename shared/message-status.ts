// Where a message's status is computed: sending → sent → delivered → read, as its author sees it (one rule for every caller).
import type * as Y from 'yjs';
import { readMessageLog, type MessageLog, type ResolvedMessage } from './message-log.js';
import { getMembers, getReceipts } from './queries.js';

export type MessageState = 'sending' | 'sent' | 'delivered' | 'read';

/** A message's status as its author sees it; counts are over the other members of the room. */
export interface MessageStatus {
  state: MessageState;
  deliveredTo: number;
  readBy: number;
  recipients: number;
}

/**
 * The rule itself: `sending` until the relay's durable state vector covers the record, then `read` when every
 * other member read it, `delivered` when it reached all of them, else `sent`. `durable` undefined means
 * "durability unknown" (a replica that never spoke to the relay): the status starts at `sent`.
 */
export function statusOf(record: { client: number; clock: number }, durable: Map<number, number> | undefined,
  deliveredTo: number, readBy: number, recipients: number): MessageState {
  if (durable !== undefined && (durable.get(record.client) ?? 0) <= record.clock) return 'sending';
  if (recipients > 0 && readBy === recipients) return 'read';
  if (recipients > 0 && deliveredTo === recipients) return 'delivered';
  return 'sent';
}

/** One other member's receipt marks as positions in the log (-1: none). */
export interface ReceiptMark {
  user: string;
  delivered: number;
  read: number;
}

/**
 * Each other member's receipt marks as positions in the log, resolved once. `members` defaults to
 * `getMembers(doc, log)` (a client that keeps the member list up to date passes it).
 */
export function receiptMarks(doc: Y.Doc, log: MessageLog, author: string, members: readonly string[] = getMembers(doc, log)): ReceiptMark[] {
  return members
    .filter((user) => user !== author)
    .map((user) => {
      const { delivered, read } = getReceipts(doc, user, log);
      return {
        user,
        delivered: delivered === undefined ? -1 : (log.byId.get(delivered)?.position ?? -1),
        read: read === undefined ? -1 : (log.byId.get(read)?.position ?? -1),
      };
    });
}

/** The status of one resolved message given the other members' marks (the counting half of the rule). */
export function statusAt(resolved: ResolvedMessage, marks: readonly ReceiptMark[], durable: Map<number, number> | undefined): MessageStatus {
  let deliveredTo = 0;
  let readBy = 0;
  for (const mark of marks) {
    if (mark.delivered >= resolved.position) deliveredTo++;
    if (mark.read >= resolved.position) readBy++;
  }
  const recipients = marks.length;
  return { state: statusOf(resolved.current, durable, deliveredTo, readBy, recipients), deliveredTo, readBy, recipients };
}

/**
 * The statuses of every message by `author`, in one pass: members and receipt marks are resolved once, so a
 * 10k-message conversation costs O(messages × members) instead of O(messages²).
 */
export function messageStatuses(doc: Y.Doc, author: string, durable?: Map<number, number>, log: MessageLog = readMessageLog(doc)): Map<string, MessageStatus> {
  const marks = receiptMarks(doc, log, author);
  const statuses = new Map<string, MessageStatus>();
  for (const resolved of log.list) {
    const { record } = resolved.current;
    if (record.author !== author) continue;
    statuses.set(record.id, statusAt(resolved, marks, durable));
  }
  return statuses;
}

/** The status of one message as its author sees it (see `statusOf`), or undefined for an unknown id. */
export function messageStatus(doc: Y.Doc, id: string, durable?: Map<number, number>, log: MessageLog = readMessageLog(doc)): MessageStatus | undefined {
  const resolved = log.byId.get(id);
  if (!resolved) return undefined;
  return statusAt(resolved, receiptMarks(doc, log, resolved.current.record.author), durable);
}
