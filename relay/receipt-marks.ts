// Each user's furthest receipt marks, cached per room and recomputed only when that user's receipts change.
import type * as Y from 'yjs';
import type { MessageLookup } from '../shared/rules.js';
import type { ReceiptEntry } from '../shared/schema.js';
import { furthestReceipt, parseUserArrayName, userArrayName, userEntries } from '../shared/user-entries.js';

export interface ReceiptMarks {
  /** The user's furthest delivered and read marks over their live entries (the mark the next write must not fall behind). */
  furthest(user: string): ReceiptEntry;
  /** How many live receipt entries the user has. */
  liveCount(user: string): number;
  destroy(): void;
}

/**
 * Follows `doc`'s transactions (only the types each one changed) and forgets a user's cached marks when their
 * `receipts:<user>` array changes, so judging a receipt write costs O(1) order comparisons against one cached
 * mark per user instead of re-reading every entry each time.
 */
export function createReceiptMarks(doc: Y.Doc, messages: MessageLookup): ReceiptMarks {
  const cache = new Map<string, ReceiptEntry>();
  /** Root type → the user whose receipts it holds (null for other roots); filled from doc.share on a miss. */
  const owners = new WeakMap<Y.AbstractType<any>, string | null>();
  const ownerOf = (type: Y.AbstractType<any>): string | null | undefined => {
    if (!owners.has(type)) {
      for (const [name, root] of doc.share) {
        if (owners.has(root)) continue;
        const perUser = parseUserArrayName(name);
        owners.set(root, perUser?.kind === 'receipts' ? perUser.user : null);
      }
    }
    return owners.get(type);
  };
  const onTransaction = (transaction: Y.Transaction): void => {
    for (const type of transaction.changed.keys()) {
      if (type._item !== null) continue;
      const user = ownerOf(type);
      if (user) cache.delete(user);
    }
  };
  doc.on('afterTransaction', onTransaction);
  return {
    furthest(user) {
      let marks = cache.get(user);
      if (!marks) cache.set(user, (marks = furthestReceipt(userEntries<ReceiptEntry>(doc, 'receipts', user), messages)));
      return marks;
    },
    liveCount(user) {
      const name = userArrayName('receipts', user);
      return doc.share.has(name) ? doc.getArray(name).length : 0;
    },
    destroy: () => doc.off('afterTransaction', onTransaction),
  };
}
