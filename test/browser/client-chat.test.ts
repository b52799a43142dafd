// Two clients chat through a real relay: messages, statuses sending → sent → delivered → read, typing, presence, inbox.
import { expect } from '@esm-bundle/chai';
import { listInbox, watchInbox, type InboxEntry } from '../../client/index.js';
import { closeAll, mintToken, open, texts, uniqueRoom, uniqueUser, until, waitFor } from './support/helpers.js';

describe('client: two clients chat', () => {
  afterEach(closeAll);

  it('exchanges messages both ways, in the same order on both sides', async () => {
    const room = uniqueRoom('chat');
    const ada = await open(room, uniqueUser('Ada'));
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await ada.send('hello bob');
    await until(bob, (s) => s.messages.some((m) => m.text === 'hello bob'), 'bob receives');
    const first = bob.getState().messages[0]!;
    await bob.reply(first.id, 'hi ada');
    await until(ada, (s) => s.messages.length === 2, 'ada receives the reply');
    expect(texts(ada)).to.deep.equal(['hello bob', 'hi ada']);
    expect(texts(bob)).to.deep.equal(['hello bob', 'hi ada']);
    expect(ada.getState().messages[1]!.replyTo).to.equal(first.id);
    expect(ada.getState().messages[1]!.mine).to.equal(false);

    ada.react(first.id, '👍');
    await ada.edit(first.id, 'hello bob (edited)');
    await until(bob, (s) => s.messages[0]!.text === 'hello bob (edited)' && s.messages[0]!.editedAt !== undefined, 'edit arrives');
    await waitFor(() => bob.doc.getMap('reactions').size === 1, { what: 'reaction arrives' });
    await ada.delete(first.id);
    await until(bob, (s) => s.messages[0]!.deleted, 'tombstone arrives');
    expect(bob.getState().messages).to.have.length(2);
  });

  it('moves a message through sending → sent → delivered → read', async () => {
    const room = uniqueRoom('status');
    const bobUser = uniqueUser('Bob');
    const ada = await open(room, uniqueUser('Ada'));
    const bobFirst = await open(room, bobUser);
    await until(ada, (s) => s.connection.synced, 'ada synced');
    // Bob becomes a member (his profile is written on sync), then goes away: "sent" must last until he returns.
    await until(ada, (s) => s.profiles.size === 2, 'both profiles known');
    await bobFirst.close();
    const seen: string[] = [];
    ada.subscribe((s) => {
      const status = s.messages.find((m) => m.text === 'ping')?.status;
      if (status && seen.at(-1) !== status) seen.push(status);
    });
    const sent = await ada.send('ping');
    expect(sent.status).to.equal('sending');
    await until(ada, (s) => s.messages.find((m) => m.id === sent.id)?.status === 'sent', 'sent (durable on the relay)');
    expect(ada.getState().messages[0]).to.include({ deliveredTo: 0, readBy: 0, recipients: 1 });
    const bob = await open(room, bobUser);
    await until(ada, (s) => s.messages.find((m) => m.id === sent.id)?.status === 'delivered', 'delivered');
    expect(bob.getState().unread).to.equal(1);
    expect(bob.markRead()).to.equal(true);
    expect(bob.getState().unread).to.equal(0);
    await until(ada, (s) => s.messages.find((m) => m.id === sent.id)?.status === 'read', 'read');
    expect(seen[0] === 'sending' ? seen : ['sending', ...seen]).to.deep.equal(['sending', 'sent', 'delivered', 'read']);
    expect(ada.getState().messages[0]).to.include({ deliveredTo: 1, readBy: 1, recipients: 1 });
    // Never a receipt for one's own message.
    expect(ada.markRead()).to.equal(false);
  });

  it('shows typing, clears it on send and expires it on the receiver', async () => {
    const room = uniqueRoom('typing');
    const ada = await open(room, uniqueUser('Ada'), { presence: { typingIdleMs: 400, typingExpireMs: 1_000 } });
    const bob = await open(room, uniqueUser('Bob'), { presence: { typingIdleMs: 400, typingExpireMs: 1_000 } });
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    ada.setTyping(true);
    await until(bob, (s) => s.typing.length === 1 && s.typing[0]!.name === 'Ada', 'typing appears');
    expect(ada.getState().typing).to.have.length(0); // never oneself
    await until(bob, (s) => s.typing.length === 0, 'typing idles out');
    ada.setTyping(true);
    await until(bob, (s) => s.typing.length === 1, 'typing again');
    await ada.send('done typing');
    await until(bob, (s) => s.typing.length === 0, 'cleared by send');
  });

  it('expires a typing state whose clear never arrives', async () => {
    const room = uniqueRoom('typing-expire');
    // Ada's own idle clear is far away: only Bob's expiry timer can remove it.
    const ada = await open(room, uniqueUser('Ada'), { presence: { typingIdleMs: 60_000 } });
    const bob = await open(room, uniqueUser('Bob'), { presence: { typingExpireMs: 800 } });
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    ada.setTyping(true);
    await until(bob, (s) => s.typing.length === 1, 'typing appears');
    const started = Date.now();
    await until(bob, (s) => s.typing.length === 0, 'typing expires on the receiver');
    expect(Date.now() - started).to.be.lessThan(3_000);
  });

  it('shows one presence entry per user across tabs, with busy and a custom status', async () => {
    const room = uniqueRoom('presence');
    const adaUser = uniqueUser('Ada');
    const ada1 = await open(room, adaUser);
    const ada2 = await open(room, adaUser);
    const bob = await open(room, uniqueUser('Bob'));
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await until(bob, (s) => s.presence.length === 2, 'two users present');
    expect(bob.getState().presence.map((p) => p.name).sort()).to.deep.equal(['Ada', 'Bob']);
    ada1.setPresence('busy', 'in a meeting');
    await until(bob, (s) => s.presence.find((p) => p.name === 'Ada')?.presence === 'busy', 'busy');
    expect(bob.getState().presence.find((p) => p.name === 'Ada')!.status).to.equal('in a meeting');
    await ada1.close();
    await ada2.close();
    await until(bob, (s) => s.presence.length === 1, 'ada leaves at once');
  });

  it('publishes presence under the token\'s name when the page gives another (the relay drops mismatched names)', async () => {
    const room = uniqueRoom('presence-name');
    const adaUser = { ...uniqueUser('Ada'), name: 'Ada from the host page' };
    const getToken = () => mintToken({ sub: adaUser.id, name: 'Ada', rooms: { [room]: 'write' } });
    const ada = await open(room, adaUser, { getToken });
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.presence.some((p) => p.id === adaUser.id), 'ada present for bob');
    expect(bob.getState().presence.find((p) => p.id === adaUser.id)!.name).to.equal('Ada');
  });

  it('turns idle users away, back online on input, and keeps lastSeen in the profile', async () => {
    const room = uniqueRoom('away');
    const adaUser = uniqueUser('Ada');
    const ada = await open(room, adaUser, { presence: { idleMs: 300 } });
    const bob = await open(room, uniqueUser('Bob'));
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.presence.find((p) => p.id === adaUser.id)?.presence === 'away', 'ada idles away');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    await until(bob, (s) => s.presence.find((p) => p.id === adaUser.id)?.presence === 'online', 'back online');
    const profile = await until(bob, (s) => s.profiles.get(adaUser.id), 'ada profile');
    expect((profile as { name: string }).name).to.equal('Ada');
    expect((profile as { lastSeen?: number }).lastSeen).to.be.a('number');
  });

  it('keeps two tabs of one user consistent, including messages queued in one of them', async () => {
    const room = uniqueRoom('tabs');
    const user = uniqueUser('Ada');
    const tab1 = await open(room, user);
    const tab2 = await open(room, user);
    await until(tab1, (s) => s.connection.synced, 'tab1 synced');
    await until(tab2, (s) => s.connection.synced, 'tab2 synced');
    await tab1.send('from tab 1');
    await until(tab2, (s) => texts(tab2).includes('from tab 1'), 'tab 2 sees it');
    await tab2.send('from tab 2');
    await until(tab1, (s) => s.messages.length === 2, 'tab 1 sees it');
    expect(texts(tab1)).to.deep.equal(texts(tab2));
  });

  it('keeps an inbox with unread counts and the last message', async () => {
    const room = uniqueRoom('inbox');
    const adaUser = uniqueUser('Ada');
    const bobUser = uniqueUser('Bob');
    const ada = await open(room, adaUser);
    const bob = await open(room, bobUser);
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await ada.send('one');
    await ada.send('two');
    const entry = await waitFor(async () => {
      const inbox = await listInbox(bobUser.id);
      const e = inbox.find((x) => x.room === room);
      return e && e.unread === 2 && e.lastMessage?.text === 'two' ? e : undefined;
    }, { what: 'bob inbox updated' });
    expect(entry.lastMessage!.authorName).to.equal('Ada');
    const updates: InboxEntry[][] = [];
    const stop = watchInbox(bobUser.id, (entries) => updates.push(entries));
    try {
      await waitFor(() => updates.length >= 1, { what: 'initial inbox' });
      await ada.send('three');
      await waitFor(() => updates.at(-1)?.find((x) => x.room === room)?.lastMessage?.text === 'three', { what: 'live inbox update' });
      expect(updates.at(-1)!.find((x) => x.room === room)!.unread).to.equal(3);
      bob.markRead();
      await waitFor(() => updates.at(-1)?.find((x) => x.room === room)?.unread === 0, { what: 'unread cleared' });
    } finally {
      stop();
    }
  });
});
