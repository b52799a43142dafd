// The inbox: conversations this user opened on this device, with unread counts and last-message previews.
import { openChannel } from './channel.js';
import { userDbPrefix } from './idb.js';
import { localStoreFor, type InboxEntry } from './local-store.js';

const channelName = (userId: string): string => `${userDbPrefix(userId)}:inbox`;

/** The user's conversations on this device, most recently active first (kept in IndexedDB). */
export function listInbox(userId: string): Promise<InboxEntry[]> {
  return localStoreFor(userId).inbox();
}

/**
 * Calls `listener` with the inbox now and whenever an open conversation (in this tab or another) changes it.
 * Returns the unsubscribe function.
 */
export function watchInbox(userId: string, listener: (entries: InboxEntry[]) => void): () => void {
  let stopped = false;
  let reading = Promise.resolve();
  const refresh = (): void => {
    reading = reading.then(async () => {
      const entries = await listInbox(userId);
      if (!stopped) listener(entries);
    });
  };
  const channel = openChannel<'changed'>(channelName(userId), refresh);
  refresh();
  return () => {
    stopped = true;
    channel.close();
  };
}

/** Tells every inbox watcher of `userId` (this page and other tabs) to re-read. */
export function notifyInbox(userId: string): void {
  const channel = openChannel<'changed'>(channelName(userId), () => undefined);
  channel.post('changed');
  channel.close();
}
