// Promise helpers over the raw IndexedDB API, with timeouts and clean closing when another tab deletes a database.

/** Database names: everything of one user starts with `parley:<user>` so logout can find and delete it all. */
export const userDbPrefix = (userId: string): string => `parley:${encodeURIComponent(userId)}`;
/** The user's client database (outbox, inbox, durable acks). */
export const clientDbName = (userId: string): string => userDbPrefix(userId);
/** The y-indexeddb database of one conversation of the user. */
export const docDbName = (userId: string, room: string): string => `${userDbPrefix(userId)}:${room}`;

/** Resolves with a request's result, rejects with its error. */
export const request = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });

/** Resolves when a transaction commits, rejects when it errors or aborts (quota exceeded lands here). */
export const transactionDone = (tx: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });

/**
 * Opens (and if needed creates) a database. Rejects on error, on `blocked` and after `timeoutMs`: private
 * modes and broken profiles may never answer, and a conversation must not wait forever for its cache.
 * The database closes itself when another tab wants to delete or upgrade it (logout), calling `onLost`.
 */
export function openDatabase(
  name: string,
  upgrade: (db: IDBDatabase) => void,
  { timeoutMs = 5_000, onLost }: { timeoutMs?: number; onLost?: (reason: string) => void } = {},
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new Error(`IndexedDB did not open "${name}" within ${timeoutMs} ms`));
    }, timeoutMs);
    let req: IDBOpenDBRequest;
    try {
      req = indexedDB.open(name, 1);
    } catch (error) {
      clearTimeout(timer);
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    req.onupgradeneeded = () => upgrade(req.result);
    req.onblocked = () => {
      clearTimeout(timer);
      settled = true;
      reject(new Error(`IndexedDB open of "${name}" is blocked by another tab`));
    };
    req.onerror = () => {
      clearTimeout(timer);
      settled = true;
      reject(req.error ?? new Error(`IndexedDB could not open "${name}"`));
    };
    req.onsuccess = () => {
      clearTimeout(timer);
      const db = req.result;
      if (settled) {
        db.close();
        return;
      }
      settled = true;
      watchDatabase(db, onLost);
      resolve(db);
    };
  });
}

/** Closes `db` when another context deletes or upgrades it, and reports a database the browser closed on us. */
export function watchDatabase(db: IDBDatabase, onLost?: (reason: string) => void): void {
  db.addEventListener('versionchange', () => {
    db.close();
    onLost?.('the local database was deleted or upgraded by another tab');
  });
  db.addEventListener('close', () => onLost?.('the browser closed the local database (storage cleared or lost)'));
}

/** Deletes a database; resolves once deleted even if other tabs had to close their connections first. */
export function deleteDatabase(name: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deleting "${name}" did not finish within ${timeoutMs} ms`)), timeoutMs);
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => {
      clearTimeout(timer);
      resolve();
    };
    req.onerror = () => {
      clearTimeout(timer);
      reject(req.error ?? new Error(`could not delete "${name}"`));
    };
  });
}

/** Names of every database of this origin, where the browser can list them (Chromium, Firefox 126+, Safari). */
export async function listDatabases(): Promise<string[]> {
  if (typeof indexedDB.databases !== 'function') return [];
  const list = await indexedDB.databases();
  return list.map((d) => d.name).filter((n): n is string => typeof n === 'string');
}
