// The messages between the page and the search worker (postMessage, structured clone).
import type { IndexChanges, IndexStats, SearchRequest, SearchResponse } from './search-types.js';

/**
 * The page sends requests, each with a number `id` the reply repeats; the worker answers each exactly once
 * with `{ id, ok: true, result }` or `{ id, ok: false, error }`, and sends events without `id` on its own:
 *
 *   open(userId)          loads the stored index (or starts empty); must come first
 *   apply(changes)        changes of one conversation (from its Y.Doc); replies once applied in memory
 *   follow(room)          → [messageId, version][] held for room (the page diffs its open document against it and
 *                           sends what changes from then on); a scan of cached conversations leaves the room alone
 *   index-cached()        reads every conversation cached on the device, indexes what changed, writes a snapshot
 *   query(request, lane)  → SearchResponse; a newer query in the same lane answers older waiting ones `null`
 *   flush()               writes the journal and a fresh snapshot; replies when durable
 *   stats()               → IndexStats
 *   close()               closes the database; the worker can then be terminated
 *
 *   event changed         the index changed (live searches re-run)
 *   event closed(reason)  the user logged out (in any tab) or the database was deleted: the worker is done
 */
export type WorkerRequest =
  | { id: number; type: 'open'; userId: string }
  | { id: number; type: 'apply'; changes: IndexChanges }
  | { id: number; type: 'follow'; room: string }
  | { id: number; type: 'index-cached' }
  | { id: number; type: 'query'; request: SearchRequest; lane: string }
  | { id: number; type: 'flush' }
  | { id: number; type: 'stats' }
  | { id: number; type: 'close' };

export interface ResultOf {
  open: { messages: number; rooms: number };
  apply: boolean;
  follow: [string, string][];
  /** `readMs`: reading and decoding the cached documents; `indexMs`: diffing and indexing (worker time). */
  'index-cached': { rooms: number; upserts: number; removes: number; readMs: number; indexMs: number };
  query: SearchResponse | null;
  flush: IndexStats;
  stats: IndexStats;
  close: true;
}

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string };

export type WorkerEvent = { event: 'changed' } | { event: 'closed'; reason: string };
