// Local data: logout wipes it, and IndexedDB failures leave a working in-memory conversation with a clear state.
import { expect } from '@esm-bundle/chai';
import { listInbox, logout } from '../../client/index.js';
import { closeAll, open, stopRelay, startRelay, texts, uniqueRoom, uniqueUser, until, waitFor } from './support/helpers.js';

const databasesOf = async (userId: string): Promise<string[]> =>
  (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith(`parley:${encodeURIComponent(userId)}`));

describe('client: local data', () => {
  afterEach(async () => {
    await closeAll();
    await startRelay();
  });

  it('logout leaves no conversation data in IndexedDB', async () => {
    const user = uniqueUser('Ada');
    const rooms = [uniqueRoom('logout-a'), uniqueRoom('logout-b')];
    const a = await open(rooms[0]!, user);
    const b = await open(rooms[1]!, user);
    await until(a, (s) => s.connection.synced, 'a synced');
    await until(b, (s) => s.connection.synced, 'b synced');
    await a.send('secret one');
    await stopRelay();
    await until(b, (s) => s.connection.status === 'offline', 'b offline');
    await b.send('queued secret');
    await waitFor(async () => (await listInbox(user.id)).length === 2, { what: 'inbox has both rooms' });
    expect((await databasesOf(user.id)).length).to.be.greaterThan(2);

    await logout(user.id);
    expect(a.getState().closed).to.equal(true);
    expect(b.getState().closed).to.equal(true);
    expect(await databasesOf(user.id)).to.deep.equal([]);
    expect(await listInbox(user.id)).to.deep.equal([]);
    await startRelay();
    // Reopening shows nothing local (the relay still has the room, and serves it again after sync).
    const again = await open(rooms[1]!, user);
    await again.loaded;
    expect(texts(again)).to.deep.equal([]);
  });

  it('works in memory with a clear state when IndexedDB cannot be opened', async () => {
    const room = uniqueRoom('no-idb');
    const user = uniqueUser('Ada');
    const original = IDBFactory.prototype.open;
    IDBFactory.prototype.open = function () {
      throw new DOMException('IndexedDB is disabled', 'InvalidStateError');
    };
    let ada;
    try {
      ada = await open(room, user);
      await ada.loaded;
    } finally {
      IDBFactory.prototype.open = original;
    }
    expect(ada.getState().storage.status).to.equal('unavailable');
    expect(ada.getState().storage.error).to.contain('disabled');
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced, 'ada synced');
    await ada.send('from memory');
    await until(bob, () => texts(bob).includes('from memory'), 'bob receives "from memory"');
    await until(ada, (s) => s.messages[0]?.status === 'delivered', 'statuses still work');
  });

  it('reports storage lost mid-session and keeps chatting', async () => {
    const room = uniqueRoom('idb-lost');
    const user = uniqueUser('Ada');
    const ada = await open(room, user);
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced && s.storage.status === 'ready', 'ada synced with storage ready');
    // Another tab (or the user clearing site data) deletes the conversation's database.
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.deleteDatabase(`parley:${encodeURIComponent(user.id)}:${room}`);
      req.onsuccess = () => resolve();
      req.onerror = () => reject(req.error);
    });
    await until(ada, (s) => s.storage.status === 'failed', 'storage failed');
    await ada.send('still here');
    await until(bob, () => texts(bob).includes('still here'), 'bob receives "still here"');
  });
});
