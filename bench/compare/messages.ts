// Realistic chat traffic: message texts, and Parley message updates made with the shared conversation model.
import * as Y from 'yjs';
import { newMessageId, sendMessage, type MessageRecord, type Writer } from '../../shared/conversation.js';

const PHRASES = [
  'ok, see you there',
  'did anyone look at the draft I sent this morning?',
  'lunch at 12:30?',
  'I think the second option is better, the first one needs a migration',
  'thanks!',
  'can you share the link again, it expired',
  'running 5 minutes late, start without me',
  'the build is green again 🎉',
  'agreed. let us ship it on Thursday and watch the error rate over the weekend',
  'where did we land on the pricing page copy?',
];

/** The text of message `n`: one of a few real-looking lines, varied so no two updates are identical. */
export const chatText = (n: number): string => `${PHRASES[n % PHRASES.length]!} (#${n})`;

export const writerFor = (userId: string): Writer => ({ userId, role: 'write' });

/**
 * Makes the records and updates of `count` messages by `writer`, as if each was sent with sendMessage on
 * `doc` one after another. sendMessage reads the whole message log on each call (O(n) per send), which would
 * make long histories quadratic to build; so each record is produced by sendMessage on a small scratch
 * document (running the model's own checks), then pushed to `doc` exactly as sendMessage pushes it.
 */
export class MessageFactory {
  private scratch = new Y.Doc();
  private made = 0;

  constructor(private readonly writer: Writer) {}

  /** Appends one message to `doc` (one transaction, so one update) and returns its record. */
  append(doc: Y.Doc, n: number): MessageRecord {
    if (++this.made % 32 === 0) this.scratch = new Y.Doc();
    const record = sendMessage(this.scratch, this.writer, { text: chatText(n), id: newMessageId() });
    doc.getArray<MessageRecord>('messages').push([record]);
    return record;
  }

  /** Edits the last message of `doc` the way editMessage replaces a record (delete + insert, one transaction). */
  editLast(doc: Y.Doc, record: MessageRecord): void {
    const messages = doc.getArray<MessageRecord>('messages');
    doc.transact(() => {
      messages.delete(messages.length - 1, 1);
      messages.push([{ ...record, text: `${record.text} (edited)`, editedAt: record.createdAt + 1 }]);
    });
  }
}

/** Pre-made updates of `count` messages by one writer, each captured as the update its transaction emits. */
export const premadeUpdates = (writer: Writer, count: number, firstN = 0): { ids: string[]; updates: Uint8Array[] } => {
  const doc = new Y.Doc();
  const factory = new MessageFactory(writer);
  const ids: string[] = [];
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (let i = 0; i < count; i++) ids.push(factory.append(doc, firstN + i).id);
  return { ids, updates };
};
