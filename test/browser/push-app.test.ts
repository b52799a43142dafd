// <chat-app> and push in real Chromium: notification settings in the account document, the worker's click opening a room, registration and sign-out.
import { expect } from '@esm-bundle/chai';
import '../../client/ui/chat-app/chat-app.js';
import type { ChatApp } from '../../client/ui/chat-app/chat-app.js';
import { membershipApi, openAccount, pushApi, type Account, type Conversation, type PushError } from '../../client/index.js';
import { notificationTag } from '../../shared/push.js';
import { MUTED_FOREVER } from '../../shared/account.js';
import { axeViolations } from './support/axe.js';
import { closeAll, mintToken, open, relayInfo, uniqueRoom, uniqueUser, waitFor } from './support/helpers.js';
import {
  FakePushManager, click, clearNotifications, deliver, grantNotifications, payload, pushWorker, resetPermissions, serviceReceived, servicePushSubscription,
  type ServiceReceived,
} from './support/push-helpers.js';
import { appRoom, listItem, submitForm, whenSynced } from './ui-helpers.js';

const shadow = (app: ChatApp): ShadowRoot => app.shadowRoot!;
const $ = <T extends Element = HTMLElement>(app: ChatApp, selector: string): T | null => shadow(app).querySelector<T>(selector);

/** An app whose tokens grant `rooms` (default none: access comes from rosters), with a fake push manager. */
async function mountApp(push: FakePushManager, rooms: Record<string, string> = {}): Promise<ChatApp> {
  const { url } = await relayInfo();
  const app = document.createElement('chat-app');
  app.relay = url;
  app.mintToken = ({ name, sub }) => mintToken({ sub, name, rooms });
  app.pushManager = async () => push;
  app.style.cssText = 'display: block; height: 600px; width: 900px;';
  document.body.append(app);
  await app.updateComplete;
  return app;
}

async function signIn(app: ChatApp, name: string): Promise<void> {
  const form = await waitFor(() => $<HTMLFormElement>(app, '.signin form'), { what: 'sign-in form' });
  form.querySelector<HTMLInputElement>('[name="name"]')!.value = name;
  form.requestSubmit();
  await waitFor(() => $(app, '.join'), { what: 'signed in' });
}

/**
 * Whether the app keeps `room` live and synced (its pool, private: no element shows it). Only messages arriving
 * after that notify (what a conversation already held when it synced is history), so a test waits for it first.
 */
const live = (app: ChatApp, room: string): boolean => {
  const state = (app as unknown as { pool?: { get(room: string): Conversation | undefined } }).pool?.get(room)?.getState();
  return state !== undefined && state.loaded && state.connection.synced;
};

/**
 * Bob (a fresh user) starts a direct conversation with `anaId`, whose signed-in `app` keeps it live while another
 * room (`elsewhere`) is on screen: his next message arrives in a conversation she is not looking at.
 */
async function directFromBobElsewhere(app: ChatApp, anaId: string, bobUser: { id: string; name: string }, elsewhere: string) {
  const { url } = await relayInfo();
  const bobApi = membershipApi({ relayUrl: url, getToken: () => mintToken({ sub: bobUser.id, name: bobUser.name, rooms: {} }) });
  const { room } = await bobApi.createConversation({ kind: 'direct', members: [anaId] });
  const bob = await open(room, bobUser, { role: 'write' });
  await waitFor(() => bob.getState().connection.synced, { what: 'Bob synced' });
  await waitFor(() => listItem(app, room), { what: 'the direct conversation in the list' });
  await waitFor(() => live(app, room), { what: 'the conversation live in the app' });
  await submitForm(app, '.join', 'room', elsewhere);
  await waitFor(() => app.activeRoom === elsewhere && appRoom(app)?.getAttribute('room') === elsewhere, { what: 'another room on screen' });
  return { room, bob };
}

const level = (app: ChatApp): string | undefined => [...shadow(app).querySelectorAll<HTMLInputElement>('input[name="notify-level"]')].find((i) => i.checked)?.value;

describe('push: <chat-app>', () => {
  let app: ChatApp | undefined;
  let second: Account | undefined;
  afterEach(async () => {
    app?.remove();
    app = undefined;
    await second?.close();
    second = undefined;
    location.hash = '';
    await closeAll();
  });
  after(() => resetPermissions());

  it('writes the level, mutes and "hide message text" to the account document, synced with a second tab both ways', async () => {
    localStorage.removeItem('parley:session');
    const tag = Math.random().toString(36).slice(2, 7);
    const anaId = `dev-ana-${tag}`;
    const { url } = await relayInfo();
    const bob = membershipApi({ relayUrl: url, getToken: () => mintToken({ sub: `bob-${tag}`, rooms: {} }) });
    const { room } = await bob.createConversation({ kind: 'group', title: `Team ${tag}`, members: [anaId] });

    app = await mountApp(new FakePushManager());
    await signIn(app, `Ana ${tag}`);
    await waitFor(() => listItem(app!, `Team ${tag}`), { what: 'the group in the list' });
    listItem(app, `Team ${tag}`)!.querySelector<HTMLButtonElement>('button.room')!.click();
    const toggle = await waitFor(() => $<HTMLButtonElement>(app!, '.notify-toggle'), { what: 'the Notifications button' });
    toggle.click();
    await waitFor(() => $(app!, '.notify-settings'), { what: 'the settings panel' });
    expect(toggle.getAttribute('aria-expanded')).to.equal('true');
    // A group's default is mentions, shown checked and marked while the user chose nothing.
    expect(level(app)).to.equal('mentions');
    expect($(app, 'input[value="mentions"]')!.closest('label')!.textContent).to.include('(default)');
    expect($(app, '.notify-levels legend')!.textContent).to.equal('Notify me about');

    second = openAccount({ relayUrl: url, user: { id: anaId }, getToken: () => mintToken({ sub: anaId, rooms: {} }) });
    const prefs = () => second!.conversations({ includeArchived: true }).find((i) => i.room === room)?.preferences;
    await waitFor(() => prefs(), { what: 'the second tab has the conversation' });

    expect(await axeViolations(app)).to.deep.equal([]);

    $<HTMLInputElement>(app, 'input[value="all"]')!.click();
    await waitFor(() => prefs()?.notify === 'all', { what: 'level all in the second tab' });

    const before = Date.now();
    $<HTMLButtonElement>(app, 'button[data-mute="3600000"]')!.click();
    await waitFor(() => (prefs()?.mutedUntil ?? 0) > 0, { what: 'muted for an hour in the second tab' });
    expect(prefs()!.mutedUntil).to.be.within(before + 3_600_000, Date.now() + 3_600_000);
    await waitFor(() => $(app!, '.notify-settings .unmute'), { what: 'Unmute offered' });
    expect($(app, '.notify-mute [role="status"]')!.textContent).to.match(/^Muted until /);
    $<HTMLButtonElement>(app, '.notify-settings .unmute')!.click();
    await waitFor(() => prefs()?.mutedUntil === 0, { what: 'unmuted in the second tab' });
    await waitFor(() => $(app!, 'button[data-mute="forever"]'), { what: 'mute choices back' });
    $<HTMLButtonElement>(app, 'button[data-mute="forever"]')!.click();
    await waitFor(() => prefs()?.mutedUntil === 253402300799000, { what: 'muted until turned back on' });
    await waitFor(() => $(app!, '.notify-mute [role="status"]')?.textContent?.includes('until you turn'), { what: 'said so' });

    // The other way: the second tab changes the level and unmutes; the panel follows.
    second.setPreferences(room, { notify: 'none', mutedUntil: 0 });
    await waitFor(() => level(app!) === 'none' && $(app!, 'button[data-mute="3600000"]'), { what: 'the panel shows the second tab\'s change' });

    // Global: hide message text.
    const hide = $<HTMLInputElement>(app, '.hide-text input')!;
    expect(hide.checked).to.equal(false);
    hide.click();
    await waitFor(() => second!.settings().hideMessageText === true, { what: 'hide text in the second tab' });
    second.setSetting('hideMessageText', false);
    await waitFor(() => !$<HTMLInputElement>(app!, '.hide-text input')!.checked, { what: 'the checkbox follows the second tab' });

    // Escape closes the panel and gives focus back to its button.
    $(app, '.notify-settings')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await waitFor(() => !$(app!, '.notify-settings'), { what: 'panel closed' });
    await waitFor(() => shadow(app!).activeElement === $(app!, '.notify-toggle'), { what: 'focus back on the button' });
  });

  it('in-page notifications go through the service worker registration with the conversation\'s tag (a newer one replaces it), none for the conversation on screen; the bell mutes in the account, seen by a second tab', async () => {
    const registration = await pushWorker();
    try {
      localStorage.removeItem('parley:session');
      const tag = Math.random().toString(36).slice(2, 7);
      const anaId = `dev-ana-${tag}`;
      const bobUser = { id: `bob-${tag}`, name: 'Bob' };
      const { url } = await relayInfo();
      const bobApi = membershipApi({ relayUrl: url, getToken: () => mintToken({ sub: bobUser.id, name: 'Bob', rooms: {} }) });
      // A mute an earlier version kept on this device only moves into the account at the start.
      const { room: legacy } = await bobApi.createConversation({ kind: 'group', title: `Old ${tag}`, members: [anaId] });
      localStorage.setItem(`parley:muted:${anaId}`, JSON.stringify([legacy]));
      app = await mountApp(new FakePushManager(), { '*': 'write' });
      app.notificationRegistration = async () => registration;
      await signIn(app, `Ana ${tag}`);
      expect(localStorage.getItem(`parley:muted:${anaId}`)).to.equal(null);
      const { room, bob } = await directFromBobElsewhere(app, anaId, bobUser, uniqueRoom('push-elsewhere'));

      const shown = async (): Promise<Notification[]> => registration.getNotifications({ tag: notificationTag(room) });
      await bob.send('first');
      await waitFor(async () => (await shown())[0]?.body === 'Bob: first', { what: 'the first message notified through the worker' });
      const [first] = await shown();
      expect(first!.data).to.deep.include({ room });
      await bob.send('second');
      await waitFor(async () => (await shown())[0]?.body === 'Bob: second', { what: 'the second message notified' });
      expect((await shown()).length, 'one notification per conversation').to.equal(1);

      // The conversation on screen: its messages notify nothing.
      await clearNotifications(registration);
      listItem(app, room)!.querySelector<HTMLButtonElement>('button.room')!.click();
      await waitFor(() => appRoom(app!)?.getAttribute('room') === room, { what: 'the conversation on screen' });
      await whenSynced(appRoom(app)!);
      await bob.send('while on screen');
      await waitFor(() => appRoom(app!)?.shadowRoot?.textContent?.includes('while on screen'), { what: 'the message shown in the room' });
      // A notification would have been shown by the time the message is on screen plus another round trip.
      await bob.send('still on screen');
      await waitFor(() => appRoom(app!)?.shadowRoot?.textContent?.includes('still on screen'), { what: 'the next message shown' });
      expect(await shown()).to.have.length(0);

      // The bell: muted until turned back on, in the account document (a second tab sees it), and back.
      second = openAccount({ relayUrl: url, user: { id: anaId }, getToken: () => mintToken({ sub: anaId, rooms: {} }) });
      const prefs = () => second!.conversations({ includeArchived: true }).find((i) => i.room === room)?.preferences;
      await waitFor(() => second!.conversations({ includeArchived: true }).some((i) => i.room === room), { what: 'the second tab has the conversation' });
      await waitFor(() => second!.conversations({ includeArchived: true }).find((i) => i.room === legacy)?.preferences.mutedUntil === MUTED_FOREVER, { what: 'the device mute moved into the account' });
      const bell = (): HTMLButtonElement => listItem(app!, room)!.querySelector<HTMLButtonElement>('.mute')!;
      expect(bell().getAttribute('aria-pressed')).to.equal('false');
      bell().click();
      await waitFor(() => prefs()?.mutedUntil === MUTED_FOREVER, { what: 'muted in the second tab' });
      await waitFor(() => bell().getAttribute('aria-pressed') === 'true', { what: 'the bell pressed' });
      second.setPreferences(room, { mutedUntil: 0 });
      await waitFor(() => bell().getAttribute('aria-pressed') === 'false', { what: 'the bell follows the second tab' });

      // The device mute moved once: unmuted in the account, it stays unmuted when the app starts again.
      const legacyPrefs = () => second!.conversations({ includeArchived: true }).find((i) => i.room === legacy)?.preferences;
      second.setPreferences(legacy, { mutedUntil: 0 });
      await waitFor(() => listItem(app!, `Old ${tag}`)?.querySelector('.mute')?.getAttribute('aria-pressed') === 'false', { what: 'the old mute lifted in the app' });
      app.remove();
      app = await mountApp(new FakePushManager(), { '*': 'write' }); // the stored session: it starts at once
      await waitFor(() => listItem(app!, room)?.querySelector('.mute'), { what: 'the list again' });
      // A write of this start, made after its migration pass: once the second tab has it, it has that pass too.
      bell().click();
      await waitFor(() => prefs()?.mutedUntil === MUTED_FOREVER, { what: 'the new start\'s mute in the second tab' });
      expect(legacyPrefs()?.mutedUntil ?? 0, 'not muted again').to.equal(0);
      expect(localStorage.getItem(`parley:muted:${anaId}`)).to.equal(null);
    } finally {
      await clearNotifications(registration);
      await registration.unregister();
    }
  });

  it('in-page notifications never break the app: without a service worker, a Notification constructor that throws (Chrome for Android) is skipped', async () => {
    const original = window.Notification;
    let constructed = 0;
    // Chrome for Android: permission granted, yet `new Notification` throws (only the registration may show one).
    class AndroidNotification {
      static readonly permission = 'granted';
      static requestPermission = async (): Promise<string> => 'granted';
      constructor() {
        constructed++;
        throw new TypeError("Failed to construct 'Notification': Illegal constructor. Use ServiceWorkerRegistration.showNotification() instead.");
      }
    }
    const escaped: unknown[] = [];
    const onRejection = (event: PromiseRejectionEvent): void => void escaped.push(event.reason);
    const onError = (event: ErrorEvent): void => void escaped.push(event.error);
    (window as unknown as { Notification: unknown }).Notification = AndroidNotification;
    addEventListener('unhandledrejection', onRejection);
    addEventListener('error', onError);
    try {
      localStorage.removeItem('parley:session');
      const tag = Math.random().toString(36).slice(2, 7);
      const anaId = `dev-ana-${tag}`;
      const bobUser = { id: `bob-${tag}`, name: 'Bob' };
      app = await mountApp(new FakePushManager(), { '*': 'write' });
      app.notificationRegistration = async () => undefined; // no service worker controls the page
      await signIn(app, `Ana ${tag}`);
      const { room, bob } = await directFromBobElsewhere(app, anaId, bobUser, uniqueRoom('push-android'));

      await bob.send('first');
      await waitFor(() => constructed === 1, { what: 'the notification tried' });
      await waitFor(() => listItem(app!, room)?.querySelector('.badge')?.textContent?.includes('1'), { what: 'the unread badge' });
      // The app goes on: the next message is counted and tried too, and the room still opens.
      await bob.send('second');
      await waitFor(() => constructed === 2, { what: 'the next notification tried' });
      await waitFor(() => listItem(app!, room)?.querySelector('.badge')?.textContent?.includes('2'), { what: 'two unread' });
      listItem(app, room)!.querySelector<HTMLButtonElement>('button.room')!.click();
      await waitFor(() => appRoom(app!)?.shadowRoot?.textContent?.includes('second'), { what: 'the conversation opened' });
      expect(escaped.map(String)).to.deep.equal([]);
    } finally {
      removeEventListener('unhandledrejection', onRejection);
      removeEventListener('error', onError);
      (window as unknown as { Notification: unknown }).Notification = original;
    }
  });

  it('the worker shows nothing for the room on screen; a click focuses the app and opens the clicked room at the message', async () => {
    const registration = await pushWorker();
    try {
      localStorage.removeItem('parley:session');
      app = await mountApp(new FakePushManager(), { '*': 'write' });
      await signIn(app, `Ada ${Math.random().toString(36).slice(2, 7)}`);
      const first = uniqueRoom('push-a');
      const other = uniqueRoom('push-b');
      const bob = await open(first, uniqueUser('Bob'));
      await bob.send('the message to show');
      const { id: messageId } = await waitFor(() => bob.getState().messages.find((m) => m.text === 'the message to show'), { what: 'bob\'s message' });
      await submitForm(app, '.join', 'room', first);
      await waitFor(() => appRoom(app!)?.getAttribute('room') === first, { what: 'first room open' });
      await whenSynced(appRoom(app)!);
      await submitForm(app, '.join', 'room', other);
      await waitFor(() => app!.activeRoom === other && appRoom(app!)?.getAttribute('room') === other, { what: 'other room open' });

      expect(await deliver(registration, payload(first, { messageId }))).to.deep.equal({ shown: 'notification', room: first });
      expect(await deliver(registration, payload(other))).to.deep.equal({ shown: 'nothing', room: other });
      expect(await registration.getNotifications({ tag: notificationTag(other) })).to.have.length(0);
      expect(await click(registration, notificationTag(first))).to.equal('focused');
      await waitFor(() => app!.activeRoom === first, { what: 'the clicked room open' });
      await waitFor(() => appRoom(app!)?.shadowRoot?.querySelector(`.msg.highlight[data-id="${messageId}"]`), { what: 'the message shown highlighted' });
      expect(location.hash).to.equal(`#/room/${first}`);
    } finally {
      await clearNotifications(registration);
      await registration.unregister();
    }
  });

  it('registers on start once allowed, shows the relay\'s refusal (endpoint outside its allow-list), and on sign-out unsubscribes before the wipe', async () => {
    localStorage.removeItem('parley:session');
    const push = new FakePushManager();
    app = await mountApp(push, { '*': 'write' });
    // Allowed before start: the app registers by itself (as on every start after "Enable notifications").
    await grantNotifications();
    await signIn(app, `Eve ${Math.random().toString(36).slice(2, 7)}`);
    const userId = JSON.parse(localStorage.getItem('parley:session')!).userId as string;
    // The made-up push service's origin is not on the relay's allow-list: 403, shown in words with its code.
    const error = await waitFor(() => $(app!, '.push-error'), { what: 'the refusal shown' });
    expect(error.getAttribute('role')).to.equal('alert');
    expect(error.textContent).to.include('endpoint-not-allowed');
    expect(push.log).to.deep.equal(['subscribe']);
    expect($(app, '.notify-global button')).to.equal(null, 'no Enable button once allowed');

    // Sign-out: the subscription ends while the user's databases still exist (unregistering comes before the wipe).
    let databasesAtUnsubscribe: string[] = [];
    // The user's databases exist before signing out (created as the app opens them), so their presence at unsubscribe says something.
    const ownDatabases = async (): Promise<string[]> => (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith(`parley:${encodeURIComponent(userId)}`));
    await waitFor(async () => (await ownDatabases()).length > 0, { what: "the user's databases" });
    push.onUnsubscribe = async () => {
      databasesAtUnsubscribe = await ownDatabases();
    };
    [...shadow(app).querySelectorAll<HTMLButtonElement>('.foot button')].find((b) => b.textContent?.includes('Sign out'))!.click();
    await waitFor(() => $(app!, '.signin form'), { what: 'signed out' });
    expect(push.log.at(-1)).to.equal('unsubscribe');
    expect(push.subscription).to.equal(null);
    expect(databasesAtUnsubscribe.length).to.be.greaterThan(0);
  });

  it('end to end: registered by the app, with no tab open a direct message and a group mention reach the device through the push service (an ordinary group message does not), the worker shows them; sign-out removes it at the relay', async () => {
    const registration = await pushWorker();
    try {
      const tag = Math.random().toString(36).slice(2, 7);
      const anaId = `dev-ana-${tag}`;
      const bobUser = { id: `bob-${tag}`, name: 'Bob' };
      const device = `ana-${tag}`;
      const push = new FakePushManager(() => servicePushSubscription(device));
      localStorage.removeItem('parley:session');
      app = await mountApp(push);
      await signIn(app, `Ana ${tag}`);
      await waitFor(() => push.log.includes('subscribe') && !$(app!, '.notify-global [role="status"]'), { what: 'registration settled' });
      expect($(app, '.push-error')).to.equal(null, $(app, '.push-error')?.textContent ?? '');
      const endpoint = push.subscription!.endpoint;

      // No Parley tab open any more: the app goes away (its connections close; the relay keeps the subscription).
      app.remove();
      app = undefined;
      const { url } = await relayInfo();
      const bobApi = membershipApi({ relayUrl: url, getToken: () => mintToken({ sub: bobUser.id, name: 'Bob', rooms: {} }) });
      const { room } = await bobApi.createConversation({ kind: 'direct', members: [anaId] });
      const bob = await open(room, bobUser, { role: 'write' });
      // The relay may still see Ana's sockets closing for a moment: send until a push arrives (each send is a new message).
      let received: ServiceReceived[] = [];
      for (let attempt = 1; attempt <= 5 && received.length === 0; attempt++) {
        await bob.send(`lunch at noon? (${attempt})`);
        received = await waitFor(async () => {
          const got = await serviceReceived(device);
          return got.length > 0 ? got : undefined;
        }, { what: 'a push at the push service', timeoutMs: 4_000 }).catch(() => []);
      }
      expect(received.length).to.be.greaterThan(0);
      const [first] = received;
      expect(first!.vapidError).to.equal(undefined);
      expect(first!.decryptError).to.equal(undefined);
      expect(first!.urgency).to.equal('high');
      const payload = first!.payload!;
      expect([payload.room, payload.kind, payload.senderName, payload.mention]).to.deep.equal([room, 'direct', 'Bob', false]);
      expect(payload.preview).to.match(/^lunch at noon\? \(\d\)$/);

      // The browser's push service would now wake the worker with that payload: it shows the notification.
      expect(await deliver(registration, payload)).to.deep.equal({ shown: 'notification', room });
      const [notification] = await registration.getNotifications({ tag: notificationTag(room) });
      expect(notification!.title).to.equal(payload.title);
      expect(notification!.body).to.match(/^Bob: lunch at noon\? \(\d\)/);

      // A group (default level: mentions): an ordinary message sends nothing, a mention does. Had the ordinary one
      // notified, it would have opened the burst the mention joins: one push with count 2.
      const { room: group } = await bobApi.createConversation({ kind: 'group', title: `Team ${tag}`, members: [anaId] });
      const bobInGroup = await open(group, bobUser, { role: 'write' });
      // Mentions are checked against the roster: wait until Bob's copy has it.
      await waitFor(() => bobInGroup.getState().connection.synced, { what: 'Bob synced in the group' });
      await bobInGroup.send('ordinary group message');
      await bobInGroup.send('@Ana can you look?', { mentions: [anaId] });
      const groupPushes = await waitFor(async () => {
        const got = (await serviceReceived(device)).filter((r) => r.payload?.room === group);
        return got.length > 0 ? got : undefined;
      }, { what: 'the mention pushed' });
      expect(groupPushes.map((r) => [r.payload!.mention, r.payload!.count, r.payload!.preview, r.payload!.title])).to.deep.equal([[true, 1, '@Ana can you look?', `Team ${tag}`]]);
      expect(await deliver(registration, groupPushes[0]!.payload!)).to.deep.equal({ shown: 'notification', room: group });
      expect((await registration.getNotifications({ tag: notificationTag(group) }))[0]!.body).to.equal('Bob mentioned you: @Ana can you look?');

      // Back in the app and signing out: the relay forgets the device (a second DELETE finds nothing).
      push.onUnsubscribe = undefined;
      app = await mountApp(push);
      await waitFor(() => $(app!, '.join'), { what: 'signed in again from the session' });
      await waitFor(() => !$(app!, '.notify-global [role="status"]'), { what: 'registered again on start' });
      [...shadow(app).querySelectorAll<HTMLButtonElement>('.foot button')].find((b) => b.textContent?.includes('Sign out'))!.click();
      await waitFor(() => $(app!, '.signin form'), { what: 'signed out' });
      expect(push.subscription).to.equal(null);
      const anaApi = pushApi({ relayUrl: url, getToken: () => mintToken({ sub: anaId, rooms: {} }) });
      const gone = await anaApi.unregister(endpoint).then(() => undefined, (e: unknown) => e);
      expect((gone as PushError).code).to.equal('not-found');
    } finally {
      await clearNotifications(registration);
      await registration.unregister();
    }
  });
});

