// Views patched after each change (nextViews) equal views built from scratch, after random edits, deletes, reactions, receipts and acks.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  deleteMessage, editMessage, markDelivered, markRead, markThreadRead, newMessageId, patchMessageLogs, react, readMessageLog, RuleError, sendMessage,
  setProfile, type Writer,
} from '../../shared/conversation.js';
import { messageViews, nextViews, type MessageViews, type ViewsInput } from '../../client/conversation/message-views.js';
import type { OutboxEntry } from '../../client/local-store.js';
import { seeded } from '../support/seeded.js';

const alice: Writer = { userId: 'alice', role: 'write' };
const bob: Writer = { userId: 'bob', role: 'write' };
const carol: Writer = { userId: 'carol', role: 'write' };

/** The views without their basis (what the UI sees). */
const shown = (views: MessageViews): unknown => ({ ...views, basis: undefined });

describe('message views patched per change', () => {
  it('equal a full rebuild after random edits, deletes, reactions, receipts, acks, failures and new members', () => {
    for (const seed of [7, 8, 9]) {
      const random = seeded(seed).next;
      const doc = new Y.Doc();
      patchMessageLogs(doc);
      const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
      const durable = new Map<number, number>();
      let outbox: OutboxEntry[] = [];
      let failure: string | undefined;
      let views: MessageViews | undefined;
      let reused = 0;
      const writers = [alice, bob];
      for (let step = 0; step < 500; step++) {
        const writer = pick(writers)!;
        const log = readMessageLog(doc);
        const live = log.list.map((m) => m.current.record).filter((r) => !r.deleted);
        const roll = random();
        try {
          // Several changes may happen between two reads of the views (patches chain).
          for (let n = random() < 0.3 ? 3 : 1; n > 0; n--) {
            const r = n === 1 ? roll : random();
            if (r < 0.35 || live.length === 0) sendMessage(doc, writer, { text: `m${step} @alice`, ...(random() < 0.2 ? { mentions: ['alice'] } : {}) });
            else if (r < 0.45) {
              const own = live.filter((m) => m.author === writer.userId);
              if (own.length > 0) editMessage(doc, writer, pick(own)!.id, `edited ${step}`, random() < 0.5 ? ['alice'] : []);
            } else if (r < 0.52) {
              const own = live.filter((m) => m.author === writer.userId);
              if (own.length > 0) deleteMessage(doc, writer, pick(own)!.id);
            } else if (r < 0.6) react(doc, writer, pick(live)!.id, '👍');
            else if (r < 0.72) {
              const reader = pick([alice, bob, carol])!;
              const target = pick(live.filter((m) => m.author !== reader.userId));
              if (target) (random() < 0.5 ? markRead : markDelivered)(doc, reader, target.id);
            } else if (r < 0.78) {
              const root = pick(live.filter((m) => m.threadRoot === undefined));
              if (root) sendMessage(doc, writer, { text: `reply ${step}`, threadRoot: root.id, mentions: ['alice'] });
            } else if (r < 0.82) {
              const root = pick(live.filter((m) => m.threadRoot === undefined));
              const reply = root && pick(live.filter((m) => m.threadRoot === root.id));
              if (root && reply) markThreadRead(doc, alice, root.id, reply.id);
            } else if (r < 0.9) {
              // The relay acks (durable moves forward), or a failure comes and goes.
              durable.set(doc.clientID, Y.getState(doc.store, doc.clientID) - Math.floor(random() * 3));
            } else if (r < 0.93) failure = failure ? undefined : 'forbidden';
            else if (r < 0.96) {
              const id = newMessageId();
              outbox = random() < 0.5 ? [...outbox, { room: 'r', id, text: 'queued', createdAt: step } as OutboxEntry] : [];
            } else if (r < 0.98) {
              // Someone new takes part: every status's recipients move.
              const newcomer: Writer = { userId: `user${step}`, role: 'write' };
              setProfile(doc, newcomer, { name: `User ${step}` });
              writers.push(newcomer);
            } else if (live.length > 0) {
              // A raw write the model would not make: the log is rebuilt, and so are the views.
              doc.getArray('messages').insert(Math.floor(random() * live.length), [{ id: newMessageId(), author: 'bob', text: 'raw', createdAt: step }]);
            }
          }
        } catch (error) {
          if (!(error instanceof RuleError)) throw error;
        }
        const input: ViewsInput = { doc, log: readMessageLog(doc), userId: 'alice', durable: new Map(durable), outbox, failure };
        const before = views;
        views = nextViews(views, input);
        if (before && views.messages.length > 1 && views.messages[0] === before.messages[0]) reused++;
        expect(shown(views), `seed ${seed}, step ${step}`).toEqual(shown(messageViews(input)));
      }
      // Most changes were patched (views of untouched messages reused), not rebuilt.
      expect(reused).toBeGreaterThan(250);
    }
  });
});
