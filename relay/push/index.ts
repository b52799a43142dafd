// Web Push in the relay: keys, subscriptions, the notifier watching conversations, the sender, the routes and metrics.
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { isAccountRoom } from '../../shared/account.js';
import type { VerifyToken } from '../auth.js';
import type { Metrics } from '../metrics.js';
import type { Room, RoomPeer } from '../room.js';
import type { RoomManager } from '../room-manager.js';
import { createEndpointAllowList } from './endpoint-allow-list.js';
import { createNotifyPreferencesCache } from './notify-preferences.js';
import type { PushOptions } from './push-options.js';
import { createPushNotifier } from './push-notifier.js';
import { pushRoutes } from './push-routes.js';
import { startPushWorkerSender } from './push-worker-sender.js';
import { openSubscriptionStore } from './subscription-store.js';
import { VapidKeyError, loadOrCreateVapidKeys, type VapidKeys } from './vapid-keys.js';
import { ConfigError } from '../options.js';

export type { PushOptions } from './push-options.js';
export type { VapidKeys } from './vapid-keys.js';

/** (user, room) burst windows open at once at most (a few hundred bytes each); more notifications are dropped. */
const MAX_BURST_WINDOWS = 100_000;

/** What the relay calls. */
export interface Push {
  /** `/push/*` routes, mounted at `/` (they answer 404 push-disabled when push is off). */
  routes: Hono;
  /** A peer joined `room` (both endpoints): conversations are watched for new messages, account documents for preference changes. */
  connected(room: Room, peer: RoomPeer): void;
  /** Whether push is on (and why not, when off). */
  readonly enabled: boolean;
  close(): void;
}

/**
 * The VAPID keys push will use: configured, or read from (created in) `<dataDir>/push/vapid-keys.json`.
 * Undefined when push is off or the relay has no data directory of its own. Called before the relay starts
 * anything, so that a bad key file stops the start cleanly (ConfigError).
 */
export function loadPushKeys(options: PushOptions, dataDir: string | undefined): VapidKeys | undefined {
  if (!options.enabled || dataDir === undefined) return undefined;
  try {
    return options.vapidKeys ?? loadOrCreateVapidKeys(join(dataDir, 'push', 'vapid-keys.json'));
  } catch (error) {
    if (error instanceof VapidKeyError) throw new ConfigError(error.message);
    throw error;
  }
}

export interface PushDeps {
  options: PushOptions;
  /** From loadPushKeys; undefined: push is off (switched off, or no data directory of its own: cluster mode, custom backend). */
  keys: VapidKeys | undefined;
  dataDir: string | undefined;
  rooms: RoomManager;
  verifyToken: VerifyToken;
  metrics: Metrics;
  log: Logger;
}

/** Starts Web Push (or only its routes, answering push-disabled, when it is off). */
export function startPush(deps: PushDeps): Push {
  const { options, log, metrics } = deps;
  const { keys } = deps;
  if (keys === undefined || deps.dataDir === undefined) {
    if (options.enabled) log.warn('push notifications are off: they need the relay\'s own data directory (not cluster mode or a custom backend; see docs/push.md)');
    return { routes: pushRoutes({ verifyToken: deps.verifyToken, push: undefined, log }), connected() {}, enabled: false, close() {} };
  }
  const dir = join(deps.dataDir, 'push');
  const store = openSubscriptionStore(join(dir, 'subscriptions'), { maxPerUser: options.maxSubscriptionsPerUser, maxTotal: options.maxSubscriptions });
  const allowList = createEndpointAllowList(options.allowOrigins);
  const preferences = createNotifyPreferencesCache(deps.rooms, { maxUsers: options.preferencesCacheUsers });
  const sent = metrics.counter('parley_push_sent_total', 'Pushes to push services by outcome: delivered, gone (404/410, pruned), retry, failed, dropped-queue, dropped-rate, dropped-origin.');
  const decisions = metrics.counter('parley_push_decisions_total', 'Push decisions: considered (new durable messages), then per candidate notify, level (level or mute says no), unavailable, dropped.');
  const restarts = metrics.counter('parley_push_worker_restarts_total', 'Times the push worker thread died and was started again.');
  // Encryption, VAPID headers and the requests run on a worker thread: a burst of pushes costs the fan-out nothing.
  const sender = startPushWorkerSender({
    config: {
      ttlSeconds: options.ttlSeconds,
      concurrency: options.concurrency,
      maxQueue: options.maxQueue,
      timeoutMs: options.timeoutMs,
      maxAttempts: options.maxAttempts,
      backoffMs: options.backoffMs,
      deviceBurst: options.deviceBurst,
      devicePerMinute: options.devicePerMinute,
      maxRetryAfterMs: 60_000,
      keys,
      subject: options.subject,
      allowOrigins: options.allowOrigins,
      ...(options.trustedCa !== undefined ? { trustedCa: options.trustedCa } : {}),
    },
    log,
    onGone: (endpoint) => {
      store.prune(endpoint).catch((error: unknown) => log.warn({ err: error }, 'pruning a push subscription failed'));
    },
    onOutcome: (outcome) => sent.inc({ outcome }),
    onRestart: () => restarts.inc(),
  });
  const notifier = createPushNotifier({ store, preferences, sender, collapseMs: options.collapseMs, maxPending: MAX_BURST_WINDOWS, decisions, log });
  metrics.gauge('parley_push_subscriptions', 'Push subscriptions stored (devices).', () => store.total);
  metrics.gauge('parley_push_pending', 'Pushes waiting: open burst windows plus queued, in flight or waiting to retry.', () => notifier.pending + sender.pending);
  metrics.gauge('parley_push_preferences_cached', 'Users whose notification preferences are cached.', () => preferences.size);
  log.info({ origins: allowList.origins.length, subscriptions: store.total }, 'push notifications on');
  return {
    routes: pushRoutes({ verifyToken: deps.verifyToken, push: { publicKey: keys.publicKey, store, allowList }, log }),
    connected(room, peer) {
      if (isAccountRoom(room.name)) preferences.watch(room, peer.userId);
      else notifier.watch(room);
    },
    enabled: true,
    close() {
      notifier.close();
      sender.close();
    },
  };
}
