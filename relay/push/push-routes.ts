// HTTP endpoints of Web Push: the VAPID public key, and registering or removing a device's subscription.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { Logger } from 'pino';
import { RuleError } from '../../shared/errors.js';
import { MAX_ENDPOINT_LENGTH, checkPushSubscription } from '../../shared/push.js';
import { TokenError, type Identity, type VerifyToken } from '../auth.js';
import { readJsonObject } from '../json-body.js';
import type { EndpointAllowList } from './endpoint-allow-list.js';
import { SubscriptionLimitError, type SubscriptionStore } from './subscription-store.js';

/**
 * `GET /push/vapid-public-key` → 200 `{ publicKey }` (the applicationServerKey, base64url).
 * `POST /push/subscriptions` (Bearer token) `{ subscription }` → 201 `{ id }`, or 200 when the endpoint was
 * registered already (it then belongs to the token's user, whoever had it).
 * `DELETE /push/subscriptions` (Bearer token) `{ endpoint }` → 204, or 404 when the token's user has no such one.
 * Errors are `{ error: { code, message } }`: 400 bad-json / bad-request / bad-subscription, 401 unauthorized,
 * 403 endpoint-not-allowed, 404 push-disabled / not-found, 413 too-large, 415 unsupported-media-type,
 * 429 too-many-subscriptions. See docs/protocol.md (Web Push).
 */
export interface PushRoutesDeps {
  verifyToken: VerifyToken;
  /** Undefined when push is off: every route answers 404 push-disabled. */
  push: { publicKey: string; store: SubscriptionStore; allowList: EndpointAllowList } | undefined;
  log: Logger;
}

/** A request failure with its HTTP status and JSON error code; turned into a response once (onError). */
export class PushHttpError extends Error {
  override name = 'PushHttpError';
  constructor(readonly status: 400 | 401 | 403 | 404 | 413 | 415 | 429, readonly code: string, message: string) {
    super(message);
  }
}

const fail = (status: PushHttpError['status'], code: string, message: string): never => {
  throw new PushHttpError(status, code, message);
};

/** A subscription is about 300–600 bytes of JSON; this leaves room and bounds the parse. */
const MAX_BODY_BYTES = 8 * 1024;


/** Builds the push routes (mounted on the relay's Hono app at `/`). */
export function pushRoutes(deps: PushRoutesDeps): Hono {
  const app = new Hono();
  app.use('/push/*', cors({ origin: '*', allowMethods: ['GET', 'POST', 'DELETE'], allowHeaders: ['Authorization', 'Content-Type'] }));
  app.use('/push/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => fail(413, 'too-large', `body larger than ${MAX_BODY_BYTES} bytes`) }));
  const enabled = () => deps.push ?? fail(404, 'push-disabled', 'push notifications are switched off on this relay');

  const identify = async (c: Context): Promise<Identity> => {
    const match = /^Bearer ([^\s]+)$/i.exec(c.req.header('authorization') ?? '');
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer');
      return fail(401, 'unauthorized', 'a Bearer token is required');
    }
    try {
      return await deps.verifyToken(match[1]!);
    } catch (error) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return fail(401, 'unauthorized', error instanceof TokenError ? error.message : 'invalid token');
    }
  };

  app.get('/push/vapid-public-key', (c) => c.json({ publicKey: enabled().publicKey }));

  app.post('/push/subscriptions', async (c) => {
    const push = enabled();
    const identity = await identify(c);
    const { subscription } = await readJsonObject(c, fail, ['subscription']);
    try {
      checkPushSubscription(subscription);
    } catch (error) {
      if (error instanceof RuleError) fail(400, 'bad-subscription', error.message);
      throw error;
    }
    // Never a request to an address a client chose: only the push services' origins (and the operator's).
    if (!push.allowList.allows(subscription.endpoint)) {
      fail(403, 'endpoint-not-allowed', 'the endpoint is not on a push service this relay sends to');
    }
    try {
      const { id, created } = await push.store.add(identity.id, subscription);
      return c.json({ id }, created ? 201 : 200);
    } catch (error) {
      if (error instanceof SubscriptionLimitError) return fail(429, 'too-many-subscriptions', error.message);
      throw error;
    }
  });

  app.delete('/push/subscriptions', async (c) => {
    const push = enabled();
    const identity = await identify(c);
    const { endpoint } = await readJsonObject(c, fail, ['endpoint']);
    if (typeof endpoint !== 'string' || endpoint.length === 0 || endpoint.length > MAX_ENDPOINT_LENGTH) {
      fail(400, 'bad-request', `endpoint must be a string of at most ${MAX_ENDPOINT_LENGTH} characters`);
    }
    // Another user's endpoint is "not found" like an unknown one: never removed, and nothing learnt about it.
    if (!(await push.store.remove(identity.id, endpoint as string))) fail(404, 'not-found', 'you have no subscription with this endpoint');
    return c.body(null, 204);
  });

  app.onError((error, c) => {
    if (error instanceof PushHttpError) return c.json({ error: { code: error.code, message: error.message } }, error.status);
    deps.log.error({ err: error, path: c.req.path }, 'push request failed');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });
  return app;
}
