// The VAPID Authorization header per push-service origin, signed once and reused until close to its expiry.
import webpush from 'web-push';
import type { VapidKeys } from './vapid-keys.js';

/** A JWT lives 12 h (VAPID allows at most 24 h) and is replaced when less than 1 h is left. */
const LIFETIME_S = 12 * 3600;
const RENEW_BEFORE_S = 3600;

/** `Authorization: vapid t=<JWT>, k=<public key>` for an audience (a push service's origin). */
export type VapidHeaderFor = (audience: string) => string;

/**
 * Signing an ES256 JWT costs far more than encrypting a payload, and the browsers' push services are a handful
 * of origins: one header per origin serves every push to it for hours.
 */
export function createVapidHeaders(keys: VapidKeys, subject: string, now: () => number = Date.now): VapidHeaderFor {
  const cache = new Map<string, { header: string; expires: number }>();
  return (audience) => {
    const seconds = Math.floor(now() / 1000);
    const cached = cache.get(audience);
    if (cached && cached.expires - seconds > RENEW_BEFORE_S) return cached.header;
    const expires = seconds + LIFETIME_S;
    const { Authorization } = webpush.getVapidHeaders(audience, subject, keys.publicKey, keys.privateKey, 'aes128gcm', expires) as { Authorization: string };
    if (cache.size > 1000) cache.clear();
    cache.set(audience, { header: Authorization, expires });
    return Authorization;
  };
}

/** Throws unless `subject` is a `mailto:` address or an https URL (what push services accept, RFC 8292 §2.1). */
export function checkVapidSubject(subject: string): void {
  if (!/^mailto:[^\s@]+@[^\s@]+$/.test(subject) && !/^https:\/\/[^\s]+$/.test(subject)) {
    throw new Error(`the VAPID subject must be mailto:address or an https URL (got ${JSON.stringify(subject.slice(0, 100))})`);
  }
}
