// Hostile update shapes from issue 11, built byte by byte or through Yjs: shared by the guard-work tests and bench/guard-shapes-bench.ts.
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { MessageRecord } from '../../shared/schema.js';

/** Yjs content type number of ContentAny (update format v1). */
const CONTENT_ANY = 8;
const HAS_ORIGIN = 0x80;

/**
 * One update (format v1) of `n` structs from `client`, each its own struct whose origin is the previous
 * one, the first placed at the start of `parent`; struct `i` holds `valueOf(i)` as ContentAny. Yjs itself
 * would merge such runs into one item; a hostile client need not. `deletes` appends a delete set of this
 * client's clock ranges.
 */
export function chainedStructs(
  client: number,
  n: number,
  valueOf: (i: number) => unknown,
  { parent = 'messages', deletes = [] as Array<[number, number]> } = {},
): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1); // one client
  encoding.writeVarUint(e, n);
  encoding.writeVarUint(e, client);
  encoding.writeVarUint(e, 0); // first clock
  for (let i = 0; i < n; i++) {
    if (i === 0) {
      encoding.writeUint8(e, CONTENT_ANY);
      encoding.writeVarUint(e, 1); // parent is a root type, by name
      encoding.writeVarString(e, parent);
    } else {
      encoding.writeUint8(e, CONTENT_ANY | HAS_ORIGIN);
      encoding.writeVarUint(e, client);
      encoding.writeVarUint(e, i - 1);
    }
    encoding.writeVarUint(e, 1);
    encoding.writeAny(e, valueOf(i) as encoding.AnyEncodable);
  }
  encoding.writeVarUint(e, deletes.length > 0 ? 1 : 0);
  if (deletes.length > 0) {
    encoding.writeVarUint(e, client);
    encoding.writeVarUint(e, deletes.length);
    for (const [clock, len] of deletes) {
      encoding.writeVarUint(e, clock);
      encoding.writeVarUint(e, len);
    }
  }
  return encoding.toUint8Array(e);
}

/** A valid message record by `author`, numbered `i`. */
export const recordBy = (author: string, i: number, text = `message ${i}`): MessageRecord => ({
  id: `msg-${author}-${String(i).padStart(8, '0')}`,
  author,
  text,
  createdAt: 1_700_000_000_000 + i,
});

/** A room document holding `count` messages by `author`, written in batches like many sessions would. */
export function roomWith(count: number, author = 'host'): Y.Doc {
  const doc = new Y.Doc();
  const messages = doc.getArray<MessageRecord>('messages');
  for (let start = 0; start < count; start += 1000) {
    const batch: MessageRecord[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) batch.push(recordBy(author, i));
    messages.push(batch);
  }
  return doc;
}

/** What `change` does to a replica of `room`, as one update (the replica writes with `clientID`). */
export function updateFrom(room: Y.Doc, change: (doc: Y.Doc) => void, clientID?: number): Uint8Array {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(room));
  if (clientID !== undefined) replica.clientID = clientID;
  const before = Y.encodeStateVector(replica);
  change(replica);
  return Y.encodeStateAsUpdate(replica, before);
}

/** A replica of `room` writing with `clientID`: `write` returns what each change adds, as one update (cheaper than `updateFrom` per write). */
export function replicaOf(room: Y.Doc, clientID: number): { doc: Y.Doc; write(change: (doc: Y.Doc) => void): Uint8Array } {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(room));
  doc.clientID = clientID;
  return {
    doc,
    write(change) {
      const before = Y.encodeStateVector(doc);
      change(doc);
      return Y.encodeStateAsUpdate(doc, before);
    },
  };
}
