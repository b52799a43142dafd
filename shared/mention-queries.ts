// Reads about mentions across a conversation: the messages that mention a user and that they have not read yet.
import type * as Y from 'yjs';
import { readMessageLog, type MessageLog } from './message-log.js';
import { mentionsUser } from './mentions.js';
import { getReceipts } from './queries.js';
import { getThreadReads, inMainFlow } from './threads.js';

/**
 * The ids of the messages that mention `userId` (not their own, not deleted) which they have not read: in the
 * main flow, after their read mark; a thread reply shown only in its thread, after their read mark for that
 * thread. What the "@" badge of a conversation counts. O(messages).
 */
export function unreadMentions(doc: Y.Doc, userId: string, log: MessageLog = readMessageLog(doc)): string[] {
  const { read } = getReceipts(doc, userId, log);
  const readUpTo = read === undefined ? -1 : (log.byId.get(read)?.position ?? -1);
  let threadReads: Record<string, string> | undefined;
  const ids: string[] = [];
  for (const resolved of log.list) {
    const record = resolved.current.record;
    if (!mentionsUser(record, userId)) continue;
    if (inMainFlow(record)) {
      if (resolved.position > readUpTo) ids.push(record.id);
      continue;
    }
    threadReads ??= getThreadReads(doc, userId, log);
    const seen = threadReads[record.threadRoot!];
    if (seen === undefined || log.compare(record.id, seen) > 0) ids.push(record.id);
  }
  return ids;
}
