// System entries (joined, left, removed, banned, role changed, renamed) as rows among a conversation's messages.
import type { Conversation, MessageView } from '../../index.js';
import { describeSystemEvent, getSystemEvents, timeline } from '../../../shared/system-events.js';

const PREFIX = '~system.';

/** Whether a history row is a system entry (its id cannot be a message id: message ids have no `~`). */
export const isSystemRow = (row: MessageView): boolean => row.id.startsWith(PREFIX);

/**
 * The messages with the conversation's system entries placed among them by time, each entry as a row whose
 * `text` is its sentence. Returns `messages` itself when there are none (no copy).
 */
export function withSystemRows(messages: readonly MessageView[], conversation: Conversation | undefined, nameOf: (userId: string) => string): readonly MessageView[] {
  const events = conversation ? getSystemEvents(conversation.doc) : [];
  if (events.length === 0) return messages;
  let n = 0;
  return timeline(messages, events).map((entry) => {
    if (entry.kind === 'message') return entry.message;
    const event = entry.event;
    return {
      id: `${PREFIX}${n++}`,
      author: event.actor,
      text: describeSystemEvent(event, nameOf),
      createdAt: event.at,
      mine: false,
      queued: false,
      deleted: false,
    } as unknown as MessageView;
  });
}
