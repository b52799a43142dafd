// Each user's push subscriptions (one per device), kept in memory and on disk: one file per user, named by a hash of the user id.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPushSubscription, type PushSubscriptionJson } from '../../shared/push.js';

/** A subscription as stored: what the browser gave, an id, and when it was registered. */
export interface StoredSubscription {
  /** First 24 hex digits of SHA-256(endpoint): stable for an endpoint, reveals nothing of it. */
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  createdAt: number;
}

/** The store refuses a subscription: too many for the user (`per-user`) or for the relay (`total`). */
export class SubscriptionLimitError extends Error {
  override name = 'SubscriptionLimitError';
  constructor(readonly limit: 'per-user' | 'total', message: string) {
    super(message);
  }
}

export interface SubscriptionLimits {
  /** Devices one user may register (default 20); more are refused (SubscriptionLimitError). */
  maxPerUser: number;
  /** Subscriptions the relay keeps in all (default 1,000,000). */
  maxTotal: number;
}

/** The subscriptions of every user; writes are durable when their promise resolves. */
export interface SubscriptionStore {
  /** Registers `subscription` for `user`: `created` false when it was there already (then it moves to `user` if another user had it). */
  add(user: string, subscription: PushSubscriptionJson, now?: number): Promise<{ id: string; created: boolean }>;
  /** Removes `user`'s subscription with this endpoint; false when `user` has none such (another user's is never touched). */
  remove(user: string, endpoint: string): Promise<boolean>;
  /** Removes the subscription with this endpoint, whoever holds it (the push service said it is gone: 404/410). */
  prune(endpoint: string): Promise<boolean>;
  /** `user`'s subscriptions (empty when none). */
  of(user: string): readonly StoredSubscription[];
  /** Whether `user` has any subscription: the cheap first test of the push decision. */
  has(user: string): boolean;
  /** The user holding the subscription with this endpoint. */
  ownerOf(endpoint: string): string | undefined;
  readonly total: number;
  readonly users: number;
}

/** The file holding `user`'s subscriptions: 40 hex digits of SHA-256(user id), never the id itself. */
const fileName = (user: string): string => `${createHash('sha256').update(user).digest('hex').slice(0, 40)}.json`;
export const subscriptionId = (endpoint: string): string => createHash('sha256').update(endpoint).digest('hex').slice(0, 24);

interface UserFile {
  user: string;
  subscriptions: StoredSubscription[];
}

/** Reads one user's file, keeping the well-formed subscriptions only. */
function readUserFile(path: string): UserFile | undefined {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Partial<UserFile>;
    if (typeof data.user !== 'string' || !Array.isArray(data.subscriptions)) return undefined;
    const subscriptions = data.subscriptions.filter((s): s is StoredSubscription => {
      try {
        checkPushSubscription(s);
        return typeof s.id === 'string' && typeof s.createdAt === 'number';
      } catch {
        return false;
      }
    });
    return { user: data.user, subscriptions };
  } catch {
    return undefined;
  }
}

/**
 * Opens the store in `dir` (created if missing) and reads every user's file. Each write replaces one user's
 * file whole (temporary file, fsync, rename); one user's writes run one after another, in call order.
 */
export function openSubscriptionStore(dir: string, limits: SubscriptionLimits = { maxPerUser: 20, maxTotal: 1_000_000 }): SubscriptionStore {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const byUser = new Map<string, StoredSubscription[]>();
  const owners = new Map<string, string>();
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (!/^[0-9a-f]{40}\.json$/.test(name)) continue;
    const file = readUserFile(join(dir, name));
    if (!file || fileName(file.user) !== name || file.subscriptions.length === 0) continue;
    const kept = file.subscriptions.filter((s) => !owners.has(s.endpoint)).slice(0, limits.maxPerUser);
    for (const s of kept) owners.set(s.endpoint, file.user);
    byUser.set(file.user, kept);
    total += kept.length;
  }

  const writes = new Map<string, Promise<void>>();
  /** Writes `user`'s current list (after any write of theirs already queued); an empty list removes the file. */
  const persist = (user: string): Promise<void> => {
    const previous = writes.get(user) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const path = join(dir, fileName(user));
      const subscriptions = byUser.get(user) ?? [];
      if (subscriptions.length === 0) {
        await unlink(path).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
        return;
      }
      const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify({ user, subscriptions } satisfies UserFile)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    });
    writes.set(user, next);
    void next.finally(() => {
      if (writes.get(user) === next) writes.delete(user);
    }).catch(() => undefined);
    return next;
  };

  /** Takes the subscription with `endpoint` out of `user`'s list in memory; true if it was there. */
  const take = (user: string, endpoint: string): boolean => {
    const list = byUser.get(user);
    const index = list?.findIndex((s) => s.endpoint === endpoint) ?? -1;
    if (!list || index === -1) return false;
    list.splice(index, 1);
    if (list.length === 0) byUser.delete(user);
    owners.delete(endpoint);
    total--;
    return true;
  };

  return {
    async add(user, subscription, now = Date.now()) {
      const { endpoint, keys } = subscription;
      const id = subscriptionId(endpoint);
      const entry: StoredSubscription = { id, endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth }, createdAt: now };
      const owner = owners.get(endpoint);
      if (owner === user) {
        // A re-registration (each app start): keys may have rotated with the same endpoint.
        const list = byUser.get(user)!;
        list[list.findIndex((s) => s.endpoint === endpoint)] = entry;
        await persist(user);
        return { id, created: false };
      }
      const list = byUser.get(user) ?? [];
      if (list.length >= limits.maxPerUser) {
        throw new SubscriptionLimitError('per-user', `at most ${limits.maxPerUser} devices per user; unsubscribe one first`);
      }
      if (owner === undefined && total >= limits.maxTotal) throw new SubscriptionLimitError('total', 'this relay holds as many push subscriptions as it may');
      // The same device now signed in as another user: it notifies that user only.
      const moved = owner !== undefined && take(owner, endpoint);
      list.push(entry);
      byUser.set(user, list);
      owners.set(endpoint, user);
      total++;
      await Promise.all([persist(user), moved ? persist(owner) : undefined]);
      return { id, created: !moved };
    },
    async remove(user, endpoint) {
      if (!take(user, endpoint)) return false;
      await persist(user);
      return true;
    },
    async prune(endpoint) {
      const owner = owners.get(endpoint);
      if (owner === undefined || !take(owner, endpoint)) return false;
      await persist(owner);
      return true;
    },
    of: (user) => byUser.get(user) ?? [],
    has: (user) => byUser.has(user),
    ownerOf: (endpoint) => owners.get(endpoint),
    get total() {
      return total;
    },
    get users() {
      return byUser.size;
    },
  };
}
