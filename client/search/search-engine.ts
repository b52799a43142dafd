// The full-text index itself (MiniSearch): applies changes, answers queries, serializes. No I/O, no DOM.
import MiniSearch, { type Options, type SearchResult } from 'minisearch';
import { isMessageId } from '../../shared/ids.js';
import { isValidRoomName } from '../../shared/protocol.js';
import type { IndexChanges, IndexedMessage, SearchHit, SearchRequest, SearchResponse } from './search-types.js';
import { highlightRanges, indexTerm, MIN_PREFIX_LENGTH, prepareQuery, words } from './text.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

/** The document id inside the index: room and message id (neither ever contains a space). */
const keyOf = (room: string, messageId: string): string => `${room} ${messageId}`;

/** The document key back into room and message id. */
const splitKey = (key: string): [string, string] => {
  const space = key.indexOf(' ');
  return [key.slice(0, space), key.slice(space + 1)];
};

/**
 * What the index stores per message (besides its words): what a result shows. Room and message id are in
 * the key; empty fields are left out (they would be repeated 100,000 times in the snapshot).
 */
interface Entry {
  id: string;
  author: string;
  createdAt: number;
  text: string;
  version: string;
  files?: string;
  hasAttachment?: true;
  threadRoot?: string;
}
const STORED: (keyof Entry)[] = ['author', 'createdAt', 'text', 'version', 'files', 'hasAttachment', 'threadRoot'];

const toEntry = (message: IndexedMessage): Entry => ({
  id: keyOf(message.room, message.messageId),
  author: message.author,
  createdAt: message.createdAt,
  text: message.text,
  version: message.version,
  ...(message.files ? { files: message.files } : {}),
  ...(message.hasAttachment ? { hasAttachment: true as const } : {}),
  ...(message.threadRoot !== undefined ? { threadRoot: message.threadRoot } : {}),
});

const OPTIONS: Options<Entry> = {
  idField: 'id',
  fields: ['text', 'files'],
  storeFields: STORED,
  tokenize: words,
  processTerm: indexTerm,
  // Queries arrive already folded (see prepareQuery): searching must not fold or drop them again.
  searchOptions: { processTerm: (term) => term, tokenize: (text) => text.split(' ') },
  // Removal is exact (`remove` with the stored text), so the index never holds discarded entries.
  autoVacuum: false,
};

/** Message ids and versions per room, to tell what a conversation's document has that the index has not. */
export type RoomVersions = Map<string, Map<string, string>>;

/**
 * A MiniSearch index of messages with per-room bookkeeping. Editing replaces a message's entry; deleting
 * removes its words from the term tree at once (`remove` with the stored text, not `discard`), so a deleted
 * message's text is gone from memory and from the next snapshot.
 */
export class SearchEngine {
  private index: MiniSearch<Entry>;
  private readonly rooms: RoomVersions;

  private constructor(index: MiniSearch<Entry>, rooms: RoomVersions) {
    this.index = index;
    this.rooms = rooms;
  }

  static create(): SearchEngine {
    return new SearchEngine(new MiniSearch(OPTIONS), new Map());
  }

  /** Restores an index from `serialize()`'s output. Throws when it is not one. */
  static deserialize(json: string): SearchEngine {
    const js = JSON.parse(json) as Parameters<typeof MiniSearch.loadJS>[0];
    const rooms: RoomVersions = new Map();
    const keys = js.documentIds as Record<string, string>;
    for (const [shortId, fields] of Object.entries(js.storedFields ?? {}) as [string, Entry][]) {
      const key = keys[shortId];
      if (key === undefined) continue;
      const [room, messageId] = splitKey(key);
      let versions = rooms.get(room);
      if (!versions) rooms.set(room, (versions = new Map()));
      versions.set(messageId, fields.version);
    }
    return new SearchEngine(MiniSearch.loadJS(js, OPTIONS), rooms);
  }

  serialize(): string {
    return JSON.stringify(this.index);
  }

  get size(): number {
    return this.index.documentCount;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /** Message id → version of what the index holds for `room`. */
  versions(room: string): Map<string, string> {
    return new Map(this.rooms.get(room));
  }

  /** Applies one batch of changes; returns whether anything changed. */
  apply({ room, upserts, removes }: IndexChanges): boolean {
    // Keys are `room messageId`: anything that could not round-trip through one is not a message of a room.
    if (!isValidRoomName(room)) return false;
    let changed = false;
    for (const messageId of removes) changed = this.remove(room, messageId) || changed;
    for (const message of upserts) {
      if (message.room !== room || !isMessageId(message.messageId) || typeof message.text !== 'string') continue;
      if (this.rooms.get(room)?.get(message.messageId) === message.version) continue;
      this.remove(room, message.messageId);
      this.index.add(toEntry(message));
      let versions = this.rooms.get(room);
      if (!versions) this.rooms.set(room, (versions = new Map()));
      versions.set(message.messageId, message.version);
      changed = true;
    }
    return changed;
  }

  /** Forgets a whole conversation. */
  dropRoom(room: string): boolean {
    const versions = this.rooms.get(room);
    if (!versions) return false;
    for (const messageId of [...versions.keys()]) this.remove(room, messageId);
    this.rooms.delete(room);
    return true;
  }

  private remove(room: string, messageId: string): boolean {
    const key = keyOf(room, messageId);
    const stored = this.index.getStoredFields(key) as Omit<Entry, 'id'> | undefined;
    if (!stored) return false;
    this.index.remove({ ...stored, id: key });
    const versions = this.rooms.get(room);
    versions?.delete(messageId);
    if (versions?.size === 0) this.rooms.delete(room);
    return true;
  }

  /**
   * Answers a search: every word must match (the words of at least MIN_PREFIX_LENGTH characters also
   * match longer words they start), filters apply, BM25 ranks, newer first among equal scores.
   */
  search(request: SearchRequest): SearchResponse {
    const { terms, ignored, truncated } = prepareQuery(typeof request.text === 'string' ? request.text : '');
    if (terms.length === 0) return { hits: [], total: 0, terms, ignored, truncated };
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(request.limit ?? DEFAULT_LIMIT) || DEFAULT_LIMIT));
    const filter = makeFilter(request);
    const results = this.index.search(terms.join(' '), {
      combineWith: 'AND',
      prefix: (term) => term.length >= MIN_PREFIX_LENGTH,
      fuzzy: false,
      ...(filter ? { filter } : {}),
    });
    results.sort((a, b) => b.score - a.score || (b['createdAt'] as number) - (a['createdAt'] as number));
    return { hits: results.slice(0, limit).map(toHit), total: results.length, terms, ignored, truncated };
  }
}

function makeFilter(request: SearchRequest): ((result: SearchResult) => boolean) | undefined {
  const { room, author, hasAttachment, from, to } = request;
  const checks: ((r: SearchResult) => boolean)[] = [];
  if (typeof room === 'string') checks.push((r) => (r.id as string).startsWith(`${room} `));
  if (typeof author === 'string') checks.push((r) => r['author'] === author);
  if (typeof hasAttachment === 'boolean') checks.push((r) => (r['hasAttachment'] === true) === hasAttachment);
  if (typeof from === 'number' && Number.isFinite(from)) checks.push((r) => (r['createdAt'] as number) >= from);
  if (typeof to === 'number' && Number.isFinite(to)) checks.push((r) => (r['createdAt'] as number) < to);
  if (checks.length === 0) return undefined;
  return (r) => checks.every((check) => check(r));
}

function toHit(result: SearchResult): SearchHit {
  const text = result['text'] as string;
  const threadRoot = result['threadRoot'] as string | undefined;
  const [room, messageId] = splitKey(result.id as string);
  return {
    room,
    messageId,
    author: result['author'] as string,
    createdAt: result['createdAt'] as number,
    text,
    hasAttachment: result['hasAttachment'] === true,
    ...(threadRoot !== undefined ? { threadRoot } : {}),
    score: result.score,
    terms: result.terms,
    highlights: highlightRanges(text, new Set(result.terms)),
  };
}
