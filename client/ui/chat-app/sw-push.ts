// The app's service worker, notifications part: shows pushes (none for a conversation on screen), opens the app at a clicked one.
import { roomLink } from '../../push/app-link.js';
import { genericNotification, notificationFor, parsePushPayload, readNotificationData } from '../../push/notification-content.js';
import { ASK_TIMEOUT_MS, OPEN_ROOM, SUBSCRIPTION_CHANGED, WHICH_ROOM, readRoomAnswer, type OpenRoomMessage, type RoomAnswer } from '../../push/sw-messages.js';

/** The parts of the service worker scope used here (the DOM lib of this project has no WebWorker types). */
export interface PushWorkerScope {
  registration: {
    scope: string;
    showNotification(title: string, options: object): Promise<void>;
    pushManager: { subscribe(options: { userVisibleOnly: true; applicationServerKey: ArrayBuffer | null }): Promise<unknown> };
  };
  clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
  };
  addEventListener(type: 'push', listener: (event: PushEventLike) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEventLike) => void): void;
  addEventListener(type: 'pushsubscriptionchange', listener: (event: SubscriptionChangeEventLike) => void): void;
}
export interface WindowClientLike {
  url: string;
  focused: boolean;
  visibilityState: DocumentVisibilityState;
  postMessage(message: unknown, transfer?: Transferable[]): void;
  focus(): Promise<unknown>;
}
interface ExtendableEventLike {
  waitUntil(promise: Promise<unknown>): void;
}
export interface PushEventLike extends ExtendableEventLike {
  data: { text(): string } | null;
}
export interface NotificationEventLike extends ExtendableEventLike {
  notification: NotificationLike;
}
export interface NotificationLike {
  data: unknown;
  close(): void;
}
export interface SubscriptionChangeEventLike extends ExtendableEventLike {
  oldSubscription?: { options?: { applicationServerKey: ArrayBuffer | null } } | null;
  newSubscription?: unknown;
}

/** What a push led to (the test worker reports it; the app's worker ignores it). */
export type PushOutcome = { shown: 'notification' | 'generic'; room?: string } | { shown: 'nothing'; room: string };

/** Asks each app page which conversation it shows; pages that do not answer in time are left out. */
export async function askPages(scope: PushWorkerScope, onlyVisible: boolean): Promise<Array<{ client: WindowClientLike; answer: RoomAnswer }>> {
  const all = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const asked = onlyVisible ? all.filter((c) => c.visibilityState === 'visible') : all;
  const answers = await Promise.all(asked.map((client) => new Promise<{ client: WindowClientLike; answer: RoomAnswer } | undefined>((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => {
      channel.port1.close();
      resolve(undefined);
    }, ASK_TIMEOUT_MS);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      channel.port1.close();
      const answer = readRoomAnswer(event.data);
      resolve(answer ? { client, answer } : undefined);
    };
    try {
      client.postMessage({ type: WHICH_ROOM }, [channel.port2]);
    } catch {
      clearTimeout(timer);
      resolve(undefined);
    }
  })));
  return answers.filter((a) => a !== undefined);
}

/**
 * Handles one push: a readable payload shows its conversation's notification unless an app page shows that
 * conversation on screen; unreadable data shows a generic one. Never throws (a failing worker would leave the
 * browser to show its own "updated in the background" notice).
 */
export async function handlePush(scope: PushWorkerScope, event: PushEventLike): Promise<PushOutcome> {
  let text: string | undefined;
  try {
    text = event.data?.text();
  } catch {
    text = undefined;
  }
  const payload = parsePushPayload(text);
  try {
    if (!payload) {
      const { title, options } = genericNotification();
      await scope.registration.showNotification(title, options);
      return { shown: 'generic' };
    }
    const pages = await askPages(scope, true);
    if (pages.some(({ answer }) => answer.visible && answer.room === payload.room)) return { shown: 'nothing', room: payload.room };
    const { title, options } = notificationFor(payload);
    await scope.registration.showNotification(title, options);
    return { shown: 'notification', room: payload.room };
  } catch (error) {
    console.warn('Parley: a push could not be shown', error);
    return { shown: 'nothing', room: payload?.room ?? '' };
  }
}

/**
 * Handles a click on a notification: focuses an app page (one showing the conversation, else the focused or a
 * visible one) and asks it to open the conversation at the message; with no app page open, opens the app there.
 */
export async function handleNotificationClick(scope: PushWorkerScope, notification: NotificationLike): Promise<'focused' | 'opened'> {
  notification.close();
  const { room, messageId } = readNotificationData(notification.data);
  const pages = await askPages(scope, false);
  const rank = ({ answer }: { answer: RoomAnswer }): number =>
    (room !== undefined && answer.room === room ? 4 : 0) + (answer.focused ? 2 : 0) + (answer.visible ? 1 : 0);
  const best = pages.sort((a, b) => rank(b) - rank(a))[0];
  if (best) {
    // Focus is allowed while a notification click is handled; a refusal still leaves the page told what to show.
    await best.client.focus().catch(() => undefined);
    if (room) best.client.postMessage({ type: OPEN_ROOM, room, ...(messageId ? { messageId } : {}) } satisfies OpenRoomMessage);
    return 'focused';
  }
  await scope.clients.openWindow(new URL(room ? roomLink(room, messageId) : '', scope.registration.scope).href);
  return 'opened';
}

/**
 * The browser replaced the subscription (expiry, key rotation): subscribe again with the same key and tell open
 * app pages, which register it with the relay. With none open, the next app start registers it (the worker
 * has no token to do it itself).
 */
export async function handleSubscriptionChange(scope: PushWorkerScope, event: SubscriptionChangeEventLike): Promise<void> {
  const key = event.oldSubscription?.options?.applicationServerKey ?? null;
  if (!event.newSubscription && key) {
    await scope.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }).catch(() => undefined);
  }
  for (const client of await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })) client.postMessage({ type: SUBSCRIPTION_CHANGED });
}

/** Installs the push, notification-click and subscription-change handlers on the worker. */
export function installPushHandlers(scope: PushWorkerScope): void {
  scope.addEventListener('push', (event) => event.waitUntil(handlePush(scope, event)));
  scope.addEventListener('notificationclick', (event) => event.waitUntil(handleNotificationClick(scope, event.notification)));
  scope.addEventListener('pushsubscriptionchange', (event) => event.waitUntil(handleSubscriptionChange(scope, event)));
}
