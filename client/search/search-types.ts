// Shapes shared by the search worker and the page: indexed messages, queries and results.

/** One message as the index holds it (its current text: edits replace it, deletion removes it). */
export interface IndexedMessage {
  room: string;
  messageId: string;
  author: string;
  createdAt: number;
  text: string;
  /** Attachment names, space-separated (searchable too). */
  files: string;
  hasAttachment: boolean;
  /** Thread root id when the message is a thread reply. */
  threadRoot?: string;
  /** Changes whenever the message's indexed content may have changed (edit time and text length). */
  version: string;
}

/** Changes to one conversation's part of the index. */
export interface IndexChanges {
  room: string;
  upserts: IndexedMessage[];
  /** Message ids to remove (deleted messages). */
  removes: string[];
}

/** A search: words (each may be a prefix of a word) and filters, all combined with AND. */
export interface SearchRequest {
  /** What the user typed. At most 256 characters and 12 words are used. */
  text: string;
  /** Only in this conversation. */
  room?: string;
  /** Only messages by this user id. */
  author?: string;
  /** Only messages with (true) or without (false) attachments. */
  hasAttachment?: boolean;
  /** Only messages created at or after this time (ms since epoch). */
  from?: number;
  /** Only messages created before this time (ms since epoch). */
  to?: number;
  /** Most hits returned (default 50, at most 200). */
  limit?: number;
}

/** One result, best first. */
export interface SearchHit {
  room: string;
  messageId: string;
  author: string;
  createdAt: number;
  text: string;
  hasAttachment: boolean;
  threadRoot?: string;
  score: number;
  /** The words of the message that matched (folded forms). */
  terms: string[];
  /** Character ranges `[start, end)` of `text` to highlight. */
  highlights: [number, number][];
}

export interface SearchResponse {
  hits: SearchHit[];
  /** How many messages matched (hits is at most `limit` of them). */
  total: number;
  /** The folded words searched for. */
  terms: string[];
  /** Stop words left out: a query of only stop words finds nothing and says so here. */
  ignored: string[];
  /** The query was cut to its first 256 characters / 12 words. */
  truncated: boolean;
}

/** What the index holds. */
export interface IndexStats {
  messages: number;
  rooms: number;
  /** Bytes of the stored snapshot (gzipped JSON of the index). */
  snapshotBytes: number;
  journalEntries: number;
  /** `ready`: persisted in IndexedDB; `memory`: IndexedDB unusable, the index lives in the worker only. */
  storage: 'ready' | 'memory';
}
