// In-page notifications for messages reaching a conversation this open tab does not show: through the app's service worker, grouped like pushes.
import { notificationFor } from '../../push/notification-content.js';
import type { PushPayload } from '../../../shared/push.js';

/** The service worker registration notifications are shown through, or undefined where there is none. */
export type RegistrationSource = () => Promise<ServiceWorkerRegistration | undefined>;

/** The registration of the app's service worker controlling this page (none on http: origins or without one). */
export const appRegistration: RegistrationSource = async () => {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return undefined;
  return navigator.serviceWorker.getRegistration();
};

/**
 * The rooms an earlier version muted on this device only (localStorage `parley:muted:<user>`), removed from the
 * device as they are read: the caller moves them into the account document, where mutes live now.
 */
export function takeDeviceMutes(userId: string): string[] {
  const key = `parley:muted:${userId}`;
  try {
    const rooms: unknown = JSON.parse(localStorage.getItem(key) ?? '[]');
    localStorage.removeItem(key);
    return Array.isArray(rooms) ? rooms.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    localStorage.removeItem(key);
    return [];
  }
}

/** How `notify` ended: through the worker's registration, as a page notification, or not at all. */
export type NotifyOutcome = 'service-worker' | 'page' | 'none';

/** Notification permission and in-page notifications of one tab. Mutes live in the account document (see chat-app). */
export class Notifier {
  constructor(private readonly registration: RegistrationSource = appRegistration) {}

  /** `granted`, `denied`, `default` (not asked yet) or `unsupported`. */
  get permission(): NotificationPermission | 'unsupported' {
    return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
  }

  /** Asks for permission (call from a click: browsers ignore requests without a user gesture). */
  async enable(): Promise<void> {
    if (typeof Notification !== 'undefined' && Notification.permission === 'default') await Notification.requestPermission();
  }

  /**
   * Shows the notification for `payload` unless the user is looking at that conversation right now. Through the
   * service worker's registration when there is one: the same title, body, tag `notificationTag(room)` (a newer
   * message replaces the conversation's notification, from a push or from here) and click (the worker opens the
   * room at the message). `new Notification` only without a worker (Chrome for Android has no such constructor);
   * `onClick` serves that case. Never throws: a notification that cannot be shown is skipped.
   */
  async notify(payload: PushPayload, lookingAtRoom: boolean, onClick: () => void): Promise<NotifyOutcome> {
    if (this.permission !== 'granted') return 'none';
    if (lookingAtRoom && document.visibilityState === 'visible') return 'none';
    const { title, options } = notificationFor(payload);
    let registration: ServiceWorkerRegistration | undefined;
    try {
      registration = await this.registration();
    } catch {
      registration = undefined;
    }
    if (registration?.active) {
      try {
        await registration.showNotification(title, options);
        return 'service-worker';
      } catch {
        return 'none';
      }
    }
    try {
      const notification = new Notification(title, { body: options.body, tag: options.tag, data: options.data });
      notification.onclick = () => {
        window.focus();
        onClick();
        notification.close();
      };
      return 'page';
    } catch {
      return 'none';
    }
  }
}
