// A catch-up (the answer to a sync step 1) produced lazily in bounded pieces, each applicable on arrival.
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import type { ID } from 'yjs';
import { SyncStep, encodeSyncUpdate } from './protocol-messages.js';
import type { RelayLimits } from './options.js';

/**
 * Largest catch-up sent whole: 8 MiB, or half the send budget when that is smaller (one such frame may sit in
 * a slow reader's socket buffer), never less than a piece.
 */
export const wholeCatchUpBytes = (limits: RelayLimits): number =>
  Math.max(limits.maxSyncFrameBytes, Math.min(8 * 1024 * 1024, Math.floor(limits.maxBufferedBytes / 2)));

/*
 * Why pieces, and why in this order. The whole answer to a step 1 can be as large as the room (100 MiB and
 * more); encoding it at once holds a copy per request and writes it to the socket faster than a slow client
 * reads. Here the missing structs are walked in clock order per writer and cut into Yjs v1 updates of about
 * `pieceBytes`, produced only when the socket has drained (see send-queue.ts). Each struct goes out only
 * after the structs it refers to (its origin, right origin or parent item) went out in this or an earlier
 * piece, so the receiver integrates every piece at once: nothing waits as Yjs "pending structs", which a
 * receiver re-merges on every later update (quadratic for a split catch-up). The delete set rides on the
 * last piece. The walk reads the live document each time, by clock: structs merged or split in between are
 * found again by clock, and anything written meanwhile reaches the peer as a live update anyway.
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

/** Above this many structs in the document, a whole catch-up is not even tried (its encoding would be wasted work). */
const WHOLE_MAX_STRUCTS = 1_000_000;

/**
 * Yields sync frames (each an `update`, the last one a `step 2`) that together bring a peer at
 * `peerStateVector` up to the document's state when the walk started. A catch-up of at most `wholeBytes`
 * goes as one step 2 (Yjs encodes it 3–5× faster than the walk below; the receiver's cost is the same),
 * so only large ones are cut. Pieces are at most `pieceBytes` of
 * structs (plus the delete set on the last), except a single struct larger than that. Work is linear in the structs sent (plus a binary search
 * per struct), memory is one piece.
 */
export function* catchUpFrames(
  doc: Y.Doc,
  peerStateVector: Uint8Array,
  pieceBytes: number,
  wholeBytes = pieceBytes,
): Generator<Uint8Array, void, undefined> {
  let structs = 0;
  for (const list of doc.store.clients.values()) structs += list.length;
  if (structs <= WHOLE_MAX_STRUCTS) {
    const whole = Y.encodeStateAsUpdate(doc, peerStateVector);
    // Too large: dropped at once (one such buffer exists at a time: pieces are produced synchronously).
    if (whole.byteLength <= wholeBytes) {
      yield encodeSyncUpdate(whole, SyncStep.step2);
      return;
    }
  }
  const has = Y.decodeStateVector(peerStateVector);
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
      yield encodeSyncUpdate(encoding.toUint8Array(encoder), SyncStep.update);
      continue;
    }
    // The delete set of the whole document: an update with no structs (one byte: 0 writers) and then the set.
    const deletions = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(doc));
    if (deletions[0] === 0) {
      encoding.writeUint8Array(encoder, deletions.subarray(1));
      yield encodeSyncUpdate(encoding.toUint8Array(encoder), SyncStep.step2);
      return;
    }
    // The document holds pending structs of its own (merged into that update by Yjs): send it whole, last.
    encoding.writeVarUint(encoder, 0);
    if (piece.size > 0) yield encodeSyncUpdate(encoding.toUint8Array(encoder), SyncStep.update);
    yield encodeSyncUpdate(deletions, SyncStep.step2);
    return;
  }
}
