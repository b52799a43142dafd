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
}

const cache = new WeakMap<Y.Doc, CacheEntry>();

const entryOf = (doc: Y.Doc): CacheEntry => {
  let entry = cache.get(doc);
  if (!entry) {
    const fresh: CacheEntry = { log: null, changes: 0 };
    const messages = doc.getArray('messages');
    // Before any observer of that transaction runs (an observer may write, and read the log, in a new one).
    doc.on('beforeObserverCalls', (transaction: Y.Transaction) => {
      if (!transaction.changed.has(messages)) return;
      fresh.log = null;
      fresh.changes++;
    });
    cache.set(doc, fresh);
    entry = fresh;
  }
  return entry;
};

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
