// Client benchmark: opening a conversation from IndexedDB (10k; first-screen curve 10k/50k/100k), bytes on a warm reconnect.
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { executeServerCommand } from '@web/test-runner-commands';
import { editMessage, getMessages, markRead, newMessageId, react, sendMessage, setProfile, type Writer } from '../shared/conversation.js';
import { openConversation, type Conversation, type ConversationState } from '../client/index.js';
import { mintToken, relayInfo, uniqueRoom, uniqueUser, waitFor } from '../test/browser/support/helpers.js';

const MESSAGES = 10_000;
const RUNS = 5;

const print = (line: string): Promise<unknown> => executeServerCommand('bench-print', { line });
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sentence = (i: number): string => `message ${i}: ${'the quick brown fox jumps over the lazy dog '.slice(0, 20 + (i % 40))}`;

/** Two people alternating message by message (worst case for Yjs item merging), with receipts and profiles. */
function buildHistory(ada: Writer, bob: Writer, count: number): Uint8Array {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (u: Uint8Array, origin: unknown) => origin !== b && Y.applyUpdate(b, u, a));
  b.on('update', (u: Uint8Array, origin: unknown) => origin !== a && Y.applyUpdate(a, u, b));
  setProfile(a, ada, { name: 'Ada' });
  setProfile(b, bob, { name: 'Bob' });
  for (let i = 0; i < count; i++) {
    const [doc, writer, reader, readerWriter] = i % 2 === 0 ? [a, ada, b, bob] : [b, bob, a, ada];
    const record = sendMessage(doc, writer, { text: sentence(i) });
    if (i % 50 === 0) markRead(reader, readerWriter, record.id);
  }
  return Y.encodeStateAsUpdate(a);
}

/**
 * The same shape as `buildHistory` (two authors alternating, each message its own Yjs item), written as plain records
 * (no rule checks per message, which would make 100k quadratic), with both profiles and one read mark each.
 */
function buildPlainHistory(ada: Writer, bob: Writer, count: number): Uint8Array {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (u: Uint8Array, origin: unknown) => origin !== b && Y.applyUpdate(b, u, a));
  b.on('update', (u: Uint8Array, origin: unknown) => origin !== a && Y.applyUpdate(a, u, b));
  setProfile(a, ada, { name: 'Ada' });
  setProfile(b, bob, { name: 'Bob' });
  const start = Date.now() - count * 1_000;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const [doc, writer] = i % 2 === 0 ? [a, ada] : [b, bob];
    ids.push(newMessageId());
    doc.getArray('messages').push([{ id: ids[i]!, author: writer.userId, text: sentence(i), createdAt: start + i * 1_000 }]);
  }
  markRead(a, ada, ids.at(-1)!);
  markRead(b, bob, ids.at(-2)!);
  return Y.encodeStateAsUpdate(a);
}

/** Puts `state` where the client's cache of `room` lives, as y-indexeddb keeps it after compaction (one stored update). */
async function seedCache(userId: string, room: string, state: Uint8Array): Promise<void> {
  const seed = new Y.Doc();
  Y.applyUpdate(seed, state);
  const persistence = new IndexeddbPersistence(`parley:${encodeURIComponent(userId)}:${room}`, seed);
  await persistence.whenSynced;
  await persistence.destroy();
  seed.destroy();
}

/** Main-thread tasks longer than 50 ms (Long Tasks API), collected from `since` on. */
function watchLongTasks(): { stop(since: number): number[] } {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ type: 'longtask', buffered: false });
  return {
    stop(since) {
      entries.push(...observer.takeRecords());
      observer.disconnect();
      return entries.filter((e) => e.startTime + e.duration >= since).map((e) => e.duration);
    },
  };
}

const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The main-thread cost of one change to a loaded conversation, per kind: from the write (one's own message, the
 * other person's read mark on it, their reaction to it, an edit of it, a message by them) until subscribers have
 * the new state, 5 of each, with the longest task over all of them (Long Tasks API, 0 = none above 50 ms). Each
 * write changes something (a no-op write would notify no one).
 */
async function measureChanges(chat: Conversation, other: Writer): Promise<Record<'own' | 'receipt' | 'react' | 'edit' | 'send', number[]> & { longest: number }> {
  const me: Writer = { userId: chat.user.id, role: 'write' };
  const costs = { own: [] as number[], receipt: [] as number[], react: [] as number[], edit: [] as number[], send: [] as number[] };
  let notified: (() => void) | undefined;
  const unsubscribe = chat.subscribe(() => notified?.());
  const tasks = watchLongTasks();
  const t0 = performance.now();
  const timed = async (kind: keyof typeof costs, write: () => void): Promise<void> => {
    await nextTask();
    const seen = new Promise<void>((resolve) => (notified = resolve));
    const start = performance.now();
    write();
    await seen;
    costs[kind].push(performance.now() - start);
  };
  const emoji = ['👍', '🎉', '❤️', '😂', '🚀'];
  for (let i = 0; i < 5; i++) {
    let id = '';
    await timed('own', () => (id = sendMessage(chat.doc, me, { text: `mine ${i}` }).id));
    await timed('receipt', () => markRead(chat.doc, other, id));
    await timed('react', () => react(chat.doc, other, id, emoji[i]!));
    await timed('edit', () => editMessage(chat.doc, me, id, `mine ${i}, edited`));
    await timed('send', () => sendMessage(chat.doc, other, { text: `theirs ${i}` }));
  }
  // Timers the changes scheduled (inbox summary, tail cache) run within this wait.
  await new Promise((r) => setTimeout(r, 1_500));
  unsubscribe();
  return { ...costs, longest: Math.max(0, ...tasks.stop(t0)) };
}

const connect = (room: string, user: { id: string; name: string }, url: string): Conversation =>
  openConversation({ relayUrl: url, room, user, getToken: () => mintToken({ sub: user.id, rooms: { [room]: 'write' } }) });

describe('client benchmark', () => {
  it(`opens a ${MESSAGES}-message conversation from IndexedDB`, async () => {
    const room = uniqueRoom('bench-open');
    const ada = uniqueUser('Ada');
    const bob = uniqueUser('Bob');
    const state = buildHistory({ userId: ada.id, role: 'write' }, { userId: bob.id, role: 'write' }, MESSAGES);
    // Put it where the client's cache lives, as y-indexeddb keeps it after compaction (one stored update).
    const seed = new Y.Doc();
    Y.applyUpdate(seed, state);
    const persistence = new IndexeddbPersistence(`parley:${encodeURIComponent(ada.id)}:${room}`, seed);
    await persistence.whenSynced;
    await persistence.destroy();

    const loadTimes: number[] = [];
    const viewTimes: number[] = [];
    // An unreachable relay: the figure is the cache alone, as when opening without network.
    for (let run = 0; run < RUNS; run++) {
      const t0 = performance.now();
      const chat = openConversation({ relayUrl: 'ws://127.0.0.1:9', room, user: ada, getToken: async () => 'x.y.z' });
      await chat.loaded;
      const { messages } = chat.getState();
      const t1 = performance.now();
      if (messages.length !== MESSAGES) throw new Error(`expected ${MESSAGES} messages, got ${messages.length}`);
      loadTimes.push(t1 - t0);
      // The share of that spent decoding the document (the rest is IndexedDB and building the view).
      const fresh = new Y.Doc();
      const t2 = performance.now();
      Y.applyUpdate(fresh, state);
      viewTimes.push(performance.now() - t2);
      await chat.close();
    }
    await print(`client: encoded size of ${MESSAGES} messages (2 authors alternating, receipts): ${(state.byteLength / 1024).toFixed(0)} KiB`);
    await print(`client: open a ${MESSAGES}-message conversation from IndexedDB until its messages (with statuses) are in memory: median ${median(loadTimes).toFixed(0)} ms (runs: ${loadTimes.map((t) => t.toFixed(0)).join(', ')})`);
    await print(`client: ... of which decoding the Yjs document (Y.applyUpdate): median ${median(viewTimes).toFixed(0)} ms`);
  });

  it('first screen from IndexedDB at 10k / 50k / 100k messages', async () => {
    for (const count of [10_000, 50_000, 100_000]) {
      const room = uniqueRoom(`bench-first-${count / 1000}k`);
      const ada = uniqueUser('Ada');
      const bob = uniqueUser('Bob');
      const state = buildPlainHistory({ userId: ada.id, role: 'write' }, { userId: bob.id, role: 'write' }, count);
      await seedCache(ada.id, room, state);
      const probe = new Y.Doc();
      Y.applyUpdate(probe, state);
      const newest = getMessages(probe).at(-1)!.id;
      probe.destroy();
      const open = (): Conversation => openConversation({ relayUrl: 'ws://127.0.0.1:9', room, user: ada, getToken: async () => 'x.y.z' });
      // A first visit (what any tail cache is written from), as a user who opened the room before would have had.
      const first = open();
      await first.loaded;
      await first.close();
      await new Promise((r) => setTimeout(r, 300));
      const screens: number[] = [];
      const fulls: number[] = [];
      const blocks: number[] = [];
      let changes: Awaited<ReturnType<typeof measureChanges>> | undefined;
      for (let run = 0; run < 3; run++) {
        await nextTask();
        const tasks = watchLongTasks();
        const t0 = performance.now();
        let screen = 0;
        let full = 0;
        const chat = open();
        await new Promise<void>((resolve) => {
          const seen = (s: ConversationState): void => {
            if (!screen && s.messages.at(-1)?.id === newest) screen = performance.now() - t0;
            if (!full && s.loaded && s.messages.length === count) full = performance.now() - t0;
            if (screen && full) resolve();
          };
          chat.subscribe(seen);
          seen(chat.getState());
        });
        // Let the tasks that follow loading (views, inbox, tail writes) run before reading the longest one.
        await new Promise((r) => setTimeout(r, 400));
        const longest = Math.max(0, ...tasks.stop(t0));
        if (run === 2) changes = await measureChanges(chat, { userId: bob.id, role: 'write' });
        await chat.close();
        screens.push(screen);
        fulls.push(full);
        blocks.push(longest);
      }
      const fmt = (v: number[]): string => `median ${median(v).toFixed(0)} ms (runs ${v.map((t) => t.toFixed(0)).join(', ')})`;
      await print(`client: first screen, ${count / 1000}k messages (${(state.byteLength / 1048576).toFixed(1)} MiB), warm from IndexedDB: newest messages in state ${fmt(screens)} — goal < 150 ms`);
      await print(`client:   full history in state ${fmt(fulls)}; longest main-thread task while loading ${fmt(blocks)} — goal ≤ 50 ms`);
      if (changes) {
        const med = (v: number[]): string => median(v).toFixed(1);
        await print(`client:   one change after load, ms from the write until subscribers have the state, median of 5: own message ${med(changes.own)}, their read mark ${med(changes.receipt)}, their reaction ${med(changes.react)}, own edit ${med(changes.edit)}, message by them ${med(changes.send)}; longest task over the 25 changes ${changes.longest.toFixed(0)} ms`);
      }
      // For `npm run bench` (bench/compare/first-screen.ts), which puts the curve on its report page.
      await print(`first-screen-json ${JSON.stringify({ messages: count, mib: state.byteLength / 1048576, screenMs: screens, fullMs: fulls, longestTaskMs: blocks })}`);
    }
  });

  it('exchanges little on a warm reconnect', async () => {
    const { url } = await relayInfo();
    const room = uniqueRoom('bench-reconnect');
    const ada = uniqueUser('Ada');
    const bob = uniqueUser('Bob');
    const a = connect(room, ada, url);
    const b = connect(room, bob, url);
    await waitFor(() => a.getState().connection.synced && b.getState().connection.synced);
    // 10k messages through the relay, in batches (one update each) so rate limits and frame limits hold.
    const batch = 500;
    for (let i = 0; i < MESSAGES; i += batch) {
      const [chat] = (i / batch) % 2 === 0 ? [a] : [b];
      chat.doc.transact(() => {
        for (let j = i; j < i + batch; j++) sendMessage(chat.doc, { userId: chat.user.id, role: 'write' }, { text: sentence(j) });
      });
      const other = chat === a ? b : a;
      await waitFor(() => other.getState().messages.length >= i + batch, { timeoutMs: 30_000 });
      other.markRead();
    }
    await waitFor(() => a.getState().messages.every((m) => !m.mine || m.status !== 'sending'), { timeoutMs: 30_000 });
    await a.close();

    const quiet = async (chat: Conversation): Promise<void> => {
      // The exchange is over when nothing moved for half a second after sync.
      let last = -1;
      await waitFor(async () => {
        const total = chat.stats.currentBytesIn + chat.stats.currentBytesOut;
        if (chat.getState().connection.synced && total === last) return true;
        last = total;
        await new Promise((r) => setTimeout(r, 500));
        return false;
      }, { timeoutMs: 30_000 });
    };

    // A returning client (a page reload) whose cache is up to date.
    const reopened = connect(room, ada, url);
    await reopened.loaded;
    await quiet(reopened);
    const reload = { in: reopened.stats.currentBytesIn, out: reopened.stats.currentBytesOut };
    // The same client's socket drops and comes back (no reload).
    const ws = (reopened as unknown as { connection: { provider: { ws: WebSocket | null } } }).connection.provider.ws;
    ws?.close();
    await waitFor(() => reopened.stats.opens >= 2, { timeoutMs: 10_000 });
    await quiet(reopened);
    const reconnect = { in: reopened.stats.currentBytesIn, out: reopened.stats.currentBytesOut };
    await print(`client: warm reload of a ${MESSAGES}-message room: ${reload.in + reload.out} B exchanged (in ${reload.in}, out ${reload.out}; sync both ways and awareness of 2 users) — goal < 1024 B`);
    await print(`client: warm reconnect of an open conversation: ${reconnect.in + reconnect.out} B exchanged (in ${reconnect.in}, out ${reconnect.out}) — goal < 1024 B`);
    await reopened.close();
    await b.close();
  });
});
