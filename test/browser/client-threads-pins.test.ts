// Threads and pins through the client core, two browsers' worth of conversations on a real relay, including offline thread replies.
import { expect } from '@esm-bundle/chai';
import { RuleError } from '../../client/index.js';
import { closeAll, open, startRelay, stopRelay, uniqueRoom, uniqueUser, until } from './support/helpers.js';

describe('client: threads and pins', () => {
  afterEach(async () => {
    await startRelay();
    await closeAll();
  });

  it('replies in a thread, keeps it out of the main unread count, and counts unread per thread', async () => {
    const room = uniqueRoom('threads');
    const ada = await open(room, uniqueUser('Ada'));
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const root = await ada.send('shall we ship on friday?');
    await until(bob, (s) => s.messages.some((m) => m.id === root.id), 'bob sees the root');
    bob.markRead();
    await bob.replyInThread(root.id, 'yes');
    await bob.replyInThread(root.id, 'and tell the team', { alsoInMain: true });
    await until(ada, (s) => s.threads[0]?.replies === 2, 'ada sees two replies');
    const thread = ada.getState().threads[0]!;
    expect(thread.root).to.equal(root.id);
    expect(thread.unread).to.equal(2);
    // Only the reply also sent to the conversation counts in the conversation.
    expect(ada.getState().unread).to.equal(1);
    expect(ada.markThreadRead(root.id)).to.equal(true);
    expect(ada.getState().threads[0]!.unread).to.equal(0);
    let refused: unknown;
    await ada.replyInThread(thread.lastReplyId, 'nested?').catch((e: unknown) => (refused = e));
    expect(refused).to.be.instanceOf(RuleError);
    expect((refused as RuleError).code).to.equal('thread-nested');
  });

  it('queues thread replies written offline and delivers them under their root', async () => {
    const room = uniqueRoom('threads-offline');
    const ada = await open(room, uniqueUser('Ada'));
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const root = await ada.send('offline thread root');
    await until(bob, (s) => s.messages.some((m) => m.id === root.id), 'bob sees the root');
    await stopRelay();
    await until(bob, (s) => !s.connection.synced, 'bob offline');
    const queued = await bob.replyInThread(root.id, 'written on the train');
    expect(queued.queued).to.equal(true);
    expect(queued.threadRoot).to.equal(root.id);
    await startRelay();
    await until(ada, (s) => s.threads[0]?.replies === 1, 'the offline reply arrives in the thread', 20_000);
    expect(ada.getState().messages.find((m) => m.id === queued.id)!.threadRoot).to.equal(root.id);
  });

  it('lets an admin pin for everyone, refuses a member in a group, and drops the pin of a deleted message', async () => {
    const room = uniqueRoom('pins');
    const mod = await open(room, uniqueUser('Mod'), { role: 'admin' });
    const ada = await open(room, uniqueUser('Ada'));
    await until(mod, (s) => s.connection.synced && s.role === 'admin', 'mod synced');
    await until(ada, (s) => s.connection.synced && s.role === 'write', 'ada synced');
    const m = await ada.send('the wifi password is on the fridge');
    await until(mod, (s) => s.messages.some((x) => x.id === m.id), 'mod sees it');
    expect(ada.getState().canPin).to.equal(false);
    expect(mod.getState().canPin).to.equal(true);
    let refused: unknown;
    try {
      ada.pin(m.id);
    } catch (error) {
      refused = error;
    }
    expect((refused as RuleError).code).to.equal('pin-not-allowed');
    mod.pin(m.id);
    await until(ada, (s) => s.pins.length === 1, 'ada sees the pin');
    await ada.edit(m.id, 'the wifi password changed');
    await until(mod, (s) => s.pins[0]?.message.text === 'the wifi password changed', 'the pin survives the edit');
    await ada.delete(m.id);
    await until(mod, (s) => s.pins.length === 0, 'the deleted message left the pins');
  });

  it('lets both people of a direct conversation pin', async () => {
    const room = uniqueRoom('pins-direct');
    const mod = await open(room, uniqueUser('Mod'), { role: 'admin' });
    await until(mod, (s) => s.connection.synced && s.role === 'admin', 'mod synced');
    mod.setMeta({ kind: 'direct' });
    const ada = await open(room, uniqueUser('Ada'));
    await until(ada, (s) => s.connection.synced && s.meta.kind === 'direct' && s.role === 'write', 'ada sees a direct room');
    const m = await ada.send('our address');
    expect(ada.getState().canPin).to.equal(true);
    ada.pin(m.id);
    await until(mod, (s) => s.pins.length === 1, 'the pin reached the other person');
  });
});
