// Durable acks between tabs: a message one tab writes (or flushes from the shared outbox) turns "sent" in every tab of the user.
import { expect } from '@esm-bundle/chai';
import { closeAll, open, startRelay, stopRelay, texts, uniqueRoom, uniqueUser, until } from './support/helpers.js';
import type { Conversation } from '../../client/index.js';
import { sendMessage } from '../../shared/conversation.js';

/** The client ids that wrote the records with `id` (which tab's write it is). */
const writersOf = (c: Conversation, id: string): number[] => {
  const writers: number[] = [];
  const array = c.doc.getArray<{ id: string }>('messages');
  let item = (array as unknown as { _start: { id: { client: number }; content: { getContent(): { id: string }[] }; deleted: boolean; right: unknown } | null })._start;
  while (item) {
    if (!item.deleted && item.content.getContent().some((r) => r?.id === id)) writers.push(item.id.client);
    item = item.right as typeof item;
  }
  return writers;
};

describe('client: durable acks across tabs', () => {
  afterEach(async () => {
    await closeAll();
    await startRelay(); // whatever happened, the next test gets a relay
  });

  for (const transport of ['mux', 'room'] as const) {
    it(`shows a message another tab wrote as sent, though only that tab's socket was acked (${transport})`, async () => {
      const room = uniqueRoom(`tabs-ack-${transport}`);
      const adaUser = uniqueUser('Ada');
      // Two conversations of one user in one page: two sockets (two token sources), one outbox, live sync between them.
      const tab1 = await open(room, adaUser, { transport });
      const tab2 = await open(room, adaUser, { transport });
      const bob = await open(room, uniqueUser('Bob'), { transport });
      await until(tab1, (s) => s.connection.synced, 'tab 1 synced');
      await until(tab2, (s) => s.connection.synced, 'tab 2 synced');
      await until(bob, (s) => s.connection.synced, 'bob synced');
      // Tab 1's own writes are all acked first: no ack of tab 1's can carry tab 2's write by chance.
      await tab1.send('written in tab 1');
      await until(tab1, (s) => s.messages[0]?.status !== 'sending', 'tab 1 acked');
      const sent = await tab2.send('written in tab 2');
      await until(bob, () => texts(bob).includes('written in tab 2'), 'bob receives it');
      await until(tab2, (s) => s.messages[1]?.status !== 'sending', 'sent in tab 2');
      await until(tab1, () => texts(tab1).includes('written in tab 2'), 'tab 1 shows it');
      // Tab 1 wrote nothing since, so its own socket is never acked for this: it must learn from tab 2.
      expect(writersOf(tab1, sent.id)).to.deep.equal([tab2.doc.clientID]);
      await until(tab1, (s) => s.messages[1]?.status !== 'sending', 'sent in tab 1');
      expect(texts(tab1)).to.deep.equal(['written in tab 1', 'written in tab 2']);
    });
  }

  it('shows a message queued in a tab that cannot reach the relay as sent once another tab flushed it', async () => {
    const room = uniqueRoom('tabs-ack-flush');
    const adaUser = uniqueUser('Ada');
    // Tab 1's socket never connects (nothing listens there): it queues; tab 2 shares the outbox and flushes it.
    const tab1 = await open(room, adaUser, { relayUrl: 'ws://127.0.0.1:9' });
    const tab2 = await open(room, adaUser);
    const bob = await open(room, uniqueUser('Bob'));
    await tab1.loaded;
    await until(tab1, (s) => s.connection.status === 'offline', 'tab 1 offline');
    await until(tab2, (s) => s.connection.synced, 'tab 2 synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const queued = await tab1.send('queued in tab 1');
    expect(queued).to.include({ status: 'sending', queued: true });
    await until(bob, () => texts(bob).includes('queued in tab 1'), 'bob receives it (tab 2 flushed it)');
    await until(tab2, (s) => s.messages[0]?.status !== 'sending', 'sent in tab 2');
    await until(tab1, () => tab1.getState().messages[0]?.queued === false, 'tab 1 has it in its document');
    expect(writersOf(tab1, queued.id)).to.deep.equal([tab2.doc.clientID]);
    expect(tab1.getState().connection.synced).to.equal(false);
    await until(tab1, (s) => s.messages[0]?.status !== 'sending', 'sent in tab 1');
    expect(texts(bob)).to.deep.equal(['queued in tab 1']);
  });
  it('never takes a tab opening on the channel for the relay: a write the relay never got stays sending (room)', async () => {
    const room = uniqueRoom('tabs-ack-announce');
    const adaUser = uniqueUser('Ada');
    const tab1 = await open(room, adaUser, { transport: 'room' });
    await until(tab1, (s) => s.connection.synced, 'tab 1 synced');
    await stopRelay();
    await until(tab1, (s) => s.connection.status === 'offline', 'tab 1 offline');
    // A write the relay never received (as one made just before a socket died): in the document only.
    const record = sendMessage(tab1.doc, { userId: adaUser.id, role: 'write' }, { text: 'not on the relay' });
    expect(tab1.getState().messages[0]).to.include({ id: record.id, status: 'sending' });
    // A second tab opens: it loads that write from IndexedDB and announces its state on the tabs' channel.
    const tab2 = await open(room, adaUser, { transport: 'room' });
    await tab2.loaded;
    expect(texts(tab2)).to.deep.equal(['not on the relay']);
    await until(tab2, (s) => s.connection.status === 'offline', 'tab 2 tried the relay');
    expect(tab1.getState().messages[0]!.status, 'tab 1 after tab 2 announced itself').to.equal('sending');
    expect(tab2.getState().messages[0]!.status).to.equal('sending');
    await startRelay();
    await until(tab1, (s) => s.messages[0]?.status !== 'sending', 'sent in tab 1 once the relay has it', 15_000);
    await until(tab2, (s) => s.messages[0]?.status !== 'sending', 'sent in tab 2', 15_000);
  });
});
