// Mentions in the client core against the real relay: pre-checked before queuing, kept by the outbox, edited, synced, counted unread.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { RuleError, setProfile, type Writer } from '../../shared/conversation.js';
import { Outbox } from '../../client/conversation/outbox.js';
import { localStoreFor } from '../../client/local-store.js';
import { closeAll, open, uniqueRoom, uniqueUser, until, waitFor } from './support/helpers.js';

/** Resolves with the RuleError code `action` rejects with. */
async function refusal(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    if (error instanceof RuleError) return error.code;
    throw error;
  }
  throw new Error('expected a RuleError');
}

describe('client: mentions', () => {
  afterEach(closeAll);

  it('refuses non-members and floods before queuing; sends, edits and counts members’ mentions', async () => {
    const room = uniqueRoom('client-mentions');
    const [adaUser, bobUser] = [uniqueUser('Ada'), uniqueUser('Bob')];
    const ada = await open(room, adaUser);
    const bob = await open(room, bobUser);
    await until(ada, (s) => s.connection.synced && s.profiles.has(bobUser.id), 'Bob’s profile at Ada');
    const before = ada.getState().messages.length;
    expect(await refusal(() => ada.send('hi @Mallory', { mentions: ['mallory-unknown'] }))).to.equal('mention-not-member');
    expect(await refusal(() => ada.send('hi', { mentions: Array.from({ length: 51 }, (_, i) => `u${i}`) }))).to.equal('too-many-mentions');
    expect(await refusal(() => ada.send('hi', { mentions: [bobUser.id, bobUser.id] }))).to.equal('bad-mentions');
    expect(ada.getState().messages.length, 'nothing queued').to.equal(before);

    const sent = await ada.send('hi @Bob', { mentions: [bobUser.id] });
    await until(bob, (s) => s.messages.find((m) => m.id === sent.id)?.mentions?.[0] === bobUser.id, 'the mention at Bob');
    await until(bob, (s) => s.unreadMentions === 1, 'one unread mention for Bob');
    await ada.edit(sent.id, 'hi all', { mentions: [] });
    await until(bob, (s) => s.messages.find((m) => m.id === sent.id)?.text === 'hi all', 'the edit at Bob');
    expect(bob.getState().messages.find((m) => m.id === sent.id)!.mentions).to.equal(undefined);
    await until(bob, (s) => s.unreadMentions === 0, 'no unread mention once the edit dropped it');
    expect(await refusal(() => ada.edit(sent.id, 'hi @M', { mentions: ['mallory-unknown'] }))).to.equal('mention-not-member');
  });

  it('the outbox keeps a queued message’s mentions, and an edit while queued replaces them', async () => {
    const { id } = uniqueUser('Ada');
    const room = uniqueRoom('outbox-mentions');
    const doc = new Y.Doc();
    setProfile(doc, { userId: 'bob-1', role: 'write' }, { name: 'Bob' });
    setProfile(doc, { userId: 'cleo-1', role: 'write' }, { name: 'Cleo' });
    let caughtUp = false;
    const outbox = new Outbox({
      room, userId: id, doc, store: localStoreFor(id),
      writer: (): Writer => ({ userId: id, role: 'write' }),
      isCaughtUp: () => caughtUp, isClosed: () => false, changed: () => undefined, settledIds: () => new Set(),
    });
    outbox.load([]);
    try {
      const entry = { room, id: 'queued-mention-1', text: '@Bob hi', createdAt: 1, mentions: ['bob-1'] };
      await outbox.add(entry);
      await outbox.edit(entry, '@Cleo hi', ['cleo-1']);
      expect((await localStoreFor(id).outbox(room))[0]!.mentions).to.deep.equal(['cleo-1']);
      caughtUp = true;
      outbox.flush();
      await waitFor(() => doc.getArray<{ mentions?: string[] }>('messages').toArray()[0], { what: 'flushed' });
      expect(doc.getArray<{ mentions?: string[] }>('messages').get(0).mentions).to.deep.equal(['cleo-1']);
    } finally {
      outbox.close();
    }
  });
});
