// Web Push options of the relay: types, defaults and checks (a bad value fails the start with a clear message).
import { AllowListError, parseOriginPattern } from './endpoint-allow-list.js';
import { VapidKeyError, checkVapidKeys, type VapidKeys } from './vapid-keys.js';
import { checkVapidSubject } from './vapid-headers.js';

/** Web Push (docs/push.md). Every field has a default; push is on unless `enabled: false`. */
export interface PushOptions {
  /** Default true. Off: the routes answer 404 push-disabled and nothing is sent. */
  enabled: boolean;
  /** The VAPID key pair (share one between relays that share users). Default: generated on first start, kept in `<dataDir>/push/vapid-keys.json`. */
  vapidKeys?: VapidKeys;
  /** Contact push services may use (`mailto:` or https URL; Apple requires a real one). Default `mailto:webpush@parley.invalid`. */
  subject: string;
  /** Push-service origins allowed besides the browsers' (`https://host[:port]`, `https://*.domain`): tests, private deployments. */
  allowOrigins: string[];
  /** A conversation's burst window: messages to one user within it make one push (default 1000 ms). */
  collapseMs: number;
  /** Devices per user (default 20). */
  maxSubscriptionsPerUser: number;
  /** Subscriptions in all (default 1,000,000). */
  maxSubscriptions: number;
  /** Seconds a push service keeps an undelivered push (default 86,400). */
  ttlSeconds: number;
  /** Requests to push services in flight at once (default 16). */
  concurrency: number;
  /** Pushes queued or waiting to retry (default 10,000). */
  maxQueue: number;
  /** A push service's answer is awaited this long (default 10,000 ms). */
  timeoutMs: number;
  /** Tries per push (default 4). */
  maxAttempts: number;
  /** First retry delay, doubled per retry (default 1000 ms). */
  backoffMs: number;
  /** Pushes per device in a burst, then per minute (defaults 10 and 6). */
  deviceBurst: number;
  devicePerMinute: number;
  /** Subscribed users whose notification preferences are cached (default 10,000). */
  preferencesCacheUsers: number;
  /** Tests only: a PEM certificate trusted (besides the system's) for push services. */
  trustedCa?: string;
}

export const DEFAULT_PUSH_SUBJECT = 'mailto:webpush@parley.invalid';

const DEFAULTS: PushOptions = {
  enabled: true,
  subject: DEFAULT_PUSH_SUBJECT,
  allowOrigins: [],
  collapseMs: 1000,
  maxSubscriptionsPerUser: 20,
  maxSubscriptions: 1_000_000,
  ttlSeconds: 86_400,
  concurrency: 16,
  maxQueue: 10_000,
  timeoutMs: 10_000,
  maxAttempts: 4,
  backoffMs: 1000,
  deviceBurst: 10,
  devicePerMinute: 6,
  preferencesCacheUsers: 10_000,
};

const NUMERIC = ['collapseMs', 'maxSubscriptionsPerUser', 'maxSubscriptions', 'ttlSeconds', 'concurrency', 'maxQueue', 'timeoutMs', 'maxAttempts', 'backoffMs', 'deviceBurst', 'devicePerMinute', 'preferencesCacheUsers'] as const;

/** Applies defaults and checks; throws an Error whose message names the option (the caller wraps it as ConfigError). */
export function resolvePushOptions(input: Partial<PushOptions> | undefined): PushOptions {
  const options: PushOptions = { ...DEFAULTS, ...(input ?? {}) };
  for (const name of NUMERIC) {
    const value = options[name];
    if (!Number.isSafeInteger(value) || value < (name === 'collapseMs' ? 0 : 1)) throw new Error(`push.${name} must be a positive integer (got ${String(value)})`);
  }
  checkVapidSubject(options.subject);
  try {
    for (const origin of options.allowOrigins) parseOriginPattern(origin);
    if (options.vapidKeys !== undefined) checkVapidKeys(options.vapidKeys, 'push.vapidKeys');
  } catch (error) {
    if (error instanceof AllowListError || error instanceof VapidKeyError) throw new Error(error.message);
    throw error;
  }
  return options;
}
