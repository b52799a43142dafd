// Binds each Yjs client id to the user who first wrote with it, inside the room's document (top-level map `clients`).
import * as Y from 'yjs';

/** Transaction origin of the relay's own binding writes (for debugging: handled like any local write). */
const BINDING_ORIGIN = Symbol('client-binding');

/**
 * Bindings live in the document itself (`clients`: client id → user id, written only by the relay), so
 * they are stored, compacted, replayed and, later, shared between relay instances exactly like the
 * updates they describe, and a binding is always durable no later than the writes it covers: it is
 * written just before them.
 */
const bindingsOf = (doc: Y.Doc) => doc.getMap<string>('clients');

/** The user bound to `client`, if any. */
export const boundUser = (doc: Y.Doc, client: number): string | undefined => bindingsOf(doc).get(String(client));

/** The client ids the relay itself wrote bindings with (no user may write with them). */
export function relayClients(doc: Y.Doc): Set<number> {
  const clients = new Set<number>([doc.clientID]);
  for (const item of bindingsOf(doc)._map.values()) clients.add(item.id.client);
  return clients;
}

/** Records that `clients` belong to `user`, in one relay transaction (persisted and broadcast like any update). */
export function bindClients(doc: Y.Doc, clients: Iterable<number>, user: string): void {
  const map = bindingsOf(doc);
  doc.transact(() => {
    for (const client of clients) if (!map.has(String(client))) map.set(String(client), user);
  }, BINDING_ORIGIN);
}
