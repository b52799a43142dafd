// The multiplexed endpoint from the client: one socket for all conversations, token in band, per-document refusals.
import { expect } from '@esm-bundle/chai';
import { openConversation, type Conversation, type GetToken } from '../../client/index.js';
import { closeAll, mintToken, open, relayInfo, texts, uniqueRoom, uniqueUser, until, waitFor } from './support/helpers.js';

/** Every WebSocket the page opens from now on (URL and the socket), until `stop()`. */
function watchSockets(): { urls: string[]; sockets: WebSocket[]; stop: () => void } {
  const Original = window.WebSocket;
  const urls: string[] = [];
  const sockets: WebSocket[] = [];
  window.WebSocket = class extends Original {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      urls.push(String(url));
      sockets.push(this);
    }
  } as typeof WebSocket;
  return { urls, sockets, stop: () => { window.WebSocket = Original; } };
}

const mine: Conversation[] = [];
async function openAll(rooms: string[], user: { id: string; name: string }, getToken: GetToken): Promise<Conversation[]> {
  const { url } = await relayInfo();
  const list = rooms.map((room) => openConversation({ relayUrl: url, room, user, getToken, transport: 'mux', backoff: { baseMs: 100, maxMs: 1_000 } }));
  mine.push(...list);
  return list;
}

describe('client: multiplexed sync', () => {
  let watch: ReturnType<typeof watchSockets> | undefined;
  afterEach(async () => {
    watch?.stop();
    watch = undefined;
    await Promise.all(mine.splice(0).map((c) => c.close()));
    await closeAll();
  });

  it('carries every conversation of a token source on one socket, with no token in its URL', async () => {
    const user = uniqueUser('Ada');
    const rooms = Array.from({ length: 6 }, (_, i) => uniqueRoom(`mux-${i}`));
    const getToken: GetToken = () => mintToken({ sub: user.id, name: user.name, rooms: { '*': 'write' } });
    watch = watchSockets();
    const conversations = await openAll(rooms, user, getToken);
    for (const [i, c] of conversations.entries()) await until(c, (s) => s.connection.synced, `conversation ${i} synced`);
    expect(watch.urls, 'sockets opened').to.have.length(1);
    expect(watch.urls[0]).to.match(/\/sync$/);
    // Each one works on its own: a peer in each room receives what was sent there.
    const bob = uniqueUser('Bob');
    const peers = await Promise.all(rooms.slice(0, 2).map((room) => open(room, bob)));
    for (const peer of peers) await until(peer, (s) => s.connection.synced, 'bob synced');
    await conversations[0]!.send('to room 0');
    await conversations[1]!.send('to room 1');
    await until(peers[0]!, () => texts(peers[0]!).includes('to room 0'), 'room 0 peer receives');
    await until(peers[1]!, () => texts(peers[1]!).includes('to room 1'), 'room 1 peer receives');
    expect(texts(peers[0]!)).to.deep.equal(['to room 0']);
    await until(conversations[0]!, (s) => s.messages[0]?.status !== 'sending', 'durable ack over the shared socket');
    // Closing one detaches it; the socket stays for the others and closes with the last.
    await conversations[5]!.close();
    await conversations[0]!.send('still here');
    await until(peers[0]!, () => texts(peers[0]!).includes('still here'), 'room 0 still live after another detached');
    await Promise.all(conversations.map((c) => c.close()));
    await waitFor(() => watch!.sockets[0]!.readyState === WebSocket.CLOSED, { what: 'the socket closed with its last conversation' });
  });

  it('fails only the conversation the token does not grant (4403), the others keep running', async () => {
    const user = uniqueUser('Eve');
    const granted = uniqueRoom('mux-granted');
    const other = uniqueRoom('mux-other');
    const refused = uniqueRoom('mux-refused');
    const getToken: GetToken = () => mintToken({ sub: user.id, rooms: { [granted]: 'write', [other]: 'write' } });
    watch = watchSockets();
    const [a, b, c] = await openAll([granted, refused, other], user, getToken);
    await until(b!, (s) => s.connection.status === 'forbidden', 'the ungranted room is forbidden');
    expect(b!.getState().connection.code).to.equal(4403);
    expect(b!.getState().connection.reason).to.be.a('string').and.not.equal('');
    const failed = await b!.send('nobody will see this');
    expect(failed.status).to.equal('failed');
    await until(a!, (s) => s.connection.synced, 'granted room synced');
    await until(c!, (s) => s.connection.synced, 'other granted room synced');
    await a!.send('fine');
    await until(a!, (s) => s.messages[0]?.status === 'sent', 'granted room still writes (durable ack)');
    expect(watch.urls, 'one socket for all three').to.have.length(1);
    b!.reconnect(); // final: ignored
    expect(b!.getState().connection.status).to.equal('forbidden');
  });

  it('refreshes the token in band on the open socket: no reconnect, nothing lost', async function () {
    this.timeout(60_000);
    const user = uniqueUser('Ada');
    const room = uniqueRoom('mux-refresh');
    const requests: boolean[] = [];
    const getToken: GetToken = ({ forceRefresh }) => {
      requests.push(forceRefresh);
      // 6 s tokens are refreshed 2 s before expiry: two in-band refreshes while writing (the relay allows 5 auth
      // frames at once, then 10 a minute).
      return mintToken({ sub: user.id, rooms: { [room]: 'write' }, ttlSeconds: 6 });
    };
    watch = watchSockets();
    const [ada] = await openAll([room], user, getToken);
    const bob = await open(room, uniqueUser('Bob'), { transport: 'room' });
    await until(ada!, (s) => s.connection.synced, 'ada synced');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const sent: string[] = [];
    const until11s = Date.now() + 11_000;
    while (Date.now() < until11s) {
      const text = `m${sent.length}`;
      await ada!.send(text);
      sent.push(text);
      await new Promise((r) => setTimeout(r, 150));
    }
    await until(bob, () => texts(bob).length === sent.length, 'bob has them all', 15_000);
    expect(texts(bob)).to.deep.equal(sent);
    await until(ada!, (s) => s.messages.every((m) => m.status !== 'sending' && !m.queued), 'all durable', 15_000);
    expect(requests.length, 'tokens fetched').to.be.greaterThan(2);
    expect(watch.urls.filter((u) => u.endsWith('/sync')), 'sockets opened across two token lifetimes').to.have.length(1);
    expect(ada!.stats.opens, 'attached once').to.equal(1);
  });
});
