// Subscribes this device to Web Push through the app's service worker and keeps the relay's record of it current.
import { checkPushSubscription, type PushSubscriptionJson } from '../../shared/push.js';
import type { PushApi } from './push-api.js';
import { PushError } from './push-error.js';

/** What is used of a browser `PushSubscription` (a seam: tests give a subscription of their own). */
export interface PushSubscriptionLike {
  readonly endpoint: string;
  readonly options?: { readonly applicationServerKey: ArrayBuffer | null };
  toJSON(): unknown;
  unsubscribe(): Promise<boolean>;
}

/** What is used of a browser `PushManager` (`registration.pushManager`). */
export interface PushManagerLike {
  getSubscription(): Promise<PushSubscriptionLike | null>;
  subscribe(options: { userVisibleOnly: true; applicationServerKey: Uint8Array }): Promise<PushSubscriptionLike>;
}

export interface PushDeviceOptions {
  api: PushApi;
  /** The push manager of the app's service worker registration (default: the registration of `navigator.serviceWorker.ready`). */
  pushManager?: () => Promise<PushManagerLike>;
}

/** How long subscribing waits for the app's service worker to be active (it registers on page load). */
const WORKER_WAIT_MS = 10_000;

/**
 * The push manager of the service worker registration of this page: when `wait`, the one that becomes active
 * (a first visit may still be installing it), else the one registered now. `PushError('unsupported')` when
 * there is no Push API, or no worker (it needs a secure context).
 */
export async function browserPushManager(wait = true): Promise<PushManagerLike> {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator) || typeof PushManager === 'undefined') {
    throw new PushError('unsupported', 'this browser has no Push API');
  }
  const container = navigator.serviceWorker;
  const registration = wait
    ? await Promise.race([container.ready, new Promise<undefined>((resolve) => setTimeout(resolve, WORKER_WAIT_MS, undefined))])
    : await container.getRegistration();
  if (!registration) throw new PushError('unsupported', "the app's service worker is not running (it needs https or localhost)");
  return registration.pushManager as unknown as PushManagerLike;
}

/** Decodes base64url (with or without padding) to bytes. */
export function base64UrlToBytes(text: string): Uint8Array {
  const base64 = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

const sameBytes = (a: ArrayBuffer | null | undefined, b: Uint8Array): boolean => {
  if (!a || a.byteLength !== b.length) return false;
  const view = new Uint8Array(a);
  return view.every((byte, i) => byte === b[i]);
};

/**
 * Subscribes this device (or reuses its subscription when it was made with the relay's current key) and
 * registers it with the relay. Call it when the user enables notifications (after the permission is granted)
 * and on every app start: subscriptions rotate, and the relay forgets the ones its push service answered 410.
 * Resolves with the subscription the relay now has; rejects with a `PushError`.
 */
export async function registerPush({ api, pushManager = () => browserPushManager(true) }: PushDeviceOptions): Promise<PushSubscriptionJson> {
  if (typeof Notification !== 'undefined' && Notification.permission === 'denied') {
    throw new PushError('permission-denied', 'notifications are blocked for this site');
  }
  const manager = await pushManager();
  const key = base64UrlToBytes(await api.vapidPublicKey());
  let subscription = await manager.getSubscription();
  if (subscription && !sameBytes(subscription.options?.applicationServerKey, key)) {
    // Made with another key (the relay's keys were replaced): the push service would refuse the relay's pushes.
    await subscription.unsubscribe().catch(() => false);
    subscription = null;
  }
  if (!subscription) {
    try {
      subscription = await manager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'NotAllowedError') throw new PushError('permission-denied', (error as Error).message);
      throw new PushError('subscribe-failed', (error as Error)?.message ?? String(error));
    }
  }
  const json = subscription.toJSON();
  try {
    checkPushSubscription(json);
  } catch (error) {
    throw new PushError('bad-subscription', `the browser gave a subscription the relay would refuse: ${(error as Error).message}`);
  }
  await api.register(json);
  return json;
}

/**
 * On logout: asks the relay to forget this device's subscription, then ends it at the push service. The local
 * unsubscribe happens even when the relay cannot be reached (its next push to the endpoint gets 410 and it
 * prunes it). Resolves with the endpoint removed, or undefined when the device had none; rejects with the
 * relay's `PushError` after unsubscribing (except `not-found`: already gone is what was wanted).
 */
export async function unregisterPush({ api, pushManager = () => browserPushManager(false) }: PushDeviceOptions): Promise<string | undefined> {
  const manager = await pushManager().catch((error: unknown) => {
    // No push here at all: nothing to undo.
    if (error instanceof PushError && error.code === 'unsupported') return undefined;
    throw error;
  });
  if (!manager) return undefined;
  const subscription = await manager.getSubscription();
  if (!subscription) return undefined;
  let failure: unknown;
  try {
    await api.unregister(subscription.endpoint);
  } catch (error) {
    if (!(error instanceof PushError && error.code === 'not-found')) failure = error;
  }
  await subscription.unsubscribe().catch(() => false);
  if (failure) throw failure;
  return subscription.endpoint;
}
