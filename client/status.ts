// Statuses of one's own messages for a whole conversation in one pass (the model's messageStatus is per message).
import { getMembers, getReceipts, type MessageLog, type MessageState } from '../shared/conversation.js';
import type * as Y from 'yjs';

export interface OwnStatus {
  state: MessageState;
  deliveredTo: number;
  readBy: number;
  recipients: number;
}

/**
 * Same rules as `messageStatus` in shared/queries.ts — `sending` until `durable` covers the current record,
 * then `read` when every other member read it, `delivered` when it reached all of them, else `sent` — but
 * members and receipt marks are resolved once, so a 10k-message conversation costs O(messages × members)
 * instead of O(messages²).
 */
export function ownStatuses(doc: Y.Doc, log: MessageLog, userId: string, durable: Map<number, number>): Map<string, OwnStatus> {
  const recipients = getMembers(doc, log).filter((user) => user !== userId);
  const marks = recipients.map((user) => {
    const { delivered, read } = getReceipts(doc, user, log);
    return {
      delivered: delivered === undefined ? -1 : (log.byId.get(delivered)?.position ?? -1),
      read: read === undefined ? -1 : (log.byId.get(read)?.position ?? -1),
    };
  });
  const statuses = new Map<string, OwnStatus>();
  for (const resolved of log.list) {
    const { record, client, clock } = resolved.current;
    if (record.author !== userId) continue;
    let deliveredTo = 0;
    let readBy = 0;
    for (const mark of marks) {
      if (mark.delivered >= resolved.position) deliveredTo++;
      if (mark.read >= resolved.position) readBy++;
    }
    const total = recipients.length;
    let state: MessageState = 'sent';
    if ((durable.get(client) ?? 0) <= clock) state = 'sending';
    else if (total > 0 && readBy === total) state = 'read';
    else if (total > 0 && deliveredTo === total) state = 'delivered';
    statuses.set(record.id, { state, deliveredTo, readBy, recipients: total });
  }
  return statuses;
}
