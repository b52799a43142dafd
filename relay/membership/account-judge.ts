// Judges an update to a user's account document: only its owner writes, and only their preferences and settings.
import * as Y from 'yjs';
import { ensure } from '../../shared/errors.js';
import { CONVERSATIONS, PREFERENCES, RELAY_STATE, SETTINGS, checkPreferences, checkSetting } from '../../shared/account.js';
import { checkClientOwner } from '../../shared/rules.js';
import type { UpdateStructure } from '../update-structure.js';
import type { Judgement } from '../update-judge.js';

/**
 * The relay lets only the account's owner connect to it (relay/membership/access.ts), so the writer is the owner;
 * this refuses what even the owner may not write: the relay-written `conversations` and `relay` maps, unknown top-level
 * types, and malformed preferences. Returns the client ids to bind, as the conversation judge does.
 */
export function judgeAccountUpdate(structure: UpdateStructure, userId: string, ownerOf: (client: number) => string | { relay: true } | undefined): Judgement {
  const writer = { userId, role: 'write' as const };
  const newClients = new Set<number>();
  for (const client of structure.writers) {
    const owner = ownerOf(client);
    checkClientOwner(client, owner, writer);
    if (owner === undefined) newClients.add(client);
  }
  for (const { root, sub, item, offset } of structure.inserts) {
    ensure(root !== CONVERSATIONS && root !== RELAY_STATE, 'relay-only', `${root} is written by the relay`);
    ensure(root === PREFERENCES || root === SETTINGS, 'unknown-type', JSON.stringify(root.slice(0, 80)));
    ensure(sub !== null, 'bad-record', `${root} form a map`);
    if (item.content instanceof Y.ContentDeleted) continue;
    ensure(item.content instanceof Y.ContentAny, 'bad-record', `content of type ${item.content.constructor.name}`);
    for (const value of item.content.arr.slice(offset)) {
      if (root === PREFERENCES) checkPreferences(sub, value);
      else checkSetting(sub, value);
    }
  }
  for (const { root } of structure.deletions) {
    ensure(root !== CONVERSATIONS && root !== RELAY_STATE, 'relay-only', `${root} is written by the relay`);
    ensure(root === PREFERENCES || root === SETTINGS, 'forbidden-delete', root);
  }
  return { newClients };
}
