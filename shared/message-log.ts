// Reads the `messages` array into resolved messages: one per id, in conversation order, edits and tombstones applied.
import * as Y from 'yjs';
import type { MessageLookup } from './rules.js';
import type { MessageRecord } from './schema.js';

/** Where one record sits: its index in the array and the Yjs id (client, clock) that wrote it. */
export interface LocatedRecord {
  record: MessageRecord;
  index: number;
  client: number;
  clock: number;
}

/** A message as the conversation shows it, with the records it was resolved from. */
export interface ResolvedMessage {
  /** The winning record: a tombstone if any, else the latest edit, else the original. */
  current: LocatedRecord;
  /** Every live record with this id, in array order (more than one only after concurrent edits or a re-send). */
  records: LocatedRecord[];
  /** Ordinal among distinct messages (0 = oldest), by where the winning record sits. */
  position: number;
}

export interface MessageLog extends MessageLookup {
  list: ResolvedMessage[];
  byId: Map<string, ResolvedMessage>;
  /**
   * Set when this log was patched from `from` (the log before one transaction): the positions whose message
   * changed in place (`replaced`, a new ResolvedMessage there) and the positions from `appended` on, new. A log
   * built from scratch has none, and a log forgets it a few patches later. `from` must then be treated as stale
   * (its `byId` is shared and moved on). Positions never move in a patch, so patches chain.
   */
  patch?: { from: MessageLog; replaced: number[]; appended: number };
}

/** Live records of the `messages` array in order, with their Yjs ids (walks the items, no copies). */
export function* locateRecords(messages: Y.Array<MessageRecord>): Generator<LocatedRecord> {
  let index = 0;
  for (let item = messages._start; item !== null; item = item.right) {
    if (item.deleted || !item.countable) continue;
    const content = item.content;
    if (!(content instanceof Y.ContentAny)) {
      index += item.length;
      continue;
    }
    for (let offset = 0; offset < content.arr.length; offset++) {
      yield { record: content.arr[offset] as MessageRecord, index: index++, client: item.id.client, clock: item.id.clock + offset };
    }
  }
}

/** Whether `candidate` beats `current` as a message's record: a tombstone first, then the latest edit; ties keep the earlier. */
export const supersedes = (candidate: MessageRecord, current: MessageRecord): boolean =>
  !current.deleted && (candidate.deleted === true || (candidate.editedAt ?? 0) > (current.editedAt ?? 0));

/** A document's cached log, and a count of the changes to its `messages` array (a stepwise build checks it). */
interface CacheEntry {
  log: MessageLog | null;
  changes: number;
  /** Patch the log per transaction instead of dropping it (`patchMessageLogs`). */
  patch: boolean;
}

const cache = new WeakMap<Y.Doc, CacheEntry>();

const entryOf = (doc: Y.Doc): CacheEntry => {
  let entry = cache.get(doc);
  if (!entry) {
    const fresh: CacheEntry = { log: null, changes: 0, patch: false };
    const messages = doc.getArray('messages');
    // Before any observer of that transaction runs (an observer may write, and read the log, in a new one).
    doc.on('beforeObserverCalls', (transaction: Y.Transaction) => {
      if (!transaction.changed.has(messages)) return;
      // The common changes (a message added at the end, a message edited or deleted in place) patch the log in
      // time linear in what the transaction touched; anything else rebuilds it on the next read.
      fresh.log = fresh.log && fresh.patch ? patchMessageLog(fresh.log, transaction, messages as Y.Array<MessageRecord>) : null;
      fresh.changes++;
    });
    cache.set(doc, fresh);
    entry = fresh;
  }
  return entry;
};

/**
 * Keeps `doc`'s cached log across changes, patched per transaction (see `patchMessageLog`), instead of dropping
 * it at each change: for a reader that reads it after every change (a client's views). A reader that reads it
 * now and then (the relay's HTTP export) leaves this off, so the log is not kept alive between reads.
 */
export function patchMessageLogs(doc: Y.Doc): void {
  entryOf(doc).patch = true;
}

/**
 * The resolved conversation, cached per document until its `messages` array changes, so that a run of
 * queries and receipt writes does not re-read a long history each time. Treat the result as read-only.
 */
export function readMessageLog(doc: Y.Doc): MessageLog {
  const entry = entryOf(doc);
  const transaction = doc._transaction;
  if (transaction !== null) {
    // Inside a transaction, observers have not run yet: the cached log is stale once this transaction changed the
    // array (records are plain values: no nested types), and is kept only if it was there before.
    const messages = doc.getArray('messages');
    if (entry.log && !transaction.changed.has(messages) && !transaction.changedParentTypes.has(messages)) return entry.log;
    return buildMessageLog(doc);
  }
  return (entry.log ??= buildMessageLog(doc));
}

/**
 * Builds and caches the log like `readMessageLog`, `slice` records at a time, awaiting `pause()` between slices
 * (a client loading a long history keeps its page responsive). When the array changes during a pause, the walk
 * (which follows the live items) is not resumed: the log is built at once instead.
 */
export async function readMessageLogInSteps(doc: Y.Doc, pause: () => Promise<void>, slice = 10_000): Promise<MessageLog> {
  const entry = entryOf(doc);
  if (entry.log) return entry.log;
  const changes = entry.changes;
  const steps = messageLogSteps(doc, slice);
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) {
      if (entry.changes === changes && doc._transaction === null) entry.log ??= step.value;
      return readMessageLog(doc);
    }
    await pause();
    if (entry.changes !== changes || doc._transaction !== null) return readMessageLog(doc);
  }
}

/**
 * Resolves the conversation: O(n) in records. A message sits where its winning record sits (an edit
 * replaces the record in place), which the relay can compare without a full scan. Records that are
 * not well-formed objects are skipped.
 */
function buildMessageLog(doc: Y.Doc): MessageLog {
  const steps = messageLogSteps(doc, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** `buildMessageLog`, pausing (yielding) after every `slice` records of each pass. */
function* messageLogSteps(doc: Y.Doc, slice: number): Generator<void, MessageLog, undefined> {
  const located: LocatedRecord[] = [];
  let done = 0;
  for (const record of locateRecords(doc.getArray<MessageRecord>('messages'))) {
    if (typeof record.record?.id === 'string') located.push(record);
    if (++done % slice === 0) yield;
  }
  const byId = new Map<string, ResolvedMessage>();
  for (const record of located) {
    const known = byId.get(record.record.id);
    if (!known) byId.set(record.record.id, { current: record, records: [record], position: -1 });
    else {
      known.records.push(record);
      if (supersedes(record.record, known.current.record)) known.current = record;
    }
    if (++done % slice === 0) yield;
  }
  const list: ResolvedMessage[] = [];
  for (const record of located) {
    const resolved = byId.get(record.record.id)!;
    if (++done % slice === 0) yield;
    if (resolved.current !== record) continue;
    resolved.position = list.length;
    list.push(resolved);
  }
  return {
    list,
    byId,
    get: (id) => byId.get(id)?.current.record,
    compare: (a, b) => (byId.get(a)?.position ?? -1) - (byId.get(b)?.position ?? -1),
  };
}

/** Left-walk steps over deleted items a patch may take before rebuilding is the simpler choice. */
const PATCH_WALK_BUDGET = 10_000;
/** Inserted or deleted items a patch handles; more (a catch-up) rebuild the log once. */
const PATCH_ITEMS_MAX = 256;

/** How many patches back a log remembers (each holds its list): enough for a few changes between two reads. */
const PATCH_CHAIN = 4;

const logOf = (list: ResolvedMessage[], byId: Map<string, ResolvedMessage>, patch?: MessageLog['patch']): MessageLog => {
  const log: MessageLog = {
    list,
    byId,
    get: (id) => byId.get(id)?.current.record,
    compare: (a, b) => (byId.get(a)?.position ?? -1) - (byId.get(b)?.position ?? -1),
    ...(patch ? { patch } : {}),
  };
  // Forget older logs so that the chain (and the lists it holds) stays short.
  let ancestor: MessageLog = log;
  for (let depth = 0; depth < PATCH_CHAIN && ancestor.patch; depth++) ancestor = ancestor.patch.from;
  delete ancestor.patch;
  return log;
};

const validId = (record: unknown): record is MessageRecord => typeof (record as MessageRecord | undefined)?.id === 'string';

/**
 * The log after `transaction`, patched from `log` (the log before it), or null when the change is not one of
 * the shapes handled here: records appended at the end with new ids (a message sent or received), or each
 * deleted record replaced at its own index by one new record with the same id (an edit or a deletion of a
 * message that had one record, as `replaceRecords` writes them). Everything else (concurrent inserts in the
 * middle, several records per id, other content) returns null, and the log is rebuilt: always correct, O(n).
 * Called before the transaction's observers, while deleted items still hold their content.
 */
export function patchMessageLog(log: MessageLog, transaction: Y.Transaction, messages: Y.Array<MessageRecord>): MessageLog | null {
  const doc = transaction.doc;
  const inserted: Y.Item[] = [];
  for (const [client, after] of transaction.afterState) {
    const before = transaction.beforeState.get(client) ?? 0;
    if (after <= before) continue;
    const structs = doc.store.clients.get(client);
    if (!structs) continue;
    for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
      const struct = structs[i]!;
      if (struct.id.clock >= after) break;
      if (!(struct instanceof Y.Item) || struct.parent !== messages || struct.deleted) continue;
      if (!(struct.content instanceof Y.ContentAny) || struct.id.clock < before) return null;
      inserted.push(struct);
      if (inserted.length > PATCH_ITEMS_MAX) return null;
    }
  }
  /** The located record of an old item's record at `offset` (its index is the old one). */
  const locate = (item: Y.Item, offset: number): LocatedRecord | undefined => {
    const record = (item.content as Y.ContentAny).arr[offset];
    return validId(record) ? log.byId.get(record.id)?.records.find((r) => r.client === item.id.client && r.clock === item.id.clock + offset) : undefined;
  };
  /** Deleted records that were in the log, with their located record. */
  const deleted: LocatedRecord[] = [];
  let unhandled = false;
  Y.iterateDeletedStructs(transaction, transaction.deleteSet, (struct) => {
    if (unhandled || !(struct instanceof Y.Item) || struct.parent !== messages) return;
    // Inserted and deleted within this transaction: never in the log.
    if (struct.id.clock >= (transaction.beforeState.get(struct.id.client) ?? 0)) return;
    if (!(struct.content instanceof Y.ContentAny) || deleted.length + struct.length > PATCH_ITEMS_MAX) {
      unhandled = true;
      return;
    }
    for (let offset = 0; offset < struct.length; offset++) {
      const located = locate(struct, offset);
      if (located) deleted.push(located);
      else unhandled = true;
    }
  });
  if (unhandled || (inserted.length === 0 && deleted.length === 0)) return null;

  // The new index of each inserted item: one past its live left neighbour's, which is either an old record (its
  // index unchanged: every change left of it is checked to be in place) or another inserted item.
  const newIndex = new Map<Y.Item, number>();
  const insertedSet = new Set(inserted);
  let budget = PATCH_WALK_BUDGET;
  const indexOf = (item: Y.Item): number | null => {
    // Walk left to an anchor whose index is known: the start, an inserted item already placed, or an old record.
    const chain: Y.Item[] = [];
    let index: number; // the anchor's last index (-1: the start)
    for (let current = item; ;) {
      chain.push(current);
      let left = current.left;
      while (left !== null && (left.deleted || !left.countable)) {
        if (--budget < 0) return null;
        left = left.left;
      }
      if (left === null) {
        index = -1;
        break;
      }
      const placed = newIndex.get(left);
      if (placed !== undefined) {
        index = placed + left.length - 1;
        break;
      }
      if (insertedSet.has(left)) {
        current = left;
        continue;
      }
      const anchor = left.content instanceof Y.ContentAny ? locate(left, left.length - 1) : undefined;
      if (!anchor) return null;
      index = anchor.index;
      break;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const current = chain[i]!;
      newIndex.set(current, index + 1);
      index += current.length;
    }
    return newIndex.get(item)!;
  };
  const added: LocatedRecord[] = [];
  for (const item of inserted) {
    const start = indexOf(item);
    if (start === null) return null;
    (item.content as Y.ContentAny).arr.forEach((record, offset) => {
      added.push({ record: record as MessageRecord, index: start + offset, client: item.id.client, clock: item.id.clock + offset });
    });
  }
  added.sort((a, b) => a.index - b.index);

  if (deleted.length === 0) {
    // Appended at the end: every new record lies past the old array's end, with an id not seen before.
    const oldLength = messages.length - added.length;
    if (added[0] !== undefined && added[0].index < oldLength) return null;
    const list = log.list.slice();
    const appended = list.length;
    for (const located of added) {
      if (!validId(located.record)) continue;
      if (log.byId.has(located.record.id)) return null;
      const resolved: ResolvedMessage = { current: located, records: [located], position: list.length };
      list.push(resolved);
      log.byId.set(located.record.id, resolved);
    }
    return logOf(list, log.byId, { from: log, replaced: [], appended });
  }

  // Replaced in place: one new record per deleted one, same id, same index, for messages of one record.
  if (added.length !== deleted.length) return null;
  const byIndex = new Map(deleted.map((r) => [r.index, r]));
  const replacements: Array<{ resolved: ResolvedMessage; located: LocatedRecord }> = [];
  for (const located of added) {
    const old = byIndex.get(located.index);
    if (!old || !validId(located.record) || located.record.id !== old.record.id) return null;
    const resolved = log.byId.get(old.record.id);
    if (!resolved || resolved.records.length !== 1 || resolved.records[0] !== old) return null;
    replacements.push({ resolved, located });
  }
  const list = log.list.slice();
  const replaced: number[] = [];
  for (const { resolved, located } of replacements) {
    const next: ResolvedMessage = { current: located, records: [located], position: resolved.position };
    list[resolved.position] = next;
    log.byId.set(located.record.id, next);
    replaced.push(resolved.position);
  }
  return logOf(list, log.byId, { from: log, replaced, appended: list.length });
}
