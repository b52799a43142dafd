// What a conversation's Y.Doc contributes to the search index: full diffs, and incremental changes as it updates.
import * as Y from 'yjs';
import { readMessageLog, type MessageLog } from '../../shared/message-log.js';
import type { MessageRecord } from '../../shared/schema.js';
import type { IndexChanges, IndexedMessage } from './search-types.js';

/** The index form of a message's current record, or undefined when it has no text to find (deleted). */
export function toIndexed(room: string, record: MessageRecord): IndexedMessage | undefined {
  if (record.deleted === true || typeof record.text !== 'string') return undefined;
  const attachments = Array.isArray(record.attachments) ? record.attachments : [];
  const { threadRoot } = record;
  return {
    room,
    messageId: record.id,
    author: record.author,
    createdAt: record.createdAt,
    text: record.text,
    files: attachments.map((a) => a.name).join(' '),
    hasAttachment: attachments.length > 0,
    ...(typeof threadRoot === 'string' ? { threadRoot } : {}),
    version: `${record.editedAt ?? 0}:${record.text.length}`,
  };
}

/**
 * What must change in the index so that `room`'s part matches `log` (given what it holds: id → version).
 * `keepUnknown`: leave indexed messages that `log` does not have (a copy that may be behind the index).
 */
export function diffRoom(room: string, log: MessageLog, indexed: ReadonlyMap<string, string>, { keepUnknown = false } = {}): IndexChanges {
  const upserts: IndexedMessage[] = [];
  const removes: string[] = [];
  for (const resolved of log.list) {
    const message = toIndexed(room, resolved.current.record);
    if (message === undefined) {
      if (indexed.has(resolved.current.record.id)) removes.push(resolved.current.record.id);
    } else if (indexed.get(message.messageId) !== message.version) upserts.push(message);
  }
  if (!keepUnknown) for (const id of indexed.keys()) if (!log.byId.has(id)) removes.push(id);
  return { room, upserts, removes };
}

/** Ids of the message records an item holds (records are plain objects in ContentAny). */
function recordIds(item: Y.Item, into: Set<string>): void {
  if (!(item.content instanceof Y.ContentAny)) return;
  for (const record of item.content.arr as Partial<MessageRecord>[]) {
    if (record !== null && typeof record === 'object' && typeof record.id === 'string') into.add(record.id);
  }
}

/**
 * Calls `onChanges` after each transaction that touched `messages` with the index changes for the
 * messages it touched: a new record (message, edit or tombstone) upserts the message's current state or
 * removes it. Returns the function that stops observing.
 */
export function observeMessages(doc: Y.Doc, room: string, onChanges: (changes: IndexChanges) => void): () => void {
  const messages = doc.getArray<MessageRecord>('messages');
  // Read once first so that the log's own cache invalidation runs before this observer.
  readMessageLog(doc);
  const observer = (event: Y.YArrayEvent<MessageRecord>): void => {
    const touched = new Set<string>();
    for (const item of event.changes.added) recordIds(item, touched);
    for (const item of event.changes.deleted) recordIds(item, touched);
    if (touched.size === 0) return;
    const log = readMessageLog(doc);
    const upserts: IndexedMessage[] = [];
    const removes: string[] = [];
    for (const id of touched) {
      const current = log.get(id);
      const message = current && toIndexed(room, current);
      if (message) upserts.push(message);
      else removes.push(id);
    }
    onChanges({ room, upserts, removes });
  };
  messages.observe(observer);
  return () => messages.unobserve(observer);
}
