// The storage seam: how a room's document is loaded and persisted (disk today, a shared store later).

/** What a store returns for a room: updates that, applied in order, rebuild the document. */
export interface LoadedRoom {
  /** Updates (Yjs v1) to apply in order: usually one snapshot followed by the log's updates. Empty for a new room. */
  updates: Uint8Array[];
  /** Bytes of log written since the last compaction, so the caller can decide when to compact. */
  logBytes: number;
}

/**
 * Persists rooms, in the manner of Hocuspocus's load/store hooks. Every method may be called for any valid
 * room name; implementations must never derive a path or key from an unchecked name.
 * Calls for one room are issued by one relay instance and must take effect in call order.
 */
export interface RoomStore {
  /** Reads a room. Resolves empty for a room that never existed; rejects if stored data cannot be read, so that a broken room is never served as an empty one. */
  load(room: string): Promise<LoadedRoom>;
  /** Appends one update; resolves once it is durable (fsync'd), so the relay can send durable acks. */
  append(room: string, update: Uint8Array): Promise<void>;
  /** Replaces everything stored for the room with one full-state update `state`, atomically. Resolves once durable. */
  compact(room: string, state: Uint8Array): Promise<void>;
  /** Resolves once every append and compaction issued so far is durable. */
  flush(room: string): Promise<void>;
  /** Releases resources held for a room (open files); called when a room unloads. */
  release(room: string): Promise<void>;
  /** Removes a room for good. */
  delete(room: string): Promise<void>;
  /** Flushes and releases everything (shutdown). */
  close(): Promise<void>;
}
