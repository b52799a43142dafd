// A room's message index for the write guard: message id → live records and winner, kept current incrementally.
import * as Y from 'yjs';
import type { MessageLookup } from '../shared/rules.js';
import { locateRecords, supersedes } from '../shared/message-log.js';
import type { MessageRecord } from '../shared/schema.js';
import { forEachAddedItem, forEachDeletedItem } from './transaction-items.js';

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

/** FNV-1a over the UTF-16 code units of a message id (ids are short: a lookup hashes ≈ 20 units). */
const hashOf = (id: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/** A hash-table cell: empty, or a removed entry that lookups must probe past. */
const EMPTY = 0;
const REMOVED = -1;

/**
 * Indexes `doc`'s messages once (O(n)) and then follows each transaction's inserted and deleted structs
 * (O(change)), so lookups cost the same in a room of 100 or 100,000 messages. Every live record carries an
 * order key that grows along the array: new records get keys between their neighbours' (renumbering the
 * whole array, O(n), only when repeated insertion at one spot exhausts a float's precision), so comparing
 * the order of two messages is O(1) rather than a walk between them.
 *
 * Memory: the index is most of what a loaded room adds to its document, so it holds no object per record.
 * Each live record has a slot: its record (the document's own object, not a copy) in one array, its order key
 * and Yjs id (client, clock) in typed arrays; an open-addressing table of Int32 slot numbers, hashed by message
 * id, finds a message's winning record. Only a message with several live records (concurrent edits, re-sends)
 * has more: the list of its slots, and its slots by Yjs id (so that finding one of many copies stays O(1)).
 */
export function createMessageIndex(doc: Y.Doc): MessageIndex {
  const messages = doc.getArray<MessageRecord>('messages');
  /** Slot → live record (undefined: a free slot, listed in `free`). */
  const records: Array<MessageRecord | undefined> = [];
  /** Slot → order key (NaN until assigned), and the Yjs id that wrote the record. */
  let keys = new Float64Array(1024);
  let clients = new Uint32Array(1024);
  let clocks = new Float64Array(1024);
  const free: number[] = [];
  /** Open addressing by message id: slot + 1 of the message's winning record, EMPTY or REMOVED. */
  let table = new Int32Array(1024);
  /** Cells in use (live + REMOVED), and live ones (= distinct messages). */
  let used = 0;
  let distinct = 0;
  /** Every live slot, in the order they were added, of each message with more than one live record. */
  const several = new Map<string, number[]>();
  /** The slots of those messages by Yjs id (client → clock → slot). */
  const copies = new Map<number, Map<number, number>>();
  const addCopy = (slot: number): void => {
    const client = clients[slot]!;
    let byClock = copies.get(client);
    if (!byClock) copies.set(client, (byClock = new Map()));
    byClock.set(clocks[slot]!, slot);
  };
  const dropCopy = (slot: number): void => {
    const byClock = copies.get(clients[slot]!);
    byClock?.delete(clocks[slot]!);
    if (byClock?.size === 0) copies.delete(clients[slot]!);
  };

  /** The table cell of `id`'s entry, or of the first free cell of its probe sequence (negated, minus one). */
  const cellOf = (id: string): number => {
    const mask = table.length - 1;
    let cell = hashOf(id) & mask;
    let firstRemoved = -1;
    for (;;) {
      const entry = table[cell]!;
      if (entry === EMPTY) return -1 - (firstRemoved === -1 ? cell : firstRemoved);
      if (entry === REMOVED) {
        if (firstRemoved === -1) firstRemoved = cell;
      } else if (records[entry - 1]!.id === id) return cell;
      cell = (cell + 1) & mask;
    }
  };

  /** The slot of `id`'s winning record, or -1. */
  const winnerOf = (id: string): number => {
    const cell = cellOf(id);
    return cell < 0 ? -1 : table[cell]! - 1;
  };

  /** Rebuilds the table at a size that keeps it at most half full (drops REMOVED cells). */
  const rehash = (): void => {
    let size = 1024;
    while (size < distinct * 4) size *= 2;
    const old = table;
    table = new Int32Array(size);
    used = 0;
    const mask = size - 1;
    for (const entry of old) {
      if (entry <= 0) continue;
      let cell = hashOf(records[entry - 1]!.id) & mask;
      while (table[cell] !== EMPTY) cell = (cell + 1) & mask;
      table[cell] = entry;
      used++;
    }
  };

  const grow = <T extends Float64Array | Uint32Array>(array: T, make: (length: number) => T): T => {
    const grown = make(array.length * 2);
    grown.set(array);
    return grown;
  };

  const allocate = (record: MessageRecord, client: number, clock: number): number => {
    const slot = free.length > 0 ? free.pop()! : records.length;
    if (slot === records.length) records.push(record);
    else records[slot] = record;
    if (slot >= keys.length) {
      keys = grow(keys, (n) => new Float64Array(n));
      clients = grow(clients, (n) => new Uint32Array(n));
      clocks = grow(clocks, (n) => new Float64Array(n));
    }
    keys[slot] = Number.NaN;
    clients[slot] = client;
    clocks[slot] = clock;
    return slot;
  };

  const release = (slot: number): void => {
    records[slot] = undefined;
    free.push(slot);
  };

  /** Indexes a live record written as (client, clock); returns its slot, or -1 for a record without a string id (not indexed). */
  const add = (record: MessageRecord, client: number, clock: number): number => {
    const id = (record as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return -1;
    const slot = allocate(record, client, clock);
    const cell = cellOf(id);
    if (cell < 0) {
      const at = -1 - cell;
      if (table[at] === EMPTY) used++;
      table[at] = slot + 1;
      distinct++;
      if (used * 2 > table.length) rehash();
      return slot;
    }
    const winner = table[cell]! - 1;
    let slots = several.get(id);
    if (!slots) {
      several.set(id, (slots = [winner]));
      addCopy(winner);
    }
    slots.push(slot);
    addCopy(slot);
    if (supersedes(record, records[winner]!)) table[cell] = slot + 1;
    return slot;
  };

  /** The slot of the record written as (client, clock), or -1 when it is not indexed. */
  const slotOf = (record: unknown, client: number, clock: number): number => {
    const id = (record as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return -1;
    if (several.has(id)) return copies.get(client)?.get(clock) ?? -1;
    const winner = winnerOf(id);
    return winner >= 0 && clients[winner] === client && clocks[winner] === clock ? winner : -1;
  };

  /** The slot of the record at a position in the array, or -1. */
  const at = ({ item, offset }: Position): number =>
    slotOf((item.content as Y.ContentAny).arr[offset], item.id.client, item.id.clock + offset);

  /** Removes records, each message's in one pass (a tombstone over many copies must not cost copies²). */
  const removeAll = (removed: Map<string, Set<number>>): void => {
    for (const [id, gone] of removed) {
      const cell = cellOf(id);
      if (cell < 0) continue;
      const slots = several.get(id);
      const kept = slots ? slots.filter((slot) => !gone.has(slot)) : gone.has(table[cell]! - 1) ? [] : [table[cell]! - 1];
      if (slots) for (const slot of gone) dropCopy(slot);
      for (const slot of gone) release(slot);
      if (kept.length === 1 && slots) dropCopy(kept[0]!);
      if (kept.length === 0) {
        several.delete(id);
        table[cell] = REMOVED;
        distinct--;
        continue;
      }
      if (kept.length === 1) several.delete(id);
      else several.set(id, kept);
      // Ties keep the earlier record (the order records were added in).
      const best = kept.reduce((winner, slot) => (supersedes(records[slot]!, records[winner]!) ? slot : winner));
      table[cell] = best + 1;
    }
  };

  /** Gives every live record a key equal to its position (O(n)): the start, and the rare renumbering. */
  const renumber = (): void => {
    let key = 0;
    for (let item = liveItem(messages._start, 1); item !== null; item = liveItem(item.right, 1)) {
      for (let offset = 0; offset < item.length; offset++) {
        const slot = at({ item, offset });
        if (slot >= 0) keys[slot] = key++;
      }
    }
  };

  /**
   * Keys for records new in a transaction (key NaN until assigned): each run of new records between two keyed
   * ones gets evenly spaced keys between theirs, so each new record is visited a bounded number of times.
   */
  const assignKeys = (fresh: Array<{ slot: number; position: Position }>): void => {
    for (const { slot, position } of fresh) {
      if (!Number.isNaN(keys[slot]!)) continue;
      // Walk left to the run's start (the nearest keyed record), then right collecting the run.
      let start: Position = position;
      let left: number | undefined;
      for (let p = neighbour(position, -1); p !== null; p = neighbour(p, -1)) {
        const other = at(p);
        if (other < 0) continue;
        if (!Number.isNaN(keys[other]!)) {
          left = keys[other]!;
          break;
        }
        start = p;
      }
      const run: number[] = [];
      let right: number | undefined;
      for (let p: Position | null = start; p !== null; p = neighbour(p, 1)) {
        const other = at(p);
        if (other < 0) continue;
        if (!Number.isNaN(keys[other]!)) {
          right = keys[other]!;
          break;
        }
        run.push(other);
      }
      const low = left ?? (right === undefined ? -1 : right - run.length - 1);
      const high = right ?? low + run.length + 1;
      const step = (high - low) / (run.length + 1);
      if (!(low + step > low && high - step < high)) {
        renumber(); // keys too close together: renumber everything (new records included)
        return;
      }
      run.forEach((other, i) => (keys[other] = low + step * (i + 1)));
    }
  };

  // The initial build: keys in array order.
  {
    let key = 0;
    for (const { record, client, clock } of locateRecords(messages)) {
      const slot = add(record, client, clock);
      if (slot >= 0) keys[slot] = key++;
    }
  }

  // Observers run before Yjs garbage-collects deleted content, so removed records can still be read. The
  // transaction's own ranges say what changed (transaction-items.ts): event.changes would walk the whole array.
  const onChange = (event: Y.YArrayEvent<MessageRecord>): void => {
    const { transaction } = event;
    const removed = new Map<string, Set<number>>();
    forEachDeletedItem(transaction, messages, (item, from, to) => {
      if (!(item.content instanceof Y.ContentAny)) return;
      for (let offset = from; offset < to; offset++) {
        const record = item.content.arr[offset] as MessageRecord;
        const slot = slotOf(record, item.id.client, item.id.clock + offset);
        if (slot < 0) continue;
        let gone = removed.get(record.id);
        if (!gone) removed.set(record.id, (gone = new Set()));
        gone.add(slot);
      }
    });
    removeAll(removed);
    const fresh: Array<{ slot: number; position: Position }> = [];
    forEachAddedItem(transaction, messages, (item) => {
      if (!(item.content instanceof Y.ContentAny)) return;
      item.content.arr.forEach((record, offset) => {
        const slot = add(record as MessageRecord, item.id.client, item.id.clock + offset);
        if (slot >= 0) fresh.push({ slot, position: { item, offset } });
      });
    });
    assignKeys(fresh);
  };
  messages.observe(onChange);

  return {
    get size() {
      return distinct;
    },
    get: (id) => {
      const winner = winnerOf(id);
      return winner < 0 ? undefined : records[winner];
    },
    recordCount: (id) => several.get(id)?.length ?? (winnerOf(id) >= 0 ? 1 : 0),
    compare(a, b) {
      const left = winnerOf(a);
      const right = winnerOf(b);
      if (left < 0 || right < 0) return (left >= 0 ? 1 : 0) - (right >= 0 ? 1 : 0);
      return Math.sign(keys[left]! - keys[right]!);
    },
    destroy: () => messages.unobserve(onChange),
  };
}
