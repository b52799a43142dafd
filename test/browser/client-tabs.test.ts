// One socket per browser: tabs of a user elect a leader (Web Locks) that holds the /sync socket; hand-over when it closes.
import { expect } from '@esm-bundle/chai';
import * as client from '../../client/index.js';
import type { Conversation, GetToken, OpenConversationOptions } from '../../client/index.js';
import { closeAll, mintToken, open, relayInfo, texts, uniqueRoom, uniqueUser, until, waitFor, watchSockets } from './support/helpers.js';

/** Another tab: a same-origin iframe with its own copy of the client library, counting the sockets it opens. */
interface Tab {
  frame: HTMLIFrameElement;
  client: typeof client;
  sockets: string[];
}

async function openTab(): Promise<Tab> {
  const id = Math.random().toString(36).slice(2);
  const frame = document.createElement('iframe');
  frame.srcdoc = `<script type="module">
    const sockets = [];
    const Original = WebSocket;
    window.WebSocket = class extends Original { constructor(url, protocols) { super(url, protocols); sockets.push(String(url)); } };
    window.tab = { client: await import('/client/index.ts'), sockets };
    parent.postMessage('tab-ready:${id}', '*');
  </script>`;
  const ready = new Promise<void>((resolve) => {
    const listener = (event: MessageEvent): void => {
      if (event.data !== `tab-ready:${id}`) return;
      window.removeEventListener('message', listener);
      resolve();
    };
    window.addEventListener('message', listener);
  });
  document.body.append(frame);
  await ready;
  const tab = (frame.contentWindow as unknown as { tab: Omit<Tab, 'frame'> }).tab;
  return { frame, ...tab };
}


const syncSockets = (urls: string[]): number => urls.filter((u) => u.endsWith('/sync')).length;
const recordsWithId = (c: Conversation, id: string): number =>
  c.doc.getArray<{ id: string }>('messages').toArray().filter((r) => r.id === id).length;

describe('client: one socket per browser (leader tab)', () => {
  const tabs: Tab[] = [];
  const opened: Conversation[] = [];
  let watch: ReturnType<typeof watchSockets> | undefined;

  afterEach(async () => {
    watch?.stop();
    watch = undefined;
    await Promise.all(opened.splice(0).map((c) => c.close()));
    for (const tab of tabs.splice(0)) tab.frame.remove();
    await closeAll();
  });

  async function options(room: string, user: { id: string; name: string }, getToken: GetToken): Promise<OpenConversationOptions> {
    const { url } = await relayInfo();
    return { relayUrl: url, room, user, getToken, transport: 'mux', socketScope: 'browser', backoff: { baseMs: 100, maxMs: 1_000 } };
  }

  it('carries the conversations of two tabs on the leader tab\'s one socket', async () => {
    const user = uniqueUser('Ada');
    const [r1, r2] = [uniqueRoom('tabs-a'), uniqueRoom('tabs-b')];
    const getToken: GetToken = () => mintToken({ sub: user.id, name: user.name, rooms: { '*': 'write' } });
    watch = watchSockets();
    const here = client.openConversation(await options(r1, user, getToken));
    opened.push(here);
    await until(here, (s) => s.connection.synced, 'this tab (the leader) synced');
    const tab = await openTab();
    tabs.push(tab);
    const there = tab.client.openConversation(await options(r2, user, getToken));
    opened.push(there);
    await until(there, (s) => s.connection.synced, 'the other tab synced through the leader');
    const bob = await open(r2, uniqueUser('Bob'), { transport: 'room' });
    await until(bob, (s) => s.connection.synced, 'bob synced');
    await there.send('from the follower tab');
    await bob.send('from bob');
    await until(bob, () => texts(bob).includes('from the follower tab'), 'bob receives from the follower tab');
    await until(there, () => texts(there).includes('from bob'), 'the follower tab receives from bob');
    await until(there, (s) => s.messages.filter((m) => m.mine).every((m) => m.status !== 'sending'), 'durable acks reach the follower tab');
    expect(syncSockets(watch.urls), '/sync sockets in the leader tab').to.equal(1);
    expect(syncSockets(tab.sockets), '/sync sockets in the follower tab').to.equal(0);
  });

  it('hands over when the leader tab closes, with nothing lost or duplicated', async function () {
    this.timeout(60_000);
    const user = uniqueUser('Ada');
    const [r1, r2] = [uniqueRoom('handover-a'), uniqueRoom('handover-b')];
    const getToken: GetToken = () => mintToken({ sub: user.id, name: user.name, rooms: { '*': 'write' } });
    const leaderTab = await openTab();
    tabs.push(leaderTab);
    const inLeader = leaderTab.client.openConversation(await options(r1, user, getToken));
    await until(inLeader, (s) => s.connection.synced, 'the leader tab synced');
    watch = watchSockets();
    const here = client.openConversation(await options(r2, user, getToken));
    opened.push(here);
    await until(here, (s) => s.connection.synced, 'this tab synced through the leader tab');
    expect(syncSockets(watch.urls), 'no socket of its own while following').to.equal(0);
    const bob = await open(r2, uniqueUser('Bob'), { transport: 'room' });
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      if (i === 4) {
        // The leader tab goes away mid-conversation (no goodbye): the lock passes to this tab.
        leaderTab.frame.remove();
        tabs.splice(tabs.indexOf(leaderTab), 1);
      }
      sent.push((await here.send(`m${i}`)).id);
      await new Promise((r) => setTimeout(r, 100));
    }
    await until(bob, () => texts(bob).length === 10, 'bob has all ten messages', 30_000);
    expect(texts(bob)).to.deep.equal(sent.map((_, i) => `m${i}`));
    for (const id of sent) expect(recordsWithId(bob, id), `records of ${id}`).to.equal(1);
    await until(here, (s) => s.messages.every((m) => m.status !== 'sending' && !m.queued), 'all durable after the hand-over', 30_000);
    await waitFor(() => syncSockets(watch!.urls) === 1, { what: 'this tab opened the one socket as the new leader' });
    expect(syncSockets(watch.urls)).to.equal(1);
  });

  it('shares one attachment when both tabs have the same conversation open', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('tabs-same');
    const getToken: GetToken = () => mintToken({ sub: user.id, name: user.name, rooms: { [room]: 'write' } });
    watch = watchSockets();
    const here = client.openConversation(await options(room, user, getToken));
    opened.push(here);
    await until(here, (s) => s.connection.synced, 'the leader tab synced');
    const tab = await openTab();
    tabs.push(tab);
    const there = tab.client.openConversation(await options(room, user, getToken));
    opened.push(there);
    await until(there, (s) => s.connection.synced, 'the follower tab synced');
    const bob = await open(room, uniqueUser('Bob'), { transport: 'room' });
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const a = await here.send('from the leader tab');
    const b = await there.send('from the follower tab');
    await bob.send('from bob');
    for (const [name, c] of [['leader tab', here], ['follower tab', there], ['bob', bob]] as const) {
      await until(c, () => texts(c).length === 3, `${name} has all three`);
    }
    for (const id of [a.id, b.id]) expect(recordsWithId(bob, id)).to.equal(1);
    await until(there, (s) => s.messages.filter((m) => m.mine).every((m) => m.status !== 'sending'), 'durable in the follower tab');
    expect(syncSockets(watch.urls) + syncSockets(tab.sockets), '/sync sockets in the browser').to.equal(1);
  });

  it('detaches what a vanished follower tab left behind (its presence goes at once)', async () => {
    const user = uniqueUser('Ada');
    const [mine, theirs] = [uniqueRoom('vanish-a'), uniqueRoom('vanish-b')];
    const getToken: GetToken = () => mintToken({ sub: user.id, name: user.name, rooms: { '*': 'write' } });
    const here = client.openConversation(await options(mine, user, getToken));
    opened.push(here);
    await until(here, (s) => s.connection.synced, 'the leader tab synced');
    const tab = await openTab();
    tabs.push(tab);
    const there = tab.client.openConversation(await options(theirs, user, getToken));
    await until(there, (s) => s.connection.synced, 'the follower tab synced');
    const bob = await open(theirs, uniqueUser('Bob'), { transport: 'room' });
    await until(bob, (s) => s.presence.length === 2, 'bob sees the follower tab\'s user');
    // The follower tab is killed: no detach, no goodbye on the channel.
    tab.frame.remove();
    tabs.splice(tabs.indexOf(tab), 1);
    // Awareness states would otherwise stay until they time out (30 s).
    await until(bob, (s) => s.presence.length === 1, 'the vanished tab\'s presence is gone', 8_000);
    await here.send('the leader carries on');
    await until(here, (s) => s.messages[0]?.status !== 'sending', 'the leader tab still syncs');
  });
});
