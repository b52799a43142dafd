// A bounded cache of subscribed users' notification preferences, read from their account documents and dropped when those change.
import type * as Y from 'yjs';
import { PREFERENCES, SETTINGS, defaultNotifyLevel, readSettings, type NotifyLevel } from '../../shared/account.js';
import { accountRoomNameNow } from '../membership/account-room-name.js';
import type { NotifySettings } from '../../shared/push.js';
import type { RoomKind } from '../../shared/schema.js';
import type { Room } from '../room.js';
import type { RoomManager } from '../room-manager.js';

/** What the push decision needs from one user's account document. */
export interface UserNotifyPreferences {
  /** Per conversation: the chosen level and mute, when the user set them. */
  rooms: Map<string, { notify?: NotifyLevel; mutedUntil?: number }>;
  hideMessageText: boolean;
}

/** The settings `shouldNotify` takes for `room`: the user's choice, or the kind's default level. */
export function settingsFor(prefs: UserNotifyPreferences, room: string, kind: RoomKind): NotifySettings {
  const chosen = prefs.rooms.get(room);
  return { level: chosen?.notify ?? defaultNotifyLevel(kind), mutedUntil: chosen?.mutedUntil ?? 0 };
}

/** Reads the preferences out of an account document (well-formed values only). */
export function readNotifyPreferences(doc: Y.Doc): UserNotifyPreferences {
  const rooms: UserNotifyPreferences['rooms'] = new Map();
  if (doc.share.has(PREFERENCES)) {
    for (const [room, value] of doc.getMap<unknown>(PREFERENCES).entries()) {
      if (typeof value !== 'object' || value === null) continue;
      const { notify, mutedUntil } = value as { notify?: unknown; mutedUntil?: unknown };
      const entry: { notify?: NotifyLevel; mutedUntil?: number } = {};
      if (notify === 'all' || notify === 'mentions' || notify === 'none') entry.notify = notify;
      if (typeof mutedUntil === 'number' && Number.isFinite(mutedUntil)) entry.mutedUntil = mutedUntil;
      if (entry.notify !== undefined || entry.mutedUntil !== undefined) rooms.set(room, entry);
    }
  }
  const hideMessageText = doc.share.has(SETTINGS) ? readSettings(doc).hideMessageText === true : false;
  return { rooms, hideMessageText };
}

export interface NotifyPreferencesCache {
  /** `user`'s preferences: from the cache, or read from their account document (loaded for the read, released after). */
  get(user: string): Promise<UserNotifyPreferences>;
  /** Keeps `user`'s cached preferences fresh while their account document `room` is loaded (idempotent). */
  watch(room: Room, user: string): void;
  readonly size: number;
  /** Account documents read so far (cache misses). */
  readonly loads: number;
}

/**
 * Most users cached (least recently used out first) and account documents read at once. A message to a large
 * channel then reads each subscribed member's document once, not once per message: an entry stays until its
 * document changes (observed while loaded; a change can only be made while it is loaded) or it is evicted.
 */
export function createNotifyPreferencesCache(rooms: RoomManager, { maxUsers = 10_000, concurrentLoads = 8 } = {}): NotifyPreferencesCache {
  const cache = new Map<string, UserNotifyPreferences>();
  const loading = new Map<string, Promise<UserNotifyPreferences>>();
  /** Bumped by each change: a read that began before it is not cached. */
  const generation = new Map<string, number>();
  const watched = new WeakSet<Y.Doc>();
  let loads = 0;
  let running = 0;
  const waiting: Array<() => void> = [];

  const invalidate = (user: string) => {
    cache.delete(user);
    generation.set(user, (generation.get(user) ?? 0) + 1);
    if (generation.size > maxUsers * 2) generation.clear();
  };
  const watchDoc = (doc: Y.Doc, user: string) => {
    if (watched.has(doc)) return;
    watched.add(doc);
    doc.getMap(PREFERENCES).observe(() => invalidate(user));
    doc.getMap(SETTINGS).observe(() => invalidate(user));
  };

  const load = async (user: string): Promise<UserNotifyPreferences> => {
    if (running >= concurrentLoads) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      const before = generation.get(user) ?? 0;
      const room = await rooms.acquire(accountRoomNameNow(user));
      try {
        loads++;
        watchDoc(room.doc, user);
        const prefs = readNotifyPreferences(room.doc);
        if ((generation.get(user) ?? 0) === before) {
          cache.set(user, prefs);
          if (cache.size > maxUsers) cache.delete(cache.keys().next().value!);
        }
        return prefs;
      } finally {
        rooms.release(room);
      }
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };

  return {
    get(user) {
      const cached = cache.get(user);
      if (cached !== undefined) {
        // Most recently used last.
        cache.delete(user);
        cache.set(user, cached);
        return Promise.resolve(cached);
      }
      let pending = loading.get(user);
      if (pending === undefined) {
        pending = load(user).finally(() => loading.delete(user));
        loading.set(user, pending);
      }
      return pending;
    },
    watch(room, user) {
      watchDoc(room.doc, user);
      invalidate(user);
    },
    get size() {
      return cache.size;
    },
    get loads() {
      return loads;
    },
  };
}
