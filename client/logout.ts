// Logout: closes the user's open conversations (here and in other tabs) and deletes all their local data.
import { openChannel } from './channel.js';
import { logoutChannel, openConversationsOf } from './conversation/registry.js';
import { clientDbName, deleteDatabase, docDbName, listDatabases, userDbPrefix } from './idb.js';
import { dropLocalStore, localStoreFor } from './local-store.js';
import { searchDbName } from './search/index-store.js';
import { tailDbName } from './conversation/tail-cache.js';
import { terminateLocalSearch } from './search/local-search.js';

export { logoutChannel };

/**
 * Wipes everything this device keeps for `userId`: each conversation's document database, the outbox, the
 * inbox, the durable-ack records, the tail cache of first screens and the search index. Open conversations
 * of the user are closed first, in this page and (by message) in other tabs; their databases also close
 * themselves when asked to by the deletion. Messages still in the outbox are lost: that is what logging out
 * on a shared computer is for.
 */
export async function logout(userId: string): Promise<void> {
  const channel = openChannel<'logout'>(logoutChannel(userId), () => undefined);
  channel.post('logout');
  channel.close();
  await Promise.all(openConversationsOf(userId).map((c) => c.close()));
  // The search worker of this page stops at once; in other tabs it stops when its database is deleted.
  terminateLocalSearch(userId);
  const rooms = (await localStoreFor(userId).inbox().catch(() => [])).map((e) => e.room);
  dropLocalStore(userId);
  const prefix = `${userDbPrefix(userId)}:`;
  const names = new Set<string>([clientDbName(userId), searchDbName(userId), tailDbName(userId), ...rooms.map((room) => docDbName(userId, room))]);
  for (const name of await listDatabases().catch(() => [])) if (name.startsWith(prefix)) names.add(name);
  await Promise.all([...names].map((name) => deleteDatabase(name)));
}
