// A service worker for the push tests: the app's real push handlers (sw-push.ts) without the shell cache, reporting each outcome to the pages.
import {
  handleNotificationClick, handlePush, handleSubscriptionChange, installPushHandlers, type NotificationLike, type PushWorkerScope,
} from '../../../client/ui/chat-app/sw-push.js';

/**
 * The app's sw.ts also caches the app shell on install, which the test server does not serve from this folder;
 * this worker installs the same push handlers and, for the tests, tells the pages what each push led to and
 * lets a page "click" a notification (headless Chromium has no notification UI to click): message
 * `{ type: 'test:click', tag }` runs the real click handler on that notification; `{ type: 'test:rotate' }` runs
 * the real `pushsubscriptionchange` handler (DevTools cannot fire that event) with a new subscription given.
 */
interface TestScope extends PushWorkerScope {
  registration: PushWorkerScope['registration'] & { getNotifications(filter?: { tag?: string }): Promise<NotificationLike[]> };
  skipWaiting(): Promise<void>;
  clients: PushWorkerScope['clients'] & { claim(): Promise<void> };
  addEventListener(type: string, listener: (event: never) => void): void;
}

const scope = self as unknown as TestScope;
const report = async (message: unknown): Promise<void> => {
  for (const client of await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })) client.postMessage(message);
};

scope.addEventListener('install', () => void scope.skipWaiting());
scope.addEventListener('activate', (event: { waitUntil(p: Promise<unknown>): void }) => event.waitUntil(scope.clients.claim()));
// The app's handlers for click and subscription change; push is wrapped to report its outcome.
installPushHandlers({
  registration: scope.registration,
  clients: scope.clients,
  addEventListener: (type: string, listener: (event: never) => void) => {
    if (type !== 'push') scope.addEventListener(type, listener);
  },
} as PushWorkerScope);
scope.addEventListener('push', (event: Parameters<typeof handlePush>[1]) => {
  event.waitUntil(handlePush(scope, event).then((outcome) => report({ type: 'test:pushed', outcome })));
});
scope.addEventListener('message', (event: { data: unknown; waitUntil(p: Promise<unknown>): void }) => {
  const data = event.data as { type?: string; tag?: string };
  if (data?.type === 'test:rotate') {
    event.waitUntil(handleSubscriptionChange(scope, { newSubscription: {}, oldSubscription: null, waitUntil: () => undefined }));
    return;
  }
  if (data?.type !== 'test:click') return;
  event.waitUntil((async () => {
    const [notification] = await scope.registration.getNotifications({ tag: data.tag });
    const result = notification ? await handleNotificationClick(scope, notification) : 'no-notification';
    await report({ type: 'test:clicked', result });
  })());
});
