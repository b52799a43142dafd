// A room's message index for the write guard: message id → live records and winner, kept current incrementally.
import * as Y from 'yjs';
import type { MessageLookup } from '../shared/rules.js';
import { locateRecords, supersedes, type LocatedRecord } from '../shared/message-log.js';
import type { MessageRecord } from '../shared/schema.js';

interface Entry {
  records: LocatedRecord[];
  current: LocatedRecord;
}

export interface MessageIndex extends MessageLookup {
  /** How many distinct messages the room holds. */
  readonly size: number;
  /** How many live records a message has (one, or more after concurrent edits). */
  recordCount(id: string): number;
  destroy(): void;
}

/**
 * Indexes `doc`'s messages once (O(n)) and then follows each transaction's inserted and deleted structs
 * (O(change)), so lookups cost the same in a room of 100 or 100,000 messages. Order comparisons walk
 * the array's items from one message towards the other, so they cost the distance between the two.
 */
export function createMessageIndex(doc: Y.Doc): MessageIndex {
  const messages = doc.getArray<MessageRecord>('messages');
  const byId = new Map<string, Entry>();

  const add = (located: LocatedRecord): void => {
    const id = located.record?.id;
    if (typeof id !== 'string') return;
    const entry = byId.get(id);
    if (!entry) byId.set(id, { records: [located], current: located });
    else {
      entry.records.push(located);
      if (supersedes(located.record, entry.current.record)) entry.current = located;
    }
  };

  const remove = (record: MessageRecord, client: number, clock: number): void => {
    const entry = typeof record?.id === 'string' ? byId.get(record.id) : undefined;
    if (!entry) return;
    entry.records = entry.records.filter((r) => r.client !== client || r.clock !== clock);
    if (entry.records.length === 0) {
      byId.delete(record.id);
      return;
    }
    entry.current = entry.records.reduce((best, r) => (supersedes(r.record, best.record) ? r : best));
  };

  for (const located of locateRecords(messages)) add(located);

  // Observers run before Yjs garbage-collects deleted content, so removed records can still be read.
  // (event.changes would walk the whole array: the transaction's state vectors and delete set do not.)
  const onChange = (event: Y.YArrayEvent<MessageRecord>): void => {
    const { transaction } = event;
    const store = doc.store;
    for (const [client, after] of transaction.afterState) {
      const before = transaction.beforeState.get(client) ?? 0;
      if (after <= before) continue;
      const structs = store.clients.get(client)!;
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const struct = structs[i]!;
        if (struct.id.clock >= after) break;
        if (!(struct instanceof Y.Item) || struct.parent !== messages || struct.deleted) continue;
        if (!(struct.content instanceof Y.ContentAny)) continue;
        struct.content.arr.forEach((record, offset) => add({ record, index: -1, client, clock: struct.id.clock + offset }));
      }
    }
    for (const [client, ranges] of transaction.deleteSet.clients) {
      const structs = store.clients.get(client);
      if (!structs) continue;
      for (const { clock, len } of ranges) {
        for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
          const struct = structs[i]!;
          if (struct.id.clock >= clock + len) break;
          if (!(struct instanceof Y.Item) || struct.parent !== messages || !(struct.content instanceof Y.ContentAny)) continue;
          const from = Math.max(clock, struct.id.clock) - struct.id.clock;
          const to = Math.min(clock + len, struct.id.clock + struct.length) - struct.id.clock;
          for (let offset = from; offset < to; offset++) remove(struct.content.arr[offset] as MessageRecord, client, struct.id.clock + offset);
        }
      }
    }
  };
  messages.observe(onChange);

  /** Whether the struct holding `b`'s winning record is reached walking right from `a`'s. */
  const comesAfter = (a: LocatedRecord, b: LocatedRecord): boolean => {
    const start = Y.getItem(doc.store, Y.createID(a.client, a.clock));
    const target = Y.getItem(doc.store, Y.createID(b.client, b.clock));
    if (start === target) return b.clock > a.clock;
    for (let item = start.right; item !== null; item = item.right) if (item === target) return true;
    return false;
  };

  return {
    get size() {
      return byId.size;
    },
    get: (id) => byId.get(id)?.current.record,
    recordCount: (id) => byId.get(id)?.records.length ?? 0,
    compare(a, b) {
      const left = byId.get(a)?.current;
      const right = byId.get(b)?.current;
      if (!left || !right) return (left ? 1 : 0) - (right ? 1 : 0);
      if (left === right) return 0;
      return comesAfter(right, left) ? 1 : -1;
    },
    destroy: () => messages.unobserve(onChange),
  };
}
