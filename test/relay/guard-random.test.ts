// Thousands of valid operations by honest users, online and offline, through a real relay: never refused, and they converge.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { WebsocketProvider } from 'y-websocket';
import { createConversationGuard } from '../../relay/update-guard.js';
import {
  deleteMessage, editMessage, getMessages, getReceipts, markDelivered, markRead, react, RuleError,
  sendMessage, setProfile, unreact, type Writer,
} from '../../shared/conversation.js';
import { connectProvider, exportDoc, mintToken, useTestRelay, waitFor } from './helpers.js';
import { seeded } from '../support/seeded.js';

const ROOM = 'busy-room';

describe('honest traffic under the guard', () => {
  const server = useTestRelay({ checkUpdate: createConversationGuard() });
  it('3,000 random valid operations by four replicas, with offline periods, are never refused and converge', { timeout: 120_000 }, async () => {
    const { relay } = server;
    const random = seeded(42);
    const writers: Writer[] = [
      { userId: 'alice', role: 'write' },
      { userId: 'alice', role: 'write' }, // alice's second device
      { userId: 'bob', role: 'write' },
      { userId: 'mod', role: 'admin' },
    ];
    const closes: string[] = [];
    const replicas: Array<{ writer: Writer; provider: WebsocketProvider; doc: Y.Doc }> = [];
    for (const writer of writers) {
      const token = await mintToken({ sub: writer.userId, rooms: { [ROOM]: writer.role } });
      const provider = connectProvider(relay, ROOM, token);
      provider.on('connection-close', (event: { code: number; reason: string } | null) => {
        if (event && event.code >= 4000) closes.push(`${writer.userId}: ${event.code} ${event.reason}`);
      });
      replicas.push({ writer, provider, doc: provider.doc });
    }
    let refusedLocally = 0;
    for (let op = 0; op < 3000; op++) {
      const replica = random.pick(replicas);
      const { doc, writer, provider } = replica;
      const roll = random.next();
      if (roll < 0.03) {
        if (provider.shouldConnect) provider.disconnect();
        else provider.connect();
        continue;
      }
      const messages = getMessages(doc);
      const live = messages.filter((m) => !m.deleted);
      const mine = live.filter((m) => m.author === writer.userId);
      const others = live.filter((m) => m.author !== writer.userId);
      try {
        if (roll < 0.35 || live.length === 0) sendMessage(doc, writer, { text: `message ${op}`, ...(live.length > 0 && random.next() < 0.2 ? { replyTo: random.pick(live).id } : {}) });
        else if (roll < 0.45 && mine.length > 0) editMessage(doc, writer, random.pick(mine).id, `edited ${op}`);
        else if (roll < 0.5 && (mine.length > 0 || writer.role === 'admin')) deleteMessage(doc, writer, random.pick(writer.role === 'admin' ? live : mine).id);
        else if (roll < 0.6) react(doc, writer, random.pick(live).id, random.pick(['👍', '🎉']));
        else if (roll < 0.65) unreact(doc, writer, random.pick(live).id, random.pick(['👍', '🎉']));
        else if (roll < 0.75 && others.length > 0) markDelivered(doc, writer, random.pick(others).id);
        else if (roll < 0.9 && others.length > 0) markRead(doc, writer, others.at(-1)!.id);
        else setProfile(doc, writer, { name: writer.userId, lastSeen: 1_700_000_000_000 + op });
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
        refusedLocally++;
      }
      // Let the sockets carry what was written, so updates interleave at the relay as they would live.
      if (op % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const { provider } of replicas) if (!provider.shouldConnect) provider.connect();
    const svOf = (doc: Y.Doc) => Buffer.from(Y.encodeStateVector(doc)).toString('base64');
    await waitFor(async () => {
      const stored = svOf(await exportDoc(relay, ROOM));
      return replicas.every(({ doc, provider }) => provider.synced && svOf(doc) === stored);
    }, 60_000, `replicas converged with the relay (closes: ${closes.slice(0, 5).join("; ")})`).catch(async (error: Error) => {
      throw new Error(`${error.message}; ${closes.slice(0, 5).join("; ")}; metrics: ${(await (await fetch(`${relay.url}/metrics`)).text()).split("\n").filter((l) => l.includes("refusal")).join(" ")}`);
    });
    expect(closes).toEqual([]);
    const reference = getMessages(replicas[0]!.doc);
    expect(reference.length).toBeGreaterThan(500);
    for (const { doc } of replicas) {
      expect(getMessages(doc)).toEqual(reference);
      for (const user of ['alice', 'bob', 'mod']) expect(getReceipts(doc, user)).toEqual(getReceipts(replicas[0]!.doc, user));
    }
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).not.toMatch(/parley_write_refusals_total\{[^}]*\} [1-9]/);
    console.log(`guard: ${reference.length} messages, ${refusedLocally} operations refused locally by the model's pre-checks, 0 by the relay`);
    for (const { provider } of replicas) provider.destroy();
  });
});
