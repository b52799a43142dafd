// Collapses a conversation's burst of notifications for one user into one push whose count says how many messages it stands for.
import type { NotificationContent } from './push-payload.js';

/** One user's notification for one room, waiting for its burst to end. */
export interface CollapsedNotification extends NotificationContent {
  user: string;
  /** Some message of the burst mentioned the user (the push is then urgent). */
  anyMention: boolean;
}

export interface PushCollapser {
  /** Adds one notifying message for `user` in `content.room`; false when dropped (too many pending). */
  add(user: string, content: NotificationContent): boolean;
  readonly pending: number;
  /** Cancels everything pending. */
  close(): void;
}

/**
 * The first notifying message of a room for a user opens a window of `windowMs`; messages arriving in it join
 * the same notification (count + 1, newest message's content). When the window ends, `flush` gets one
 * notification. Most `maxPending` (user, room) windows are open at once; more are dropped.
 */
export function createPushCollapser(windowMs: number, maxPending: number, flush: (notification: CollapsedNotification) => void): PushCollapser {
  // A window keeps the newest content as given (never copied: a message to a large channel joins hundreds of
  // windows, and the caller may share one content between users); the notification is built once, at the end.
  const pending = new Map<string, { user: string; latest: NotificationContent; count: number; anyMention: boolean; timer: NodeJS.Timeout }>();
  return {
    add(user, content) {
      const key = `${user}\n${content.room}`;
      const open = pending.get(key);
      if (open) {
        open.latest = content;
        open.count += content.count;
        open.anyMention ||= content.mention;
        return true;
      }
      if (pending.size >= maxPending) return false;
      const timer = setTimeout(() => {
        const entry = pending.get(key);
        pending.delete(key);
        if (entry) flush({ ...entry.latest, user, count: entry.count, anyMention: entry.anyMention });
      }, windowMs);
      timer.unref();
      pending.set(key, { user, latest: content, count: content.count, anyMention: content.mention, timer });
      return true;
    },
    get pending() {
      return pending.size;
    },
    close() {
      for (const { timer } of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}
