// The relay's Web Push endpoints from the browser: the VAPID public key, and registering or removing this device's subscription.
import type { GetToken } from '../connection/connection-state.js';
import { httpBase } from '../membership/api.js';
import type { PushSubscriptionJson } from '../../shared/push.js';
import { PushError } from './push-error.js';

/** How long a request may take before it counts as a network failure (sign-out waits for the DELETE). */
const REQUEST_TIMEOUT_MS = 10_000;

/** The HTTP side of push (docs/push.md), bound to a relay and a token source. */
export interface PushApi {
  /** `GET /push/vapid-public-key`: the key to subscribe with (base64url); `PushError('push-disabled')` when the relay has push off. */
  vapidPublicKey(): Promise<string>;
  /** `POST /push/subscriptions`: this device receives the user's pushes (again: a re-registration moves it to this user). */
  register(subscription: PushSubscriptionJson): Promise<{ id?: string }>;
  /** `DELETE /push/subscriptions`: this device stops receiving them (`PushError('not-found')` when the relay has none). */
  unregister(endpoint: string): Promise<void>;
}

/**
 * Binds the push endpoints to `relayUrl`. The token (from `getToken`, room `~account`) travels in the
 * `Authorization` header only, never in a URL.
 */
export function pushApi({ relayUrl, getToken }: { relayUrl: string; getToken: GetToken }): PushApi {
  const base = httpBase(relayUrl);
  const request = async (method: string, path: string, body?: unknown, authorized = true): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (authorized) headers.authorization = `Bearer ${await getToken({ room: '~account', forceRefresh: false })}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new PushError('network', `the relay could not be reached: ${(error as Error).message}`);
    }
    if (res.ok) return res;
    const json = (await res.json().catch(() => ({}))) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof json.error?.code === 'string' ? json.error.code : res.status === 404 ? 'push-disabled' : 'http';
    const message = typeof json.error?.message === 'string' ? json.error.message : `HTTP ${res.status}`;
    throw new PushError(code, message, res.status);
  };
  return {
    async vapidPublicKey() {
      const res = await request('GET', '/push/vapid-public-key', undefined, false).catch((error: unknown) => {
        // Push switched off, or a relay from before push (no such route): either way this relay sends none.
        if (error instanceof PushError && error.status === 404) throw new PushError('push-disabled', error.message, 404);
        throw error;
      });
      const body = (await res.json().catch(() => ({}))) as { publicKey?: unknown };
      if (typeof body.publicKey !== 'string' || !/^[A-Za-z0-9_-]+=*$/.test(body.publicKey)) throw new PushError('bad-response', 'the relay answered without a VAPID public key');
      return body.publicKey;
    },
    async register(subscription) {
      const res = await request('POST', '/push/subscriptions', { subscription });
      const body = (await res.json().catch(() => ({}))) as { id?: unknown };
      return typeof body.id === 'string' ? { id: body.id } : {};
    },
    async unregister(endpoint) {
      await request('DELETE', '/push/subscriptions', { endpoint });
    },
  };
}
