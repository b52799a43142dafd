// The messages as the UI shows them: the document's messages with their statuses, then what still waits in the outbox.
import type * as Y from 'yjs';
import { getMessages, messageStatuses, unreadCount, unreadMentions, type MessageLog } from '../../shared/conversation.js';
import type { OutboxEntry } from '../local-store.js';
import type { MessageView } from './types.js';

export interface MessageViews {
  messages: MessageView[];
  unread: number;
  /** Unread messages that mention this user. */
  unreadMentions: number;
  /** The id of the latest message by someone else (what "delivered" moves to). */
  lastOther: string | undefined;
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

interface ViewsInput {
  doc: Y.Doc;
  log: MessageLog;
  userId: string;
  durable: Map<number, number>;
  outbox: readonly OutboxEntry[];
  failure: string | undefined;
}

function* viewSteps(input: ViewsInput, slice: number): Generator<void, MessageViews, undefined> {
  const { doc, log, userId, durable, outbox, failure } = input;
  const statuses = messageStatuses(doc, userId, durable, log);
  let lastOther: string | undefined;
  const messages: MessageView[] = [];
  for (let start = 0; start < log.list.length; start += slice) {
    if (start > 0) yield;
    // The shared query on a slice of the log (one copy of how a record becomes a message).
    const part = getMessages(doc, { ...log, list: log.list.slice(start, start + slice) });
    for (const message of part) {
      if (message.author !== userId) {
        lastOther = message.id;
        messages.push({ ...message, mine: false, queued: false });
        continue;
      }
      const status = statuses.get(message.id);
      const view: MessageView = { ...message, mine: true, queued: false };
      if (status) {
        view.deliveredTo = status.deliveredTo;
        view.readBy = status.readBy;
        view.recipients = status.recipients;
        view.status = status.state;
        if (status.state === 'sending' && failure) {
          view.status = 'failed';
          view.error = failure;
        }
      }
      messages.push(view);
    }
  }
  for (const entry of outbox) {
    if (log.byId.has(entry.id)) continue;
    messages.push(outboxView(entry, userId, failure));
  }
  return { messages, unread: unreadCount(doc, userId, log), unreadMentions: unreadMentions(doc, userId, log).length, lastOther };
}

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
