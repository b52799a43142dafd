// Helpers for the push browser tests: the test service worker, push delivery and notification permission through DevTools, worker reports.
import { executeServerCommand } from '@web/test-runner-commands';
import type { PushPayload } from '../../../shared/push.js';
import { waitFor } from './helpers.js';

export const PUSH_SW_URL = '/test/browser/support/push-test-sw.js';

/** Messages the test worker posted to this page (`test:pushed`, `test:clicked`, and the app's own). */
export const fromWorker: unknown[] = [];
let listening = false;

/** Registers the test worker (the app's push handlers) and waits until it is active; grants notifications first. */
export async function pushWorker(): Promise<ServiceWorkerRegistration> {
  await executeServerCommand('push-grant-notifications', { origin: location.origin });
  if (!listening) {
    listening = true;
    navigator.serviceWorker.addEventListener('message', (event) => fromWorker.push(event.data));
    navigator.serviceWorker.startMessages();
  }
  const registration = await navigator.serviceWorker.register(PUSH_SW_URL, { type: 'module' });
  await waitFor(() => registration.active?.state === 'activated', { what: 'the push test worker active' });
  return registration;
}

/** Delivers `data` to the worker as a push (a `PushPayload` is sent as JSON) and waits for what it did. */
export async function deliver(registration: ServiceWorkerRegistration, data: PushPayload | string): Promise<{ shown: string; room?: string }> {
  const seen = fromWorker.length;
  await executeServerCommand('push-deliver', { scope: registration.scope, data: typeof data === 'string' ? data : JSON.stringify(data) });
  const report = await waitFor(() => fromWorker.slice(seen).find((m) => (m as { type?: string })?.type === 'test:pushed'), { what: 'the worker handled the push' });
  return (report as { outcome: { shown: string; room?: string } }).outcome;
}

/** "Clicks" the notification with `tag` (runs the worker's real click handler) and waits for its result. */
export async function click(registration: ServiceWorkerRegistration, tag: string): Promise<string> {
  const seen = fromWorker.length;
  registration.active!.postMessage({ type: 'test:click', tag });
  const report = await waitFor(() => fromWorker.slice(seen).find((m) => (m as { type?: string })?.type === 'test:clicked'), { what: 'the worker handled the click' });
  return (report as { result: string }).result;
}

/** Closes every notification the worker shows. */
export async function clearNotifications(registration: ServiceWorkerRegistration): Promise<void> {
  for (const n of await registration.getNotifications()) n.close();
  await waitFor(async () => (await registration.getNotifications()).length === 0, { what: 'notifications cleared' });
}

/** A payload for `room` (a direct message from Bob unless changed). */
export const payload = (room: string, change: Partial<PushPayload> = {}): PushPayload => ({
  v: 1, room, messageId: `m-${Math.random().toString(36).slice(2, 10)}`, title: 'Bob', kind: 'direct', mention: false, count: 1,
  at: Date.now(), sender: 'bob', senderName: 'Bob', preview: 'lunch at noon?', ...change,
});
