// Which user each Yjs client id belongs to: bindings kept in the room's document (top-level map `clients`).
import * as Y from 'yjs';

/**
 * Bindings live in the document itself (`clients`: client id → user id, written only by the relay), so
 * they are stored, compacted, replayed and, later, shared between relay instances exactly like the
 * updates they describe, and a binding is always durable no later than the writes it covers: it is
 * written just before them, as a step of the accept path (accept-update.ts), never by the write check.
 */
const bindingsOf = (doc: Y.Doc) => doc.getMap<string>('clients');

/** A room's client identities: who owns a client id, and which ids only the relay may use. */
export interface ClientIdentity {
  /** The user bound to `client`, or `relay` for the relay's own ids, or undefined when unbound. */
  ownerOf(client: number): string | { relay: true } | undefined;
  /** The client ids bound to `user` (undefined when none): a durable ack need only cover these. */
  clientsOf(user: string): ReadonlySet<number> | undefined;
}

/**
 * Records that `clients` belong to `user`. The accept path calls it inside a transaction with the relay's
 * origin, so the bindings are stored and broadcast like any update, just before the writes they cover.
 */
export function bindClients(doc: Y.Doc, clients: Iterable<number>, user: string): void {
  const map = bindingsOf(doc);
  for (const client of clients) if (!map.has(String(client))) map.set(String(client), user);
}

/** The client ids the relay itself wrote bindings with (no user may write with them). */
export function relayClients(doc: Y.Doc): Set<number> {
  const clients = new Set<number>([doc.clientID]);
  for (const item of bindingsOf(doc)._map.values()) clients.add(item.id.client);
  return clients;
}

const RELAY = Object.freeze({ relay: true as const });

const identities = new WeakMap<Y.Doc, ClientIdentity>();

/** The identity view of `doc`, one per document (the guard and the room share it). */
export function clientIdentityOf(doc: Y.Doc): ClientIdentity {
  let identity = identities.get(doc);
  if (!identity) identities.set(doc, (identity = createClientIdentity(doc)));
  return identity;
}

/**
 * The identity view of `doc`: the relay's own ids are read once (only this relay writes bindings); the ids of
 * each user are indexed once (O(bindings)) and then kept current from the changed keys of each transaction.
 */
export function createClientIdentity(doc: Y.Doc): ClientIdentity {
  const relayIds = relayClients(doc);
  const map = bindingsOf(doc);
  const byUser = new Map<string, Set<number>>();
  const index = (key: string, user: unknown) => {
    if (typeof user !== 'string') return;
    let clients = byUser.get(user);
    if (!clients) byUser.set(user, (clients = new Set()));
    clients.add(Number(key));
  };
  for (const [key, user] of map) index(key, user);
  // Bindings are only ever added (never changed or removed), so added keys are all there is to follow.
  map.observe((event) => {
    for (const key of event.keysChanged) index(key, map.get(key));
  });
  return {
    ownerOf(client) {
      if (relayIds.has(client)) return RELAY;
      return map.get(String(client));
    },
    clientsOf: (user) => byUser.get(user),
  };
}
