// The conversations each user has open in this page, and the logout signal that closes them in every tab.
import { openChannel } from '../channel.js';
import { userDbPrefix } from '../idb.js';

/** What the registry needs of an open conversation. */
export interface Registered {
  close(): Promise<void>;
}

interface UserEntry {
  open: Set<Registered>;
  stopListening: () => void;
}

const users = new Map<string, UserEntry>();

/** Channel on which the open conversations of a user (in any tab) hear that the user logged out. */
export const logoutChannel = (userId: string): string => `${userDbPrefix(userId)}:logout`;

/**
 * Records an open conversation of `userId`; returns the function that forgets it (call it on close). While a
 * user has conversations open here, a logout in another tab closes them all, then calls `onLoggedOut` once
 * (to let go of the databases that tab is deleting).
 */
export function registerConversation(userId: string, conversation: Registered, onLoggedOut: () => void): () => void {
  let entry = users.get(userId);
  if (!entry) {
    const open = new Set<Registered>();
    const channel = openChannel<'logout'>(logoutChannel(userId), () => {
      void Promise.all([...open].map((c) => c.close())).then(onLoggedOut);
    });
    entry = { open, stopListening: () => channel.close() };
    users.set(userId, entry);
  }
  entry.open.add(conversation);
  return () => {
    const current = users.get(userId);
    if (!current?.open.delete(conversation) || current.open.size > 0) return;
    current.stopListening();
    users.delete(userId);
  };
}

/** Every conversation of `userId` open in this page. */
export const openConversationsOf = (userId: string): Registered[] => [...(users.get(userId)?.open ?? [])];
