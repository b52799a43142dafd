// Statuses: the one shared rule, its one-pass form for a whole conversation, and the client's views (failed, queued).
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  markDelivered, markRead, messageStatus, newMessageId, messageStatuses, readMessageLog, sendMessage, setProfile, statusOf, type Writer,
} from '../../shared/conversation.js';
import { messageViews } from '../../client/conversation/message-views.js';
import { seeded } from '../support/seeded.js';

const w = (userId: string): Writer => ({ userId, role: 'write' });
const alice = w('alice');
const bob = w('bob');
const carol = w('carol');

describe('statusOf (the rule)', () => {
  const at = { client: 1, clock: 4 };
  const rows: Array<[string, Map<number, number> | undefined, number, number, number, string]> = [
    ['durability unknown: sent', undefined, 0, 0, 2, 'sent'],
    ['not covered by the durable vector: sending', new Map([[1, 4]]), 2, 2, 2, 'sending'],
    ['another client acked only: sending', new Map([[2, 99]]), 0, 0, 1, 'sending'],
    ['covered, nobody has it: sent', new Map([[1, 5]]), 0, 0, 2, 'sent'],
    ['covered, some have it: sent', new Map([[1, 5]]), 1, 0, 2, 'sent'],
    ['covered, all have it: delivered', new Map([[1, 5]]), 2, 1, 2, 'delivered'],
    ['covered, all read it: read', new Map([[1, 5]]), 2, 2, 2, 'read'],
    ['alone in the room: sent, never read', new Map([[1, 5]]), 0, 0, 0, 'sent'],
  ];
  for (const [name, durable, delivered, read, recipients, expected] of rows) {
    it(name, () => expect(statusOf(at, durable, delivered, read, recipients)).toBe(expected));
  }
});

describe('messageStatuses', () => {
  it('gives, in one pass, what messageStatus gives message by message (randomized conversations)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { next: random, int, pick } = seeded(seed);
      const doc = new Y.Doc();
      for (const writer of [alice, bob, carol]) setProfile(doc, writer, { name: writer.userId });
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const writer = pick([alice, bob, carol]);
        ids.push(sendMessage(doc, writer, { text: `m${i}` }).id);
        const reader = pick([bob, carol]);
        const target = pick(ids);
        const log = readMessageLog(doc);
        if (log.get(target)?.author !== reader.userId) {
          if (random() < 0.5) markDelivered(doc, reader, target);
          else markRead(doc, reader, target);
        }
      }
      const durable = new Map([[doc.clientID, int(40)]]);
      const all = messageStatuses(doc, 'alice', durable);
      const aliceIds = readMessageLog(doc).list.filter((r) => r.current.record.author === 'alice').map((r) => r.current.record.id);
      expect([...all.keys()]).toEqual(aliceIds);
      for (const id of aliceIds) expect(all.get(id), `seed ${seed}`).toEqual(messageStatus(doc, id, durable));
    }
  });
});

describe('messageViews', () => {
  const setup = () => {
    const doc = new Y.Doc();
    setProfile(doc, bob, { name: 'Bob' });
    const mine = sendMessage(doc, alice, { text: 'mine' });
    const theirs = sendMessage(doc, bob, { text: 'theirs' });
    return { doc, mine, theirs };
  };
  const queued = { room: 'r', id: newMessageId(), text: 'queued', createdAt: 1 };

  it('sets statuses on own messages only, appends outbox entries as queued, and names the latest other message', () => {
    const { doc, mine, theirs } = setup();
    const durable = new Map([[doc.clientID, 100]]);
    markDelivered(doc, bob, mine.id);
    const views = messageViews({ doc, log: readMessageLog(doc), userId: 'alice', durable, outbox: [queued], failure: undefined });
    expect(views.messages.map((m) => [m.text, m.mine, m.status, m.queued])).toEqual([
      ['mine', true, 'delivered', false],
      ['theirs', false, undefined, false],
      ['queued', true, 'sending', true],
    ]);
    expect(views.lastOther).toBe(theirs.id);
    expect(views.unread).toBe(1);
  });

  it('turns sending messages and outbox entries into failures when the room refused us for good', () => {
    const { doc } = setup();
    const views = messageViews({ doc, log: readMessageLog(doc), userId: 'alice', durable: new Map(), outbox: [queued], failure: 'no access to this room' });
    expect(views.messages.filter((m) => m.mine).map((m) => [m.status, m.error])).toEqual([
      ['failed', 'no access to this room'],
      ['failed', 'no access to this room'],
    ]);
  });

  it('shows an entry the model refused at flush time as failed with its reason', () => {
    const { doc } = setup();
    const views = messageViews({ doc, log: readMessageLog(doc), userId: 'alice', durable: new Map(), outbox: [{ ...queued, error: 'read-only' }], failure: undefined });
    expect(views.messages.at(-1)).toMatchObject({ status: 'failed', error: 'read-only', queued: true });
  });

  it('does not show an outbox entry twice once its message is in the document', () => {
    const { doc } = setup();
    sendMessage(doc, alice, { id: queued.id, text: 'queued', createdAt: 1 });
    const views = messageViews({ doc, log: readMessageLog(doc), userId: 'alice', durable: new Map(), outbox: [queued], failure: undefined });
    expect(views.messages.filter((m) => m.id === queued.id)).toHaveLength(1);
  });
});
