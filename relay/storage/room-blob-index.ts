// Cluster mode: each loaded room's blob index (which blobs are stored for it, as of the log position applied), and the snapshot format that carries it.
import type * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/*
 * The write guard refuses an attachment naming a blob that is not stored for the room. In cluster mode
 * every instance must give that answer identically for every update, in log order, so it cannot ask the
 * blob store (a blob may be committed in PostgreSQL while an instance is still applying older entries).
 * Instead an upload's completion is announced in the room's log (`blob` entry, room-entry.ts) after the
 * bytes are committed, a collection as `blob-gone`, and every instance keeps this index from the log:
 *
 *   index(position) = index in the snapshot at or before it + blob / blob-gone entries up to it
 *
 * A snapshot therefore carries the index as of its position (its announcements are trimmed with the log):
 *
 *   snapshot := MAGIC • varUint8Array(yjs state) • varUint(n) • (varString(id) • varUint(size) • varString(type))ⁿ
 *
 * A snapshot without MAGIC is a bare Yjs state (written before blobs were announced) with an empty index.
 */

/** What the guard needs of a blob the room has. */
export interface IndexedBlob {
  size: number;
  type: string;
}

/** Blob id → size and type, for one room. */
export type BlobIndex = Map<string, IndexedBlob>;

const MAGIC = new Uint8Array([0x00, 0x50, 0x52, 0x4c, 0x59, 0x53, 0x42, 0x31]); // \0PRLYSB1

/** Each loaded cluster room's index, by its document (the guard is handed the document). */
const indexes = new WeakMap<Y.Doc, BlobIndex>();

/** The index of the room whose document is `doc` (cluster mode), or undefined (disk mode or not loaded). */
export const blobIndexOf = (doc: Y.Doc): BlobIndex | undefined => indexes.get(doc);

/** Attaches `index` to a room's document. */
export const attachBlobIndex = (doc: Y.Doc, index: BlobIndex): void => {
  indexes.set(doc, index);
};

/** Encodes a cluster snapshot: the document state and the blob index as of the same position. */
export const encodeClusterSnapshot = (state: Uint8Array, index: BlobIndex): Uint8Array => {
  const e = encoding.createEncoder();
  encoding.writeUint8Array(e, MAGIC);
  encoding.writeVarUint8Array(e, state);
  encoding.writeVarUint(e, index.size);
  for (const [id, blob] of index) {
    encoding.writeVarString(e, id);
    encoding.writeVarUint(e, blob.size);
    encoding.writeVarString(e, blob.type);
  }
  return encoding.toUint8Array(e);
};

/** Decodes a cluster snapshot (or a bare Yjs state, with an empty index). Throws on a malformed one. */
export const decodeClusterSnapshot = (data: Uint8Array): { state: Uint8Array; index: BlobIndex } => {
  const index: BlobIndex = new Map();
  if (data.byteLength < MAGIC.byteLength || !MAGIC.every((byte, i) => data[i] === byte)) return { state: data, index };
  const d = decoding.createDecoder(data.subarray(MAGIC.byteLength));
  const state = decoding.readVarUint8Array(d);
  const count = decoding.readVarUint(d);
  for (let i = 0; i < count; i++) {
    const id = decoding.readVarString(d);
    const size = decoding.readVarUint(d);
    index.set(id, { size, type: decoding.readVarString(d) });
  }
  return { state, index };
};
