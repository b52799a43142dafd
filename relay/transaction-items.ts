// The items a transaction added to or deleted from one array type, found from its state vectors and delete set (not by walking the array).
import * as Y from 'yjs';

/*
 * Yjs's `event.changes` walks the observed array from its first item to its last on every transaction: O(the
 * conversation's history) per message, for every observer that asks. A transaction says itself what it touched:
 * the structs it added are the clock ranges between its before and after state vectors, the ones it deleted are
 * its delete set, and the struct store finds either by binary search. These functions visit exactly those, so an
 * observer pays for the change, not for the history. They must run inside the transaction's observer calls
 * (before Yjs garbage-collects deleted content and merges items, which it does right after).
 */

/**
 * Calls `visit` for each item `transaction` added to `parent` (a shared type, compared by identity) that it did
 * not also delete (what `event.changes.added` holds), in client then clock order.
 */
export const forEachAddedItem = (transaction: Y.Transaction, parent: object, visit: (item: Y.Item) => void): void => {
  const store = transaction.doc.store;
  for (const [client, after] of transaction.afterState) {
    const before = transaction.beforeState.get(client) ?? 0;
    if (after <= before) continue;
    const structs = store.clients.get(client);
    if (!structs) continue;
    for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
      const struct = structs[i]!;
      if (struct.id.clock >= after) break;
      if (struct instanceof Y.Item && struct.parent === parent && !struct.deleted) visit(struct);
    }
  }
};

/**
 * Calls `visit` for each item of `parent` that `transaction` deleted and that existed before it (what
 * `event.changes.deleted` holds), with the range of the item's values the deletion covers (`from` inclusive,
 * `to` exclusive; the whole item unless a delete range ends inside it).
 */
export const forEachDeletedItem = (
  transaction: Y.Transaction,
  parent: object,
  visit: (item: Y.Item, from: number, to: number) => void,
): void => {
  const store = transaction.doc.store;
  for (const [client, ranges] of transaction.deleteSet.clients) {
    const structs = store.clients.get(client);
    if (!structs) continue;
    // Structs from this clock on were added by the transaction itself: added and deleted at once, they are neither.
    const before = transaction.beforeState.get(client) ?? 0;
    for (const { clock, len } of ranges) {
      const end = Math.min(clock + len, before);
      if (clock >= end) continue;
      for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
        const struct = structs[i]!;
        if (struct.id.clock >= end) break;
        if (!(struct instanceof Y.Item) || struct.parent !== parent) continue;
        const from = Math.max(clock, struct.id.clock) - struct.id.clock;
        const to = Math.min(end, struct.id.clock + struct.length) - struct.id.clock;
        visit(struct, from, to);
      }
    }
  }
};
