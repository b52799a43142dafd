// The app's service-worker push handlers in real Chromium: pushes delivered through DevTools, notifications read back, clicks.
import { expect } from '@esm-bundle/chai';
import { connectPushBridge } from '../../client/push/page-bridge.js';
import { notificationTag } from '../../shared/push.js';
import { click, clearNotifications, deliver, payload, pushWorker, resetPermissions } from './support/push-helpers.js';
import { uniqueRoom, waitFor } from './support/helpers.js';

describe('push: service worker', () => {
  let registration: ServiceWorkerRegistration;
  let shown: string | undefined;
  let opened: Array<{ room: string; messageId?: string }> = [];
  let disconnect: (() => void) | undefined;
  let rotated = 0;

  before(async () => {
    registration = await pushWorker();
  });
  beforeEach(() => {
    shown = undefined;
    opened = [];
    disconnect = connectPushBridge({
      shownRoom: () => shown,
      openRoom: (room, messageId) => opened.push({ room, ...(messageId ? { messageId } : {}) }),
      subscriptionChanged: () => rotated++,
    });
  });
  afterEach(async () => {
    disconnect?.();
    await clearNotifications(registration);
  });
  after(async () => {
    await registration.unregister();
    await resetPermissions();
  });

  it('shows a push as its conversation\'s notification: title, "Sender: preview", tag per conversation, data for the click', async () => {
    const room = uniqueRoom('push-dm');
    const push = payload(room, { title: 'Bob Builder', senderName: 'Bob', preview: 'lunch at noon?' });
    expect(await deliver(registration, push)).to.deep.equal({ shown: 'notification', room });
    const [notification, ...others] = await registration.getNotifications({ tag: notificationTag(room) });
    expect(others).to.have.length(0);
    expect(notification!.title).to.equal('Bob Builder');
    expect(notification!.body).to.equal('Bob: lunch at noon?');
    expect(notification!.tag).to.equal(`parley:${room}`);
    expect((notification as Notification & { renotify?: boolean }).renotify).to.equal(true);
    expect(notification!.data).to.deep.equal({ room, messageId: push.messageId });

    // A newer push for the same conversation replaces it (one notification per conversation).
    await deliver(registration, payload(room, { preview: 'or 1pm', count: 2 }));
    const now = await registration.getNotifications({ tag: notificationTag(room) });
    expect(now.map((n) => n.body)).to.deep.equal(['Bob: or 1pm (2 new messages)']);
  });

  it('hides the text when the payload has none ("hide message text"), and says so for a mention', async () => {
    const room = uniqueRoom('push-hidden');
    const { sender, senderName, preview, ...hidden } = payload(room, { title: 'Team', kind: 'group' });
    void sender; void senderName; void preview;
    await deliver(registration, { ...hidden, count: 3 });
    expect((await registration.getNotifications({ tag: notificationTag(room) }))[0]!.body).to.equal('3 new messages');
    await deliver(registration, { ...hidden, count: 1, mention: true });
    expect((await registration.getNotifications({ tag: notificationTag(room) }))[0]!.body).to.equal('New message: mentioned you');
    await deliver(registration, payload(room, { title: 'Team', kind: 'group', mention: true, senderName: 'Ana', preview: '@you look' }));
    expect((await registration.getNotifications({ tag: notificationTag(room) }))[0]!.body).to.equal('Ana mentioned you: @you look');
  });

  it('shows nothing for the conversation an app page shows on screen, and still shows the others', async () => {
    const visible = uniqueRoom('push-visible');
    const other = uniqueRoom('push-other');
    shown = visible;
    // The other room first: in headless Chromium a notification shown right after a push that showed none
    // sometimes drops out of getNotifications() (also with the built app's sw.js; never in the other order),
    // which looks like Chromium's handling of pushes that show nothing (docs/chat-room.md, Notifications).
    expect(await deliver(registration, payload(other))).to.deep.equal({ shown: 'notification', room: other });
    expect(await registration.getNotifications({ tag: notificationTag(other) })).to.have.length(1);
    expect(await deliver(registration, payload(visible))).to.deep.equal({ shown: 'nothing', room: visible });
    expect(await registration.getNotifications({ tag: notificationTag(visible) })).to.have.length(0);
    // The page moves on: the next push for that conversation shows.
    shown = undefined;
    expect((await deliver(registration, payload(visible))).shown).to.equal('notification');
  });

  it('turns unreadable push data into a generic notification and keeps working', async () => {
    for (const bad of ['', 'not json', '{"v":2,"room":"x"}', JSON.stringify({ ...payload('ok-room'), room: '../etc' }), JSON.stringify({ ...payload('ok-room'), count: -1 }), '[]', 'null']) {
      expect((await deliver(registration, bad)).shown, `data ${JSON.stringify(bad)}`).to.equal('generic');
    }
    const generic = await registration.getNotifications({ tag: 'parley:new-message' });
    expect(generic.map((n) => [n.title, n.body])).to.deep.equal([['Parley', 'New message']]);
    const room = uniqueRoom('push-after-bad');
    expect((await deliver(registration, payload(room))).shown).to.equal('notification');
  });

  it('a click closes the notification and asks the app page to open the conversation at the message', async () => {
    const room = uniqueRoom('push-click');
    const push = payload(room);
    await deliver(registration, push);
    expect(await click(registration, notificationTag(room))).to.equal('focused');
    await waitFor(() => opened.length === 1, { what: 'the page asked to open the room' });
    expect(opened).to.deep.equal([{ room, messageId: push.messageId }]);
    await waitFor(async () => (await registration.getNotifications({ tag: notificationTag(room) })).length === 0, { what: 'notification closed' });
  });

  it('a rotated subscription (pushsubscriptionchange) asks the open app pages to register again', async () => {
    const before = rotated;
    registration.active!.postMessage({ type: 'test:rotate' });
    await waitFor(() => rotated === before + 1, { what: 'the page told to register again' });
  });
});
