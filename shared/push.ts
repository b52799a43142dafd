// Web Push shared by relay and service worker: the subscription a device registers, the payload a push carries, and who is notified.
import { ensure } from './errors.js';
import type { NotifyLevel } from './account.js';
import type { RoomKind } from './schema.js';

/**
 * A device's push subscription as the browser's `PushSubscription.toJSON()` gives it: the push service's
 * endpoint (https) and the keys the relay encrypts payloads to (RFC 8291: `p256dh` an uncompressed P-256 public
 * key, 65 bytes; `auth` a 16-byte secret; both base64url without padding).
 */
export interface PushSubscriptionJson {
  endpoint: string;
  expirationTime?: number | null;
  keys: { p256dh: string; auth: string };
}

/** Longest endpoint URL accepted (the browsers' push services use a few hundred characters). */
export const MAX_ENDPOINT_LENGTH = 1024;

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Length in characters of `bytes` bytes in base64url without padding. */
const base64urlLength = (bytes: number): number => Math.ceil((bytes * 4) / 3);

/** A well-formed subscription (whether its endpoint's origin is allowed is the relay's decision). */
export function checkPushSubscription(value: unknown): asserts value is PushSubscriptionJson {
  ensure(typeof value === 'object' && value !== null && !Array.isArray(value), 'bad-subscription', 'a subscription must be an object');
  const { endpoint, keys, expirationTime } = value as Record<string, unknown>;
  ensure(typeof endpoint === 'string' && endpoint.length <= MAX_ENDPOINT_LENGTH, 'bad-subscription', `endpoint must be a URL of at most ${MAX_ENDPOINT_LENGTH} characters`);
  // No URL class here (shared/ has neither DOM nor Node types): an https origin of host characters only (so no
  // credentials), an optional port, then a path. The relay parses it again to match its allow-list of origins.
  ensure(/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/[^\s]*$/.test(endpoint), 'bad-subscription', 'endpoint must be an https URL without credentials');
  ensure(expirationTime === undefined || expirationTime === null || (typeof expirationTime === 'number' && Number.isFinite(expirationTime)), 'bad-subscription', 'expirationTime must be a time or null');
  ensure(typeof keys === 'object' && keys !== null, 'bad-subscription', 'keys must be an object');
  const { p256dh, auth } = keys as Record<string, unknown>;
  ensure(typeof p256dh === 'string' && p256dh.replace(/=+$/, '').length === base64urlLength(65) && BASE64URL.test(p256dh.replace(/=+$/, '')), 'bad-subscription', 'keys.p256dh must be a 65-byte P-256 key in base64url');
  ensure(typeof auth === 'string' && auth.replace(/=+$/, '').length === base64urlLength(16) && BASE64URL.test(auth.replace(/=+$/, '')), 'bad-subscription', 'keys.auth must be 16 bytes in base64url');
}

/** Longest preview of a message's text in a payload, in code points. */
export const PUSH_PREVIEW_LENGTH = 140;

/**
 * What one push carries (JSON, encrypted to the device). One notification per conversation: `count` is how many
 * new messages this notification stands for since the device was last notified (the service worker replaces
 * the conversation's notification, tag `notificationTag(room)`). `sender`, `senderName` and `preview` are absent
 * when the user chose "hide message text".
 */
export interface PushPayload {
  v: 1;
  room: string;
  messageId: string;
  /** The conversation's title (its name when it has none). */
  title: string;
  kind: RoomKind;
  /** The newest message mentions the recipient. */
  mention: boolean;
  count: number;
  /** The newest message's creation time. */
  at: number;
  sender?: string;
  senderName?: string;
  preview?: string;
}

/** The tag grouping a conversation's notifications: a new one replaces the last. */
export const notificationTag = (room: string): string => `parley:${room}`;

/** A member's notification settings for one conversation, as their account document holds them. */
export interface NotifySettings {
  level: NotifyLevel;
  /** Muted until this time (ms since the epoch); 0 or absent: not muted. */
  mutedUntil?: number;
}

/**
 * Whether a new message notifies a member (the author is never asked). `all`: every message; `mentions`: messages
 * that mention them, and every message of a direct conversation; `none`: nothing. While muted, only a mention
 * notifies, and only at level `mentions` (the one way to stay reachable in a muted conversation).
 */
export function shouldNotify(settings: NotifySettings, kind: RoomKind, mentioned: boolean, now: number): boolean {
  const { level, mutedUntil = 0 } = settings;
  if (level === 'none') return false;
  if (mutedUntil > now) return level === 'mentions' && mentioned;
  return level === 'all' || mentioned || kind === 'direct';
}
