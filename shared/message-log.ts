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
  /** Ordinal among distinct messages (0 = oldest). */
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

/** Which of two records of one message wins: tombstones first, then the latest edit; ties keep array order. */
const wins = (candidate: MessageRecord, current: MessageRecord): boolean => {
  if (current.deleted) return false;
  if (candidate.deleted) return true;
  return (candidate.editedAt ?? 0) > (current.editedAt ?? 0);
};

/** Resolves the conversation: O(n) in records. Records that are not well-formed objects are skipped. */
export function readMessageLog(doc: Y.Doc): MessageLog {
  const list: ResolvedMessage[] = [];
  const byId = new Map<string, ResolvedMessage>();
  for (const located of locateRecords(doc.getArray<MessageRecord>('messages'))) {
    const id = located.record?.id;
    if (typeof id !== 'string') continue;
    const known = byId.get(id);
    if (known) {
      known.records.push(located);
      if (wins(located.record, known.current.record)) known.current = located;
      continue;
    }
    const resolved: ResolvedMessage = { current: located, records: [located], position: list.length };
    list.push(resolved);
    byId.set(id, resolved);
  }
  return {
    list,
    byId,
    get: (id) => byId.get(id)?.current.record,
    compare: (a, b) => (byId.get(a)?.position ?? -1) - (byId.get(b)?.position ?? -1),
  };
}
