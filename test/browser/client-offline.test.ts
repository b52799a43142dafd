// Offline-first: writes with the relay down survive a reload, reach the other client exactly once, and land at the end.
import { expect } from '@esm-bundle/chai';
import { closeAll, open, relayInfo, startRelay, stopRelay, texts, uniqueRoom, uniqueUser, until } from './support/helpers.js';
import type { Conversation } from '../../client/index.js';

/** How many records with `id` the shared array holds (the view dedupes; this checks the wire did too). */
const recordsWithId = (c: Conversation, id: string): number =>
  c.doc.getArray<{ id: string }>('messages').toArray().filter((r) => r.id === id).length;

describe('client: offline', () => {
  afterEach(async () => {
    await closeAll();
    await startRelay(); // whatever happened, the next test gets a relay
  });

  it('keeps messages written with the relay down across a reload, and delivers them exactly once', async () => {
    const room = uniqueRoom('offline');
    const adaUser = uniqueUser('Ada');
    const ada = await open(room, adaUser);
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await ada.send('before');
    await until(bob, () => texts(bob).includes('before'), 'bob receives "before"');

    await stopRelay();
    await until(ada, (s) => s.connection.status === 'offline', 'ada notices');
    const one = await ada.send('offline 1');
    const two = await ada.reply(one.id, 'offline 2');
    expect(one).to.include({ status: 'sending', queued: true });
    expect(texts(ada)).to.deep.equal(['before', 'offline 1', 'offline 2']);
    await ada.close();

    // "Reload" with the relay still down: a new document, filled only from IndexedDB.
    const reloaded = await open(room, adaUser);
    await reloaded.loaded;
    expect(reloaded.getState().loaded).to.equal(true);
    expect(texts(reloaded)).to.deep.equal(['before', 'offline 1', 'offline 2']);
    expect(reloaded.getState().messages.slice(1).map((m) => m.status)).to.deep.equal(['sending', 'sending']);
    expect(reloaded.getState().messages[0]!.status).to.equal('delivered');
    expect(reloaded.getState().storage.status).to.equal('ready');

    await startRelay();
    await until(bob, () => texts(bob).includes('offline 2'), 'bob receives the offline messages', 15_000);
    await until(reloaded, (s) => s.messages.every((m) => m.status !== 'sending' && !m.queued), 'ada sees them sent', 15_000);
    expect(texts(bob)).to.deep.equal(['before', 'offline 1', 'offline 2']);
    expect(bob.getState().messages[2]!.replyTo).to.equal(one.id);
    expect(recordsWithId(bob, one.id)).to.equal(1);
    expect(recordsWithId(bob, two.id)).to.equal(1);
    // A second reload flushes nothing again: the outbox was emptied once the relay made them durable.
    await reloaded.close();
    const again = await open(room, adaUser);
    await until(again, (s) => s.connection.synced, 'again synced');
    expect(recordsWithId(again, one.id)).to.equal(1);
    expect(again.getState().messages.filter((m) => m.queued)).to.have.length(0);
  });

  it('shares the outbox between tabs and flushes it once', async () => {
    const room = uniqueRoom('tabs-offline');
    const adaUser = uniqueUser('Ada');
    const tab1 = await open(room, adaUser);
    const tab2 = await open(room, adaUser);
    const bob = await open(room, uniqueUser('Bob'));
    await until(tab1, (s) => s.connection.synced, 'tab1 synced');
    await until(tab2, (s) => s.connection.synced, 'tab2 synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await stopRelay();
    await until(tab1, (s) => s.connection.status === 'offline', 'tab 1 offline');
    const queued = await tab1.send('queued in tab 1');
    await until(tab2, () => texts(tab2).includes('queued in tab 1'), 'tab 2 shows it');
    expect(tab2.getState().messages[0]).to.include({ status: 'sending', queued: true });
    await startRelay();
    await until(bob, () => texts(bob).includes('queued in tab 1'), 'bob receives it', 15_000);
    await until(tab1, (s) => s.messages[0]?.status !== 'sending', 'sent', 15_000);
    await until(tab2, (s) => s.messages[0]?.status !== 'sending', 'sent in tab 2', 15_000);
    expect(texts(bob)).to.deep.equal(['queued in tab 1']);
    expect(bob.getState().messages).to.have.length(1);
    expect(recordsWithId(tab2, queued.id)).to.be.at.most(2); // two tabs may race; the view dedupes
  });

  it('appends messages composed offline after what others wrote meanwhile', async () => {
    const room = uniqueRoom('order');
    const adaUser = uniqueUser('Ada');
    const ada = await open(room, adaUser);
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await ada.send('first');
    await until(bob, () => texts(bob).includes('first'), 'bob receives "first"');
    await ada.close();

    // Ada's network is down (nothing listens on that port) while Bob keeps chatting.
    const offline = await open(room, adaUser, { relayUrl: 'ws://127.0.0.1:9' });
    await offline.loaded;
    await until(offline, (s) => s.connection.status === 'offline', 'offline against a closed port');
    await offline.send('ada wrote this offline');
    await bob.send('bob 1');
    await bob.send('bob 2');
    await offline.close();

    const back = await open(room, adaUser);
    await until(bob, () => texts(bob).includes('ada wrote this offline'), 'bob receives it');
    const expected = ['first', 'bob 1', 'bob 2', 'ada wrote this offline'];
    expect(texts(bob)).to.deep.equal(expected);
    await until(back, () => texts(back).length === 4, 'back has all four messages');
    expect(texts(back)).to.deep.equal(expected);
  });

  it('reconnects with backoff when the relay restarts, without losing what was written meanwhile', async () => {
    const room = uniqueRoom('restart');
    const ada = await open(room, uniqueUser('Ada'));
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const { url } = await relayInfo();
    expect(url).to.match(/^ws:\/\/127\.0\.0\.1:\d+$/);
    await stopRelay();
    await until(bob, (s) => s.connection.status === 'offline' && s.connection.attempt >= 2, 'bob retried at least twice');
    const state = bob.getState().connection;
    expect(state.retryAt).to.be.a('number');
    await bob.send('while down');
    await startRelay();
    await until(ada, () => texts(ada).includes('while down'), 'ada receives', 15_000);
    await until(bob, (s) => s.connection.synced && s.connection.attempt === 0, 'bob synced again, attempts reset');
  });
});
