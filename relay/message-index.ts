// A room's message index for the write guard: message id → live records and winner, kept current incrementally.
import * as Y from 'yjs';
import type { MessageLookup } from '../shared/rules.js';
import { locateRecords, supersedes, type LocatedRecord } from '../shared/message-log.js';
import type { MessageRecord } from '../shared/schema.js';

/** A live record with its order key: keys grow along the array (see `assignKeys`), so comparing two is O(1). */
interface Keyed extends LocatedRecord {
  key: number;
}

interface Entry {
  records: Keyed[];
  current: Keyed;
}

export interface MessageIndex extends MessageLookup {
  /** How many distinct messages the room holds. */
  readonly size: number;
  /** How many live records a message has (one, or more after concurrent edits). */
  recordCount(id: string): number;
  destroy(): void;
}

/** One position in the array: an item and an offset in its values. */
interface Position {
  item: Y.Item;
  offset: number;
}

/** The live plain-value item at or after (`step` 1) / before (`step` -1) `item`, or null. */
const liveItem = (item: Y.Item | null, step: 1 | -1): Y.Item | null => {
  while (item !== null && (item.deleted || !(item.content instanceof Y.ContentAny))) item = step === 1 ? item.right : item.left;
  return item;
};

/** The record position next to `at` in the array (right for 1, left for -1), skipping deleted items. */
function neighbour({ item, offset }: Position, step: 1 | -1): Position | null {
  if (step === 1 && offset + 1 < item.length) return { item, offset: offset + 1 };
  if (step === -1 && offset > 0) return { item, offset: offset - 1 };
  const next = liveItem(step === 1 ? item.right : item.left, step);
  return next === null ? null : { item: next, offset: step === 1 ? 0 : next.length - 1 };
}

/**
 * Indexes `doc`'s messages once (O(n)) and then follows each transaction's inserted and deleted structs
 * (O(change)), so lookups cost the same in a room of 100 or 100,000 messages. Every live record carries an
 * order key that grows along the array: new records get keys between their neighbours' (renumbering the
 * whole array, O(n), only when repeated insertion at one spot exhausts a float's precision), so comparing
 * the order of two messages is O(1) rather than a walk between them.
 */
export function createMessageIndex(doc: Y.Doc): MessageIndex {
  const messages = doc.getArray<MessageRecord>('messages');
  const byId = new Map<string, Entry>();
  /** Live records by Yjs id (client → clock → record). */
  const byYjsId = new Map<number, Map<number, Keyed>>();

  const locate = (client: number, clock: number): Keyed | undefined => byYjsId.get(client)?.get(clock);
  const at = ({ item, offset }: Position): Keyed | undefined => locate(item.id.client, item.id.clock + offset);

  const add = (located: Keyed): void => {
    const id = located.record?.id;
    if (typeof id !== 'string') return;
    let clocks = byYjsId.get(located.client);
    if (!clocks) byYjsId.set(located.client, (clocks = new Map()));
    clocks.set(located.clock, located);
    const entry = byId.get(id);
    if (!entry) byId.set(id, { records: [located], current: located });
    else {
      entry.records.push(located);
      if (supersedes(located.record, entry.current.record)) entry.current = located;
    }
  };

  /** Removes records, each message's in one pass (a tombstone over many copies must not cost copies²). */
  const removeAll = (removed: Map<string, Set<Keyed>>): void => {
    for (const [id, gone] of removed) {
      for (const located of gone) byYjsId.get(located.client)?.delete(located.clock);
      const entry = byId.get(id);
      if (!entry) continue;
      entry.records = entry.records.filter((r) => !gone.has(r));
      if (entry.records.length === 0) {
        byId.delete(id);
        continue;
      }
      entry.current = entry.records.reduce((best, r) => (supersedes(r.record, best.record) ? r : best));
    }
  };

  /** Gives every live record a key equal to its position (O(n)): the start, and the rare renumbering. */
  const renumber = (): void => {
    let key = 0;
    for (let item = liveItem(messages._start, 1); item !== null; item = liveItem(item.right, 1)) {
      for (let offset = 0; offset < item.length; offset++) {
        const located = at({ item, offset });
        if (located) located.key = key++;
      }
    }
  };

  /**
   * Keys for records new in a transaction (key NaN until assigned): each run of new records between two keyed
   * ones gets evenly spaced keys between theirs, so each new record is visited a bounded number of times.
   */
  const assignKeys = (fresh: Array<{ located: Keyed; position: Position }>): void => {
    for (const { located, position } of fresh) {
      if (!Number.isNaN(located.key)) continue;
      // Walk left to the run's start (the nearest keyed record), then right collecting the run.
      let start: Position = position;
      let left: number | undefined;
      for (let p = neighbour(position, -1); p !== null; p = neighbour(p, -1)) {
        const record = at(p);
        if (!record) continue;
        if (!Number.isNaN(record.key)) {
          left = record.key;
          break;
        }
        start = p;
      }
      const run: Keyed[] = [];
      let right: number | undefined;
      for (let p: Position | null = start; p !== null; p = neighbour(p, 1)) {
        const record = at(p);
        if (!record) continue;
        if (!Number.isNaN(record.key)) {
          right = record.key;
          break;
        }
        run.push(record);
      }
      const low = left ?? (right === undefined ? -1 : right - run.length - 1);
      const high = right ?? low + run.length + 1;
      const step = (high - low) / (run.length + 1);
      if (!(low + step > low && high - step < high)) {
        renumber(); // keys too close together: renumber everything (new records included)
        return;
      }
      run.forEach((record, i) => (record.key = low + step * (i + 1)));
    }
  };

  // Each located record is a fresh object: keyed in place (the key starts as its position).
  for (const located of locateRecords(messages)) add(Object.assign(located, { key: located.index }));

  // Observers run before Yjs garbage-collects deleted content, so removed records can still be read.
  // (event.changes would walk the whole array: the transaction's state vectors and delete set do not.)
  const onChange = (event: Y.YArrayEvent<MessageRecord>): void => {
    const { transaction } = event;
    const store = doc.store;
    const removed = new Map<string, Set<Keyed>>();
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
          for (let offset = from; offset < to; offset++) {
            const located = locate(client, struct.id.clock + offset);
            if (!located) continue;
            let gone = removed.get(located.record.id);
            if (!gone) removed.set(located.record.id, (gone = new Set()));
            gone.add(located);
          }
        }
      }
    }
    removeAll(removed);
    const fresh: Array<{ located: Keyed; position: Position }> = [];
    for (const [client, after] of transaction.afterState) {
      const before = transaction.beforeState.get(client) ?? 0;
      if (after <= before) continue;
      const structs = store.clients.get(client)!;
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const struct = structs[i]!;
        if (struct.id.clock >= after) break;
        if (!(struct instanceof Y.Item) || struct.parent !== messages || struct.deleted) continue;
        if (!(struct.content instanceof Y.ContentAny)) continue;
        struct.content.arr.forEach((record, offset) => {
          const located: Keyed = { record, index: -1, client, clock: struct.id.clock + offset, key: Number.NaN };
          add(located);
          if (locate(client, located.clock) === located) fresh.push({ located, position: { item: struct, offset } });
        });
      }
    }
    assignKeys(fresh);
  };
  messages.observe(onChange);

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
      return Math.sign(left.key - right.key);
    },
    destroy: () => messages.unobserve(onChange),
  };
}
