// Finds the new messages in a transaction on a conversation's `messages` array: not edits, tombstones or re-sends.
import type * as Y from 'yjs';
import type { MessageRecord } from '../../shared/schema.js';
import type { TransactionOrigin } from '../transaction-origin.js';
import { forEachAddedItem, forEachDeletedItem } from '../transaction-items.js';

/** Message ids remembered per room to recognise a re-sent record (an outbox flushed twice). */
const RECENT_IDS = 256;

/**
 * Calls `onNew` with the records a peer's transaction added to `messages` that start a message: an edit or a
 * deletion replaces a record in the same transaction (its id is among the deleted ones) or carries `editedAt` /
 * `deleted`; a record whose id was seen lately is a re-send. Only peers' writes count (`connection` origin):
 * loads replay stored history and the relay writes no messages. Returns a function that stops observing.
 */
export function observeNewMessages(doc: Y.Doc, onNew: (records: MessageRecord[], transaction: Y.Transaction) => void): () => void {
  const messages = doc.getArray<unknown>('messages');
  const recent = new Set<string>();
  // Reads the transaction's own ranges (transaction-items.ts), not `event.changes`, which walks the whole history.
  const observer = (_event: Y.YArrayEvent<unknown>, transaction: Y.Transaction) => {
    const origin = transaction.origin as TransactionOrigin | undefined;
    if (origin?.source !== 'connection') return;
    const added: Y.Item[] = [];
    forEachAddedItem(transaction, messages, (item) => added.push(item));
    if (added.length === 0) return;
    const replaced = new Set<string>();
    forEachDeletedItem(transaction, messages, (item, from, to) => {
      for (const value of item.content.getContent().slice(from, to)) {
        const id = (value as { id?: unknown } | null)?.id;
        if (typeof id === 'string') replaced.add(id);
      }
    });
    const fresh: MessageRecord[] = [];
    for (const item of added) {
      for (const value of item.content.getContent()) {
        const record = value as Partial<MessageRecord> | null;
        if (typeof record !== 'object' || record === null || typeof record.id !== 'string' || typeof record.author !== 'string') continue;
        if (record.deleted || record.editedAt !== undefined || replaced.has(record.id) || recent.has(record.id)) continue;
        recent.add(record.id);
        if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value!);
        fresh.push(record as MessageRecord);
      }
    }
    if (fresh.length > 0) onNew(fresh, transaction);
  };
  messages.observe(observer);
  return () => messages.unobserve(observer);
}
