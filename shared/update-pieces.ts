// Cuts a Yjs document's state into causal pieces of bounded size, each applicable on its own in order (relay catch-up, client cache).
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import type { ID } from 'yjs';

/*
 * Why pieces, and why in this order. A whole state can be as large as the room (100 MiB and more): the relay
 * encoding it at once for a catch-up holds a copy per request and writes faster than a slow client reads; a
 * client applying it at once from its cache blocks the page for as long. Here the structs are walked in clock
 * order per writer and cut into Yjs v1 updates of about `pieceBytes`, produced one at a time (the relay when
 * its socket has drained, relay/send-queue.ts; the client between tasks, client/piece-store.ts). Each struct
 * goes out only after the structs it refers to (its origin, right origin or parent item) went out in this or
 * an earlier piece, so the receiver integrates every piece at once: nothing waits as Yjs "pending structs",
 * which a receiver re-merges on every later update (quadratic for a split state). The delete set rides on the
 * last piece. The walk reads the live document each time, by clock: structs merged or split in between are
 * found again by clock, and anything written meanwhile travels on its own (a live update, a stored update).
 */

type Struct = Y.Item | Y.GC;

/** Where a struct's references point (the structs the receiver must have before it). */
const dependenciesOf = (struct: Struct, offset: number): (ID | null)[] => {
  if (!(struct instanceof Y.Item)) return [];
  // A struct written from an offset refers to its own writer's previous clock, which the receiver has.
  const origin = offset > 0 ? null : struct.origin;
  const parentItem = (struct.parent as { _item?: Y.Item | null } | null)?._item ?? null;
  return [origin, struct.rightOrigin, struct.origin === null && struct.rightOrigin === null && parentItem ? parentItem.id : null];
};

/** One piece: a Yjs v1 update; the last one carries the delete set. */
export interface UpdatePiece {
  update: Uint8Array;
  last: boolean;
}

/**
 * Yields the structs `doc` has beyond `fromStateVector` as Yjs v1 updates of at most `pieceBytes` of structs
 * (except a single struct larger than that), each one's references in it or in an earlier one, the last one
 * with the document's delete set. Work is linear in the structs cut (plus a binary search per struct), memory
 * is one piece. Between two pieces the caller may change the document (see above).
 */
export function* updatePieces(doc: Y.Doc, fromStateVector: Uint8Array, pieceBytes: number): Generator<UpdatePiece, void, undefined> {
  const has = Y.decodeStateVector(fromStateVector);
  /** Clock up to which each writer has been sent (or the peer had it). */
  const sent = new Map<number, number>();
  /** Clock each writer must reach (the document's state now). */
  const target = Y.decodeStateVector(Y.encodeStateVector(doc));
  const writers: number[] = [];
  for (const [client, clock] of target) {
    const from = has.get(client) ?? 0;
    sent.set(client, from);
    if (clock > from) writers.push(client);
  }
  /** Writers whose structs are needed first, most urgent last. */
  const stack: number[] = [];
  let next = 0;
  const structsOf = (client: number) => doc.store.clients.get(client) as Struct[] | undefined;
  const satisfied = (id: ID | null): boolean => {
    if (id === null) return true;
    const reach = sent.get(id.client);
    // A reference beyond what the document holds cannot be served from here: the peer waits for it as usual.
    if (reach === undefined) return true;
    return id.clock < reach || id.clock >= (doc.store.clients.get(id.client) ? Y.getState(doc.store, id.client) : 0);
  };

  for (;;) {
    /** This piece's structs per writer: where they start, how many, their encoding. */
    const piece = new Map<number, { start: number; count: number; encoder: encoding.Encoder }>();
    let bytes = 0;
    let done = false;
    while (bytes < pieceBytes) {
      while (next < writers.length && stack.length === 0 && sent.get(writers[next]!)! >= target.get(writers[next]!)!) next++;
      const client = stack.length > 0 ? stack[stack.length - 1]! : writers[next];
      if (client === undefined) {
        done = true;
        break;
      }
      const structs = structsOf(client);
      const clock = sent.get(client)!;
      if (!structs || clock >= Y.getState(doc.store, client)) {
        // Nothing (more) to send for this writer (a dependency that was already covered).
        if (stack.length > 0) stack.pop();
        else next++;
        continue;
      }
      const struct = structs[Y.findIndexSS(structs, clock)]!;
      const offset = clock - struct.id.clock;
      const missing = dependenciesOf(struct, offset).find((id) => !satisfied(id));
      if (missing && !stack.includes(missing.client) && missing.client !== client) {
        stack.push(missing.client);
        continue;
      }
      const scratch = new Y.UpdateEncoderV1();
      struct.write(scratch, offset);
      const encoded = encoding.toUint8Array(scratch.restEncoder);
      // A struct that would carry the piece past its budget starts the next one (unless it is alone).
      if (bytes > 0 && bytes + encoded.byteLength > pieceBytes) break;
      let part = piece.get(client);
      if (!part) {
        part = { start: clock, count: 0, encoder: encoding.createEncoder() };
        piece.set(client, part);
      }
      encoding.writeUint8Array(part.encoder, encoded);
      bytes += encoded.byteLength;
      part.count++;
      sent.set(client, struct.id.clock + struct.length);
      // Back to whoever needed this writer: it re-checks its struct's references.
      if (stack.length > 0 && stack[stack.length - 1] === client) stack.pop();
    }
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, piece.size);
    for (const [client, part] of piece) {
      encoding.writeVarUint(encoder, part.count);
      encoding.writeVarUint(encoder, client);
      encoding.writeVarUint(encoder, part.start);
      encoding.writeUint8Array(encoder, encoding.toUint8Array(part.encoder));
    }
    if (!done) {
      encoding.writeVarUint(encoder, 0); // no deletions in this piece
      yield { update: encoding.toUint8Array(encoder), last: false };
      continue;
    }
    // The delete set of the whole document: an update with no structs (one byte: 0 writers) and then the set.
    const deletions = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc));
    if (deletions[0] === 0) {
      encoding.writeUint8Array(encoder, deletions.subarray(1));
      yield { update: encoding.toUint8Array(encoder), last: true };
      return;
    }
    // The document holds pending structs of its own (merged into that update by Yjs): send it whole, last.
    encoding.writeVarUint(encoder, 0);
    if (piece.size > 0) yield { update: encoding.toUint8Array(encoder), last: false };
    yield { update: deletions, last: true };
    return;
  }
}
