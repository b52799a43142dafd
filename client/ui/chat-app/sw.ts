// The app's service worker: caches the app shell so a reload with the relay down still opens the app (data comes from IndexedDB), and shows push notifications.
import { SHELL, shellKey } from './sw-routes.js';
import { installPushHandlers, type PushWorkerScope } from './sw-push.js';

/** The subset of the service worker scope used here (the DOM lib of this project has no WebWorker types). */
interface WorkerScope {
  location: Location;
  registration: { scope: string };
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
}
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(response: Promise<Response>): void;
}

const scope = self as unknown as WorkerScope;
installPushHandlers(self as unknown as PushWorkerScope);
// Replaced at build time by a hash of the shell, so each build caches under a new name.
const VERSION = '__SHELL_VERSION__';
const CACHE = `parley-shell-${VERSION}`;
const NETWORK_TIMEOUT_MS = 3_000;

scope.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([...SHELL]))
      .then(() => scope.skipWaiting()),
  );
});

scope.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith('parley-shell-') && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => scope.clients.claim()),
  );
});

/**
 * Network first, so a running relay always serves the newest app; the cached shell when the network fails
 * or hangs. Only the app's own shell files are handled (see sw-routes.ts): other pages of the origin, tokens,
 * the relay's API and WebSockets never touch the cache.
 */
scope.addEventListener('fetch', (event) => {
  const { request } = event;
  const key = shellKey(request, scope.registration.scope);
  if (!key) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
        if (response.ok && !response.redirected) await cache.put(key, response.clone());
        return response;
      } catch {
        return (await cache.match(key)) ?? Response.error();
      }
    })(),
  );
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('network timeout')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
