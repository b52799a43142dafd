// Randomized convergence: replicas edit concurrently, go offline, receive updates out of order, and must converge.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  deleteMessage, editMessage, getMessages, getReceipts, markDelivered, markRead, react, readMessageLog,
  reactionsSummary, RuleError, sendMessage, setProfile, unreact, unreadCount, type Writer,
} from '../../shared/conversation.js';
import { seeded } from '../support/seeded.js';

interface Replica {
  doc: Y.Doc;
  writer: Writer;
  online: boolean;
  /** Marks this replica has shown per user: they must never move backwards. */
  seenMarks: Map<string, { delivered?: string; read?: string }>;
}

/** In the manner of Yjs's TestConnector: every update is queued per link and delivered in random order. */
function simulate(seed: number, steps: number) {
  const random = seeded(seed);
  const writers: Writer[] = [
    { userId: 'alice', role: 'write' },
    { userId: 'bob', role: 'write' },
    { userId: 'bob', role: 'write' }, // bob's second device
    { userId: 'mod', role: 'admin' },
  ];
  const replicas: Replica[] = writers.map((writer) => ({ doc: new Y.Doc(), writer, online: true, seenMarks: new Map() }));
  const queues = new Map<string, Uint8Array[]>();
  const link = (from: number, to: number) => `${from}>${to}`;
  replicas.forEach((replica, from) => {
    replica.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'remote') return;
      replicas.forEach((_, to) => {
        if (to !== from) (queues.get(link(from, to)) ?? queues.set(link(from, to), []).get(link(from, to))!).push(update);
      });
    });
  });
  const sent = new Set<string>();
  let refused = 0;

  const checkMonotonic = (replica: Replica) => {
    const store = replica.doc.store;
    if (store.pendingStructs !== null || store.pendingDs !== null) return; // still waiting for causal predecessors
    const log = readMessageLog(replica.doc);
    for (const user of ['alice', 'bob', 'mod']) {
      const marks = getReceipts(replica.doc, user, log);
      const seen = replica.seenMarks.get(user) ?? {};
      for (const field of ['delivered', 'read'] as const) {
        const before = seen[field];
        if (before !== undefined) {
          expect(marks[field], `${field} of ${user} vanished (seed ${seed})`).toBeDefined();
          expect(log.compare(marks[field]!, before), `${field} of ${user} moved back (seed ${seed})`).toBeGreaterThanOrEqual(0);
        }
      }
      replica.seenMarks.set(user, marks);
    }
  };

  const deliver = (from: number, to: number, all = false) => {
    const queue = queues.get(link(from, to));
    while (queue && queue.length > 0) {
      const index = all ? 0 : random.int(queue.length); // out of order, too
      const [update] = queue.splice(index, 1);
      Y.applyUpdate(replicas[to]!.doc, update!, 'remote');
      checkMonotonic(replicas[to]!);
      if (!all) return;
    }
  };

  const operate = (replica: Replica) => {
    const { doc, writer } = replica;
    const messages = getMessages(doc);
    const live = messages.filter((m) => !m.deleted);
    const mine = live.filter((m) => m.author === writer.userId);
    const others = live.filter((m) => m.author !== writer.userId);
    const roll = random.next();
    try {
      if (roll < 0.3 || messages.length === 0) {
        const replyTo = messages.length > 0 && random.next() < 0.3 ? random.pick(messages).id : undefined;
        sent.add(sendMessage(doc, writer, { text: `m${random.int(1e6)}`, ...(replyTo ? { replyTo } : {}) }).id);
      } else if (roll < 0.4 && mine.length > 0) {
        editMessage(doc, writer, random.pick(mine).id, `edit ${random.int(1e6)}`);
      } else if (roll < 0.45 && (mine.length > 0 || (writer.role === 'admin' && live.length > 0))) {
        deleteMessage(doc, writer, random.pick(writer.role === 'admin' ? live : mine).id);
      } else if (roll < 0.55 && live.length > 0) {
        react(doc, writer, random.pick(live).id, random.pick(['👍', '🎉', '❤️']));
      } else if (roll < 0.6 && live.length > 0) {
        unreact(doc, writer, random.pick(live).id, random.pick(['👍', '🎉', '❤️']));
      } else if (roll < 0.75 && others.length > 0) {
        markDelivered(doc, writer, random.pick(others).id);
      } else if (roll < 0.9 && others.length > 0) {
        markRead(doc, writer, random.pick(others).id);
      } else {
        setProfile(doc, writer, { name: writer.userId.toUpperCase(), lastSeen: 1_700_000_000_000 + random.int(1e6) });
      }
    } catch (error) {
      if (!(error instanceof RuleError)) throw error;
      refused++;
    }
    checkMonotonic(replica);
  };

  for (let step = 0; step < steps; step++) {
    const roll = random.next();
    if (roll < 0.45) {
      operate(random.pick(replicas));
    } else if (roll < 0.9) {
      const from = random.int(replicas.length);
      const to = random.int(replicas.length);
      if (from !== to && replicas[from]!.online && replicas[to]!.online) deliver(from, to);
    } else {
      const replica = random.pick(replicas);
      replica.online = !replica.online; // offline periods: nothing in or out until back
    }
  }
  for (const replica of replicas) replica.online = true;
  replicas.forEach((_, from) => replicas.forEach((_, to) => from !== to && deliver(from, to, true)));
  return { replicas, sent, refused };
}

describe('convergence under random interleavings', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`seed ${seed}: replicas converge, lose nothing, keep one order and monotonic receipts`, () => {
      const { replicas, sent, refused } = simulate(seed, 600);
      const [first, ...rest] = replicas.map((r) => r.doc);
      const reference = getMessages(first!);
      expect(reference.length).toBeGreaterThan(10);
      expect(new Set(reference.map((m) => m.id))).toEqual(sent);
      for (const doc of rest) {
        expect(doc.store.pendingStructs).toBeNull();
        expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(first!));
        expect(getMessages(doc)).toEqual(reference);
        for (const user of ['alice', 'bob', 'mod']) {
          expect(getReceipts(doc, user)).toEqual(getReceipts(first!, user));
          expect(unreadCount(doc, user)).toBe(unreadCount(first!, user));
        }
        for (const message of reference) expect(reactionsSummary(doc, message.id)).toEqual(reactionsSummary(first!, message.id));
      }
      // Refusals are the model refusing impossible moves (e.g. editing what a concurrent delete removed), never crashes.
      expect(refused).toBeGreaterThanOrEqual(0);
    });
  }
});
