// Reads the conversations cached on this device straight from their y-indexeddb databases, read-only.
import * as Y from 'yjs';
import { docDbName, listDatabases, request, userDbPrefix } from '../idb.js';
import { isValidRoomName } from '../../shared/protocol.js';

/** Rooms of `userId` that have a cached document here (from the browser's list of databases). */
export async function cachedRooms(userId: string): Promise<string[]> {
  const prefix = `${userDbPrefix(userId)}:`;
  const rooms: string[] = [];
  for (const name of await listDatabases()) {
    if (!name.startsWith(prefix)) continue;
    const room = name.slice(prefix.length);
    if (isValidRoomName(room)) rooms.push(room);
  }
  return rooms.sort();
}

/**
 * The cached document of `room`, or undefined when there is none. Opens the database without a version
 * (never creating or upgrading it) and only reads y-indexeddb's `updates` store, so it can run beside the
 * page's own persistence of the same conversation.
 */
export async function loadCachedDoc(userId: string, room: string): Promise<Y.Doc | undefined> {
  const db = await new Promise<IDBDatabase | undefined>((resolve, reject) => {
    const req = indexedDB.open(docDbName(userId, room));
    req.onupgradeneeded = () => {
      // It did not exist: abort so that it is not created.
      req.transaction?.abort();
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => (req.error?.name === 'AbortError' ? resolve(undefined) : reject(req.error ?? new Error('open failed')));
    req.onblocked = () => resolve(undefined);
  });
  if (!db) return undefined;
  try {
    if (!db.objectStoreNames.contains('updates')) return undefined;
    const updates = (await request(db.transaction('updates', 'readonly').objectStore('updates').getAll())) as Uint8Array[];
    const doc = new Y.Doc();
    Y.transact(doc, () => {
      for (const update of updates) Y.applyUpdate(doc, update);
    });
    return doc;
  } finally {
    db.close();
  }
}
