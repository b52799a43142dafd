// Judges the membership part of an incoming update (roster, system entries, invites, kind) and the writer's effective role.
import * as Y from 'yjs';
import { ensure } from '../../shared/errors.js';
import type { Role } from '../../shared/protocol.js';
import { conversationKind } from '../../shared/membership.js';
import {
  ROSTER, checkCanPost, checkRosterChanges, effectiveRole, getRoster, rosterRole, writeRoleOf,
  type RosterChange, type RosterEntry, type RosterRole,
} from '../../shared/roster.js';
import { EVENTS } from '../../shared/system-events.js';
import { INVITES } from '../../shared/invites.js';
import type { Writer } from '../../shared/schema.js';
import type { StructDeletion, StructInsert, UpdateStructure } from '../update-structure.js';

/** Most roster keys one update may change: each change costs the relay a conversation-list write (an account document load). */
export const MAX_ROSTER_CHANGES = 100;

/** Top-level types only the relay writes: system entries and invite records. */
const RELAY_ONLY = new Set([EVENTS, INVITES]);

/** What the membership judge leaves for the message rules: the rest of the update and the writer's role there. */
export interface MembershipVerdict {
  /** The update without its roster structs (already judged here). */
  rest: UpdateStructure;
  /** The writer as the message rules see them: their effective role mapped to read / write / admin. */
  writer: Writer;
  /** The writer's effective role (see shared/roster.ts `effectiveRole`). */
  role: RosterRole;
}

/**
 * Judges what an update does to a conversation's membership, as `userId` whose token grants `grant` on the room
 * (undefined when the connection was let in by the roster alone). The writer's effective role is the higher of
 * the grant and their roster role, `banned` refusing them whatever the grant; it is read from the room as it is
 * now, so a removal or a demotion applies to the very next update. Refuses: any write to `events` or `invites`
 * (only the relay writes them), roster changes the roster rules forbid, a change of the conversation's kind once
 * set (and `direct` where a roster manages the room), and posts in a channel by non-admins. Returns the rest of the
 * update for the message rules. Throws a RuleError.
 */
export function judgeMembership(structure: UpdateStructure, doc: Y.Doc, userId: string, grant: Role | undefined): MembershipVerdict {
  const role = effectiveRole(grant, rosterRole(doc, userId));
  ensure(role !== 'banned', 'banned');
  ensure(role !== undefined, 'not-member');
  const kind = conversationKind(doc);

  const inserts: StructInsert[] = [];
  const deletions: StructDeletion[] = [];
  /** Roster keys this update writes, with each candidate value (a crafted update may carry several). */
  const rosterWrites = new Map<string, Array<RosterEntry | undefined>>();
  const rosterWrite = (key: string) => rosterWrites.get(key) ?? rosterWrites.set(key, []).get(key)!;
  let posts = false;

  for (const insert of structure.inserts) {
    const { root, sub, item, offset } = insert;
    ensure(!RELAY_ONLY.has(root), 'relay-only', root);
    if (root === ROSTER) {
      ensure(sub !== null, 'bad-record', 'the roster is a map');
      if (item.content instanceof Y.ContentAny) {
        for (const value of item.content.arr.slice(offset)) rosterWrite(sub).push(value as RosterEntry);
      } else {
        ensure(item.content instanceof Y.ContentDeleted, 'bad-record', `content of type ${item.content.constructor.name}`);
        rosterWrite(sub).push(undefined);
      }
      continue;
    }
    if (root === 'meta' && sub === 'kind' && item.content instanceof Y.ContentAny) {
      for (const value of item.content.arr.slice(offset)) {
        // Set once. `direct` (a fixed pair) only where no roster manages the room: sites that grant access by token.
        ensure(kind === undefined ? value !== 'direct' || getRoster(doc).size === 0 : value === kind, 'kind-fixed');
      }
    }
    if (root === 'messages' && item.content instanceof Y.ContentAny) posts = true;
    inserts.push(insert);
  }
  for (const deletion of structure.deletions) {
    ensure(!RELAY_ONLY.has(deletion.root), 'relay-only', deletion.root);
    if (deletion.root === ROSTER) {
      // Deleting the live value of a key with no new value removes the member.
      if (deletion.sub !== null && !rosterWrites.has(deletion.sub)) rosterWrite(deletion.sub).push(undefined);
      continue;
    }
    if (deletion.root === 'meta' && deletion.sub === 'kind') ensure(kind === undefined, 'kind-fixed');
    deletions.push(deletion);
  }

  if (posts) checkCanPost(kind, role);
  ensure(rosterWrites.size <= MAX_ROSTER_CHANGES, 'bad-roster', `at most ${MAX_ROSTER_CHANGES} members change in one update`);
  const changes: RosterChange[] = [];
  for (const [target, values] of rosterWrites) {
    const before = rosterRole(doc, target);
    for (const after of values) changes.push({ target, before, after });
  }
  checkRosterChanges(doc, changes, { userId, role }, kind);

  // A reader's or banned user's writes were refused above or fall to the message rules' read-only check.
  return { rest: { inserts, deletions, writers: structure.writers }, writer: { userId, role: writeRoleOf(role) ?? 'read' }, role };
}
