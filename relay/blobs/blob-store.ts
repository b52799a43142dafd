// The blob store seam: policy-free storage of a conversation's files by content id (local disk today; PostgreSQL or an object store later).
import type { Readable } from 'node:stream';

/** What the store keeps beside each blob's bytes. */
export interface BlobInfo {
  /** Lower-case hex SHA-256 of the bytes. */
  id: string;
  size: number;
  /** Media type sniffed from the bytes by the relay (`application/octet-stream` when unknown). */
  type: string;
  /** When it was first stored (ms since epoch). */
  createdAt: number;
  /** The user (token `sub`) whose upload stored it: charged against their quota. */
  uploader: string;
}

/** Inclusive byte range, already validated against the blob's size. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A blob store failure the caller can show (e.g. a hash that does not match); anything else is internal. */
export class BlobStoreError extends Error {
  override name = 'BlobStoreError';
  constructor(readonly code: 'hash-mismatch' | 'size-mismatch' | 'not-found', message: string) {
    super(message);
  }
}

/**
 * Storage for blobs, grouped by room. No policy lives here (limits, quotas, who may read, when to
 * collect): that is blob-service.ts, once, above every backend. Room names and ids reaching a store are
 * already validated (`isValidRoomName`, `isBlobId`); a store still refuses others rather than build a path.
 */
export interface BlobStore {
  /**
   * Stores `source` under `info.id` in `room`, computing SHA-256 while streaming; rejects with a
   * `BlobStoreError('hash-mismatch')` (and stores nothing) when the bytes do not hash to `info.id` or do not
   * have `info.size` bytes. Storing a blob the room already has is a no-op that still consumes `source`.
   */
  put(room: string, info: BlobInfo, source: Readable): Promise<void>;
  /** The bytes of a blob (a range of them when given), or undefined when the room has no such blob. */
  get(room: string, id: string, range?: ByteRange): Promise<Readable | undefined>;
  /** A blob's info, or undefined. */
  stat(room: string, id: string): Promise<BlobInfo | undefined>;
  /**
   * The blob's info when the room has it, answered synchronously: the write guard asks for every attachment
   * of an incoming message and must not reorder updates. Backends without a local answer keep an index.
   */
  peek(room: string, id: string): BlobInfo | undefined;
  /** Every blob of `room`, or of every room when `room` is undefined. */
  list(room?: string): AsyncIterable<{ room: string; info: BlobInfo }>;
  /** Removes one blob, or every blob of the room when `id` is undefined. Missing ones are not an error. */
  remove(room: string, id?: string): Promise<void>;
}
