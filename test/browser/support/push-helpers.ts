// Helpers for the push browser tests: the test service worker, push delivery and notification permission through DevTools, worker reports.
import { executeServerCommand } from '@web/test-runner-commands';
import type { PushPayload, PushSubscriptionJson } from '../../../shared/push.js';
import { waitFor } from './helpers.js';

export const PUSH_SW_URL = '/test/browser/support/push-test-sw.js';

/** Messages the test worker posted to this page (`test:pushed`, `test:clicked`, and the app's own). */
export const fromWorker: unknown[] = [];
let listening = false;

/** Grants this origin the notifications permission, as a user answering "Allow". */
export const grantNotifications = (): Promise<boolean> => executeServerCommand('push-grant-notifications', { origin: location.origin });

/** Registers the test worker (the app's push handlers) and waits until it is active; grants notifications first. */
export async function pushWorker(): Promise<ServiceWorkerRegistration> {
  await grantNotifications();
  if (!listening) {
    listening = true;
    navigator.serviceWorker.addEventListener('message', (event) => fromWorker.push(event.data));
    navigator.serviceWorker.startMessages();
  }
  const registration = await navigator.serviceWorker.register(PUSH_SW_URL, { type: 'module' });
  await waitFor(() => registration.active?.state === 'activated', { what: 'the push test worker active' });
  return registration;
}

/** A subscription at the test push service (which decrypts what the relay sends to it). */
export const servicePushSubscription = (device: string): Promise<PushSubscriptionJson> => executeServerCommand('push-service-subscribe', { device });

/** What the relay sent to `device` at the test push service, decrypted. */
export interface ServiceReceived { payload?: PushPayload; vapidError?: string; decryptError?: string; urgency?: string; topic?: string; ttl?: string }
export const serviceReceived = (device: string): Promise<ServiceReceived[]> => executeServerCommand('push-service-received', { device });

/** Takes back the notification permission (so later test files start without it). */
export const resetPermissions = (): Promise<boolean> => executeServerCommand('push-reset-permissions');

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

const base64url = (bytes: Uint8Array): string => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A subscription as a browser's push service would give one (well-formed keys, an endpoint of a made-up push service). */
export function fakeSubscriptionJson(): { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } } {
  const key = crypto.getRandomValues(new Uint8Array(65));
  key[0] = 4;
  return {
    endpoint: `https://push.example.test/send/${Math.random().toString(36).slice(2)}`,
    expirationTime: null,
    keys: { p256dh: base64url(key), auth: base64url(crypto.getRandomValues(new Uint8Array(16))) },
  };
}

/** A push manager that hands out fake subscriptions (headless Chromium has no push service) and records what was done. */
export class FakePushManager {
  subscription: (PushSubscriptionLikeFake & { json: PushSubscriptionJson }) | null = null;
  readonly log: string[] = [];
  /** Runs when a subscription is ended (to see what the page still had at that moment). */
  onUnsubscribe: (() => Promise<void>) | undefined;

  /** `make`: where subscriptions come from (default: made-up ones; the test push service's for end-to-end tests). */
  constructor(private readonly make: () => Promise<PushSubscriptionJson> = async () => fakeSubscriptionJson()) {}

  async getSubscription(): Promise<PushSubscriptionLikeFake | null> {
    return this.subscription;
  }

  async subscribe(options: { userVisibleOnly: true; applicationServerKey: Uint8Array }): Promise<PushSubscriptionLikeFake> {
    const json = await this.make();
    const key = options.applicationServerKey;
    this.log.push('subscribe');
    const subscription = {
      json,
      endpoint: json.endpoint,
      options: { applicationServerKey: key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength) as ArrayBuffer },
      toJSON: () => json,
      unsubscribe: async () => {
        await this.onUnsubscribe?.();
        this.log.push('unsubscribe');
        if (this.subscription === subscription) this.subscription = null;
        return true;
      },
    };
    this.subscription = subscription;
    return subscription;
  }
}
interface PushSubscriptionLikeFake {
  endpoint: string;
  options: { applicationServerKey: ArrayBuffer | null };
  toJSON(): unknown;
  unsubscribe(): Promise<boolean>;
}
