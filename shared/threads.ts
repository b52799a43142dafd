// Threads: a reply can start a thread under a root message (one level, as in Slack and Matrix): reads and read marks (the rule is in rules.ts).
import type * as Y from 'yjs';
import { ensure } from './errors.js';
import { readMessageLog, type MessageLog, type ResolvedMessage } from './message-log.js';
import { checkCanWrite, checkThreadReads } from './rules.js';
import { LIMITS, type MessageRecord, type ThreadReadsEntry, type Writer } from './schema.js';
import { replaceUserEntry, userEntries } from './user-entries.js';

/** Whether a message shows in the main flow: not a thread reply, or one also sent to the conversation. */
export const inMainFlow = (record: Pick<MessageRecord, 'threadRoot' | 'alsoInMain'>): boolean => record.threadRoot === undefined || record.alsoInMain === true;

const threadCache = new WeakMap<MessageLog, Map<string, ResolvedMessage[]>>();

/** Thread replies by root, in conversation order (tombstones included), built once per version of the log. */
export function threadIndex(log: MessageLog): ReadonlyMap<string, ResolvedMessage[]> {
  let byRoot = threadCache.get(log);
  if (!byRoot) {
    byRoot = new Map();
    for (const resolved of log.list) {
      const root = resolved.current.record.threadRoot;
      if (root === undefined) continue;
      const replies = byRoot.get(root);
      if (replies) replies.push(resolved);
      else byRoot.set(root, [resolved]);
    }
    threadCache.set(log, byRoot);
  }
  return byRoot;
}

/** One thread at a glance: "N replies, last reply 5 min ago", who took part, and what the viewer has not read. */
export interface ThreadSummary {
  root: string;
  /** Replies that are not deleted. */
  replies: number;
  lastReplyId: string;
  lastReplyAt: number;
  /** Authors of the root and of the replies, root author first, then by first reply. */
  participants: string[];
  /** Replies by others the viewer has not read (0 for threads the viewer does not follow). */
  unread: number;
}

/** The replies of the thread under `root`, in conversation order (deleted ones as tombstones). */
export function getThreadReplies(doc: Y.Doc, root: string, log: MessageLog = readMessageLog(doc)): MessageRecord[] {
  return (threadIndex(log).get(root) ?? []).map((r) => r.current.record);
}

/** The summary of the thread under `root`, or undefined when it has no live reply. */
export function threadSummary(doc: Y.Doc, root: string, viewerId?: string, log: MessageLog = readMessageLog(doc)): ThreadSummary | undefined {
  const replies = (threadIndex(log).get(root) ?? []).filter((r) => !r.current.record.deleted);
  const last = replies.at(-1)?.current.record;
  if (!last) return undefined;
  const participants = new Set<string>();
  const rootRecord = log.get(root);
  if (rootRecord) participants.add(rootRecord.author);
  for (const reply of replies) participants.add(reply.current.record.author);
  return {
    root,
    replies: replies.length,
    lastReplyId: last.id,
    lastReplyAt: last.createdAt,
    participants: [...participants],
    unread: viewerId === undefined ? 0 : threadUnread(doc, root, viewerId, log),
  };
}

/** Every thread of the conversation with at least one live reply, most recent reply first. */
export function getThreads(doc: Y.Doc, viewerId?: string, log: MessageLog = readMessageLog(doc)): ThreadSummary[] {
  const summaries: ThreadSummary[] = [];
  for (const root of threadIndex(log).keys()) {
    const summary = threadSummary(doc, root, viewerId, log);
    if (summary) summaries.push(summary);
  }
  return summaries.sort((a, b) => log.compare(b.lastReplyId, a.lastReplyId));
}

/**
 * Replies by others in the thread under `root` that `viewerId` has not read: those after the viewer's read
 * mark for the thread, or after their own last reply (answering means having read). A thread the viewer
 * neither started, answered nor opened is not followed: 0.
 */
export function threadUnread(doc: Y.Doc, root: string, viewerId: string, log: MessageLog = readMessageLog(doc)): number {
  const replies = threadIndex(log).get(root) ?? [];
  let seen: string | undefined = getThreadReads(doc, viewerId, log)[root];
  for (const reply of replies) {
    const record = reply.current.record;
    if (record.author === viewerId && (seen === undefined || log.compare(record.id, seen) > 0)) seen = record.id;
  }
  if (seen === undefined && log.get(root)?.author !== viewerId) return 0;
  let unread = 0;
  for (const reply of replies) {
    const record = reply.current.record;
    if (record.author === viewerId || record.deleted) continue;
    if (seen === undefined || log.compare(record.id, seen) > 0) unread++;
  }
  return unread;
}

/**
 * A user's thread read marks, root → furthest reply read. After concurrent writes from two devices the
 * entries merge to the furthest mark per thread.
 */
export function getThreadReads(doc: Y.Doc, userId: string, log: MessageLog = readMessageLog(doc)): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const entry of userEntries<ThreadReadsEntry>(doc, 'threads', userId)) {
    for (const [root, mark] of Object.entries(entry)) {
      if (typeof mark !== 'string' || log.get(mark) === undefined) continue;
      const best = merged[root];
      if (best === undefined || log.compare(mark, best) > 0) merged[root] = mark;
    }
  }
  return merged;
}

/**
 * Marks the thread under `root` read up to `upTo` (default: its latest reply) for the writer. Returns false
 * when nothing moved. Keeps the LIMITS.threadReads most recently read threads.
 */
export function markThreadRead(doc: Y.Doc, writer: Writer, root: string, upTo?: string): boolean {
  checkCanWrite(writer);
  const log = readMessageLog(doc);
  const replies = threadIndex(log).get(root) ?? [];
  const mark = upTo ?? replies.at(-1)?.current.record.id;
  if (mark === undefined) return false;
  const record = log.get(mark);
  ensure(record !== undefined && record.threadRoot === root, 'unknown-message', `${mark} is not in the thread of ${root}`);
  const current = getThreadReads(doc, writer.userId, log);
  const previous = current[root];
  if (previous !== undefined && log.compare(mark, previous) <= 0) return false;
  delete current[root];
  const next: ThreadReadsEntry = { ...current, [root]: mark };
  const keys = Object.keys(next);
  for (const old of keys.slice(0, Math.max(0, keys.length - LIMITS.threadReads))) delete next[old];
  checkThreadReads(writer.userId, next, writer);
  replaceUserEntry(doc, 'threads', writer.userId, next);
  return true;
}
