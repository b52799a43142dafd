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

const cache = new WeakMap<Y.Doc, { log: MessageLog | null }>();

/**
 * The resolved conversation, cached per document until its `messages` array changes, so that a run of
 * queries and receipt writes does not re-read a long history each time. Treat the result as read-only.
 */
export function readMessageLog(doc: Y.Doc): MessageLog {
  // Inside a transaction, observers have not run yet: a cached log could be stale.
  if (doc._transaction !== null) return buildMessageLog(doc);
  let entry = cache.get(doc);
  if (!entry) {
    const fresh: { log: MessageLog | null } = { log: null };
    doc.getArray('messages').observe(() => {
      fresh.log = null;
    });
    cache.set(doc, fresh);
    entry = fresh;
  }
  return (entry.log ??= buildMessageLog(doc));
}

/**
 * Resolves the conversation: O(n) in records. A message sits where its winning record sits (an edit
 * replaces the record in place), which the relay can compare without a full scan. Records that are
 * not well-formed objects are skipped.
 */
function buildMessageLog(doc: Y.Doc): MessageLog {
  const located = [...locateRecords(doc.getArray<MessageRecord>('messages'))].filter((r) => typeof r.record?.id === 'string');
  const byId = new Map<string, ResolvedMessage>();
  for (const record of located) {
    const known = byId.get(record.record.id);
    if (!known) byId.set(record.record.id, { current: record, records: [record], position: -1 });
    else {
      known.records.push(record);
      if (supersedes(record.record, known.current.record)) known.current = record;
    }
  }
  const list: ResolvedMessage[] = [];
  for (const record of located) {
    const resolved = byId.get(record.record.id)!;
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
