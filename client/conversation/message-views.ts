// The messages as the UI shows them: the document's messages with their statuses, then what still waits in the outbox.
import type * as Y from 'yjs';
import {
  getMessages, getReceipts, getThreadReads, membersWith, receiptMarks, statusAt, unreadCount, unreadMentions,
  type MessageLog, type MessageStatus, type ReceiptMark, type ResolvedMessage,
} from '../../shared/conversation.js';
import type { OutboxEntry } from '../local-store.js';
import type { MessageView } from './types.js';

export interface MessageViews {
  messages: MessageView[];
  unread: number;
  /** Unread messages that mention this user. */
  unreadMentions: number;
  /** The id of the latest message by someone else (what "delivered" moves to). */
  lastOther: string | undefined;
  /** What these views were built from, so that `nextViews` can patch them after a change. */
  basis?: ViewsBasis;
}

export interface ViewsInput {
  doc: Y.Doc;
  log: MessageLog;
  userId: string;
  durable: Map<number, number>;
  outbox: readonly OutboxEntry[];
  failure: string | undefined;
}

/** The inputs of a set of views, kept to find out what the next change touched. */
interface ViewsBasis {
  log: MessageLog;
  /** One view per message of `log.list`, in order (the outbox's follow). */
  docViews: MessageView[];
  /** Everyone the document knows of (see getMembers), sorted, and the marks of those other than the viewer. */
  members: string[];
  authors: Set<string>;
  marks: ReceiptMark[];
  durable: Map<number, number>;
  failure: string | undefined;
  /** Positions of the viewer's messages whose shared status is `sending` (durability or `failure` moves them). */
  sending: Set<number>;
  /** The viewer's own read marks (main flow and threads), as a key: unread counts move with them. */
  viewerMarks: string;
  unreadMentionIds: string[];
}

/**
 * Builds the views. Statuses come from the shared rule (shared/message-status.ts); the client adds one state,
 * `failed`: a message still `sending` when the relay refused the room for good (`failure`, its reason), or an
 * outbox entry the model refused at flush time (`entry.error`).
 */
export function messageViews(input: ViewsInput): MessageViews {
  const steps = viewSteps(input, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `messageViews` over several tasks, `slice` messages at a time, awaiting `pause()` in between (a long history
 * opened from the cache). The caller checks that nothing changed meanwhile before using the result.
 */
export async function messageViewsInSteps(input: ViewsInput, pause: () => Promise<void>, slice = 20_000): Promise<MessageViews> {
  const steps = viewSteps(input, slice);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await pause();
  }
}

/**
 * The views after a change, patched from `previous` when its log is the one this log was patched from (or the
 * same log): only the messages the transaction appended or replaced, and the statuses the change can move (the
 * viewer's messages between a member's old and new marks, those still `sending` when durability or `failure`
 * moved) are rebuilt; anything else (a new member, a rebuilt log, a large move) builds them all again.
 * Equal to `messageViews(input)` either way (test/client/message-views-patch.test.ts).
 */
export function nextViews(previous: MessageViews | undefined, input: ViewsInput): MessageViews {
  const basis = previous?.basis;
  const { doc, log, userId, durable, failure } = input;
  if (!basis) return messageViews(input);
  // What changed since the basis' log, over the patches in between (positions never move in a patch).
  const patch = { replaced: [] as number[], appended: log.list.length };
  for (let step = log; step !== basis.log; step = step.patch.from) {
    if (!step.patch) return messageViews(input);
    patch.replaced.push(...step.patch.replaced);
    patch.appended = Math.min(patch.appended, step.patch.appended);
  }
  patch.replaced = [...new Set(patch.replaced)].filter((position) => position < patch.appended);

  // Members: authors grow with appended messages (a replacement keeping its author, else rebuild).
  let authors = basis.authors;
  for (let i = patch.appended; i < log.list.length; i++) {
    const author = log.list[i]!.current.record.author;
    if (!authors.has(author)) (authors === basis.authors ? (authors = new Set(authors)) : authors).add(author);
  }
  for (const position of patch.replaced) {
    if (basis.docViews[position]?.author !== log.list[position]!.current.record.author) return messageViews(input);
  }
  const members = membersWith(doc, authors);
  if (members.join('\n') !== basis.members.join('\n')) return messageViews(input);
  const marks = receiptMarks(doc, log, userId, members);

  // Positions whose view must be rebuilt.
  const dirty = new Set<number>(patch.replaced);
  const budget = Math.max(1_000, log.list.length >> 3);
  for (let i = 0; i < marks.length; i++) {
    const before = basis.marks[i]!;
    const after = marks[i]!;
    for (const [from, to] of [[before.delivered, after.delivered], [before.read, after.read]] as const) {
      const low = Math.min(from, to);
      const high = Math.min(Math.max(from, to), patch.appended - 1);
      if (high - low > budget) return messageViews(input);
      for (let p = low + 1; p <= high; p++) if (basis.docViews[p]?.mine) dirty.add(p);
    }
  }
  for (const [client, clock] of basis.durable) if ((durable.get(client) ?? 0) < clock) return messageViews(input);
  if (failure !== basis.failure || !sameVector(durable, basis.durable)) for (const p of basis.sending) dirty.add(p);

  const docViews = basis.docViews.slice(0, patch.appended);
  const sending = new Set(basis.sending);
  const rebuild = (position: number): void => {
    const resolved = log.list[position]!;
    const view = viewOf(doc, log, resolved, userId, marks, durable, failure);
    docViews[position] = view.view;
    if (view.status?.state === 'sending') sending.add(position);
    else sending.delete(position);
  };
  for (const position of dirty) if (position < patch.appended) rebuild(position);
  for (let position = patch.appended; position < log.list.length; position++) rebuild(position);

  let lastOther = previous.lastOther;
  for (let i = log.list.length - 1; i >= patch.appended; i--) {
    const record = log.list[i]!.current.record;
    if (record.author !== userId) {
      lastOther = record.id;
      break;
    }
  }
  // Unread counts: O(unread) and the mentions of what is new, unless the viewer's own marks moved or a message changed.
  const viewerMarks = viewerMarksOf(doc, userId, log);
  const mentionIds = viewerMarks === basis.viewerMarks && patch.replaced.length === 0
    ? [...basis.unreadMentionIds, ...unreadMentions(doc, userId, { ...log, list: log.list.slice(patch.appended) })]
    : unreadMentions(doc, userId, log);
  return finish(input, docViews, lastOther, mentionIds, { log, docViews, members, authors, marks, durable: new Map(durable), failure, sending, viewerMarks, unreadMentionIds: mentionIds });
}

interface ViewOf {
  view: MessageView;
  status: MessageStatus | undefined;
}

/** The view of one resolved message: the shared query's message, and for the viewer's own its status. */
function viewOf(doc: Y.Doc, log: MessageLog, resolved: ResolvedMessage, userId: string, marks: readonly ReceiptMark[],
  durable: Map<number, number>, failure: string | undefined): ViewOf {
  // The shared query on one message (one copy of how a record becomes a message).
  const message = getMessages(doc, { ...log, list: [resolved] })[0]!;
  if (message.author !== userId) return { view: { ...message, mine: false, queued: false }, status: undefined };
  const status = statusAt(resolved, marks, durable);
  return { view: ownView(message, status, failure), status };
}

function ownView(message: ReturnType<typeof getMessages>[number], status: MessageStatus, failure: string | undefined): MessageView {
  const view: MessageView = { ...message, mine: true, queued: false };
  view.deliveredTo = status.deliveredTo;
  view.readBy = status.readBy;
  view.recipients = status.recipients;
  view.status = status.state;
  if (status.state === 'sending' && failure) {
    view.status = 'failed';
    view.error = failure;
  }
  return view;
}

function* viewSteps(input: ViewsInput, slice: number): Generator<void, MessageViews, undefined> {
  const { doc, log, userId, durable, failure } = input;
  const authors = new Set<string>();
  for (const resolved of log.list) authors.add(resolved.current.record.author);
  const members = membersWith(doc, authors);
  const marks = receiptMarks(doc, log, userId, members);
  const sending = new Set<number>();
  let lastOther: string | undefined;
  const docViews: MessageView[] = [];
  for (let start = 0; start < log.list.length; start += slice) {
    if (start > 0) yield;
    // The shared query on a slice of the log (one copy of how a record becomes a message).
    const part = getMessages(doc, { ...log, list: log.list.slice(start, start + slice) });
    part.forEach((message, i) => {
      if (message.author !== userId) {
        lastOther = message.id;
        docViews.push({ ...message, mine: false, queued: false });
        return;
      }
      const resolved = log.list[start + i]!;
      const status = statusAt(resolved, marks, durable);
      if (status.state === 'sending') sending.add(resolved.position);
      docViews.push(ownView(message, status, failure));
    });
  }
  const mentionIds = unreadMentions(doc, userId, log);
  const viewerMarks = viewerMarksOf(doc, userId, log);
  return finish(input, docViews, lastOther, mentionIds, { log, docViews, members, authors, marks, durable: new Map(durable), failure, sending, viewerMarks, unreadMentionIds: mentionIds });
}

/** The views from the document's views: the outbox's entries not in the document yet follow them. */
function finish(input: ViewsInput, docViews: MessageView[], lastOther: string | undefined, mentionIds: string[], basis: ViewsBasis): MessageViews {
  const { doc, log, userId, outbox, failure } = input;
  const queued = outbox.filter((entry) => !log.byId.has(entry.id)).map((entry) => outboxView(entry, userId, failure));
  return {
    messages: queued.length > 0 ? docViews.concat(queued) : docViews.slice(),
    unread: unreadCount(doc, userId, log),
    unreadMentions: mentionIds.length,
    lastOther,
    basis,
  };
}

/** The viewer's read marks with their positions (a mark on a message not in the log yet moves when it arrives). */
const viewerMarksOf = (doc: Y.Doc, userId: string, log: MessageLog): string => {
  const at = (id: string | undefined): [string | undefined, number] => [id, id === undefined ? -1 : (log.byId.get(id)?.position ?? -1)];
  const { read } = getReceipts(doc, userId, log);
  return JSON.stringify([at(read), Object.entries(getThreadReads(doc, userId, log)).map(([root, id]) => [root, at(id), at(root)])]);
};

const sameVector = (a: Map<number, number>, b: Map<number, number>): boolean => {
  if (a.size !== b.size) return false;
  for (const [client, clock] of a) if (b.get(client) !== clock) return false;
  return true;
};

/** The view of a message that is only in the outbox: `sending`, or `failed` with the reason. */
export function outboxView(entry: OutboxEntry, userId: string, failure?: string): MessageView {
  const error = entry.error ?? failure;
  return {
    id: entry.id,
    author: userId,
    text: entry.text,
    createdAt: entry.createdAt,
    ...(entry.replyTo !== undefined ? { replyTo: entry.replyTo } : {}),
    ...(entry.threadRoot !== undefined ? { threadRoot: entry.threadRoot } : {}),
    ...(entry.alsoInMain === true ? { alsoInMain: true as const } : {}),
    ...(entry.attachments !== undefined ? { attachments: entry.attachments } : {}),
    ...(entry.mentions !== undefined ? { mentions: entry.mentions } : {}),
    deleted: false,
    mine: true,
    status: error ? 'failed' : 'sending',
    ...(error ? { error } : {}),
    queued: true,
  };
}
