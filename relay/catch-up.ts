// A catch-up (the answer to a sync step 1) produced lazily in bounded pieces, each applicable on arrival.
import * as Y from 'yjs';
import { updatePieces, type UpdatePiece } from '../shared/update-pieces.js';
import { SyncStep, encodeSyncUpdate } from './protocol-messages.js';
import type { RelayLimits } from './options.js';

/**
 * Largest catch-up sent whole: 8 MiB, or half the send budget when that is smaller (one such frame may sit in
 * a slow reader's socket buffer), never less than a piece.
 */
export const wholeCatchUpBytes = (limits: RelayLimits): number =>
  Math.max(limits.maxSyncFrameBytes, Math.min(8 * 1024 * 1024, Math.floor(limits.maxBufferedBytes / 2)));

/** Above this many structs in the document, a whole catch-up is not even tried (its encoding would be wasted work). */
const WHOLE_MAX_STRUCTS = 1_000_000;

/**
 * Yields sync frames (each an `update`, the last one a `step 2`) that together bring a peer at
 * `peerStateVector` up to the document's state when the walk started. A catch-up of at most `wholeBytes`
 * goes as one step 2 (Yjs encodes it 3–5× faster than the walk; the receiver's cost is the same), so only
 * large ones are cut, by shared/update-pieces.ts (causal pieces of at most `pieceBytes` of structs, the
 * delete set on the last). Memory is one piece.
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
  const pieces = updatePieces(doc, peerStateVector, pieceBytes);
  for (;;) {
    let piece: IteratorResult<UpdatePiece, void> | undefined = pieces.next();
    if (piece.done) return;
    const frame = encodeSyncUpdate(piece.value.update, piece.value.last ? SyncStep.step2 : SyncStep.update);
    // Only the frame stays alive while this waits for the socket to drain, not the piece it was framed from.
    piece = undefined;
    yield frame;
  }
}
