// Pinned messages: admins (and both people of a direct conversation) pin and unpin; the `pins` map holds them.
import type * as Y from 'yjs';
import { readMessageLog, type MessageLog } from './message-log.js';
import { getMeta } from './queries.js';
import { checkPin, checkPinCount, checkPinner, checkUnpin } from './rules.js';
import { LIMITS, type MessageRecord, type PinEntry, type Writer } from './schema.js';

const pinsOf = (doc: Y.Doc) => doc.getMap<PinEntry>('pins');

/** Pins message `id` (a no-op when already pinned). `at` defaults to now. */
export function pinMessage(doc: Y.Doc, writer: Writer, id: string, at = Date.now()): void {
  const kind = getMeta(doc).kind;
  checkPinner(writer, kind);
  const pins = pinsOf(doc);
  if (pins.has(id)) return;
  const entry: PinEntry = { by: writer.userId, at };
  checkPin(id, entry, writer, kind, readMessageLog(doc));
  checkPinCount(pins.size + 1);
  pins.set(id, entry);
}

/** Unpins message `id` (a no-op when not pinned). */
export function unpinMessage(doc: Y.Doc, writer: Writer, id: string): void {
  const log = readMessageLog(doc);
  checkUnpin(id, writer, getMeta(doc).kind, log);
  if (!doc.share.has('pins') || !pinsOf(doc).has(id)) return;
  pinsOf(doc).delete(id);
}

/** Removes the pin of a message being deleted, inside the deleting transaction (see deleteMessage). */
export function dropPinOf(doc: Y.Doc, id: string): void {
  if (doc.share.has('pins') && pinsOf(doc).has(id)) pinsOf(doc).delete(id);
}

/** A pinned message as the pinned bar shows it. */
export interface PinnedMessage {
  message: MessageRecord;
  by: string;
  at: number;
}

/**
 * The pinned messages, most recently pinned first (ties by message order), at most LIMITS.pins. A pin whose
 * message is deleted or unknown (a pin that raced a delete) is not shown.
 */
export function getPins(doc: Y.Doc, log: MessageLog = readMessageLog(doc)): PinnedMessage[] {
  if (!doc.share.has('pins')) return [];
  const pinned: PinnedMessage[] = [];
  for (const [id, entry] of pinsOf(doc).entries()) {
    const message = log.get(id);
    if (!message || message.deleted || typeof entry !== 'object' || entry === null) continue;
    pinned.push({ message, by: entry.by, at: entry.at });
  }
  return pinned.sort((a, b) => b.at - a.at || log.compare(b.message.id, a.message.id)).slice(0, LIMITS.pins);
}
