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
}

/**
 * Records that `clients` belong to `user`. The accept path calls it inside a transaction with the relay's
 * origin, so the bindings are stored and broadcast like any update, just before the writes they cover.
 */
export function bindClients(doc: Y.Doc, clients: Iterable<number>, user: string): void {
  const map = bindingsOf(doc);
  for (const client of clients) if (!map.has(String(client))) map.set(String(client), user);
}

/** The user bound to `client`, if any. */
export const boundUser = (doc: Y.Doc, client: number): string | undefined => bindingsOf(doc).get(String(client));

/** The client ids the relay itself wrote bindings with (no user may write with them). */
export function relayClients(doc: Y.Doc): Set<number> {
  const clients = new Set<number>([doc.clientID]);
  for (const item of bindingsOf(doc)._map.values()) clients.add(item.id.client);
  return clients;
}

const RELAY = Object.freeze({ relay: true as const });

/** The identity view of `doc` (the relay's own ids are read once: only this relay writes bindings). */
export function createClientIdentity(doc: Y.Doc): ClientIdentity {
  const relayIds = relayClients(doc);
  const map = bindingsOf(doc);
  return {
    ownerOf(client) {
      if (relayIds.has(client)) return RELAY;
      return map.get(String(client));
    },
  };
}
