// Membership operations on a conversation document (add, change role, remove, ban, leave): checked with the roster rules, then written.
import type * as Y from 'yjs';
import { ensure } from './errors.js';
import type { Role } from './protocol.js';
import {
  ROSTER, checkRosterChanges, effectiveRole, rosterRole,
  type RosterEntry, type RosterRole,
} from './roster.js';
import type { RoomKind } from './schema.js';

/** Who acts: the signed-in user and what their token grants on the room (undefined: nothing, the roster decides). */
export interface MemberActor {
  userId: string;
  grant?: Role | undefined;
}

/** The conversation's kind (`meta.kind`), if set. */
export function conversationKind(doc: Y.Doc): RoomKind | undefined {
  if (!doc.share.has('meta')) return undefined;
  const kind = doc.getMap<unknown>('meta').get('kind');
  return kind === 'direct' || kind === 'group' || kind === 'channel' ? kind : undefined;
}

/** The actor's effective role in the room (see `effectiveRole`). */
export const roleIn = (doc: Y.Doc, actor: MemberActor): RosterRole | undefined =>
  effectiveRole(actor.grant, rosterRole(doc, actor.userId));

/**
 * Gives `target` the roster role `role` (adding them if absent; `banned` bans them), as `actor`. Throws a
 * RuleError and writes nothing when the rules forbid it.
 */
export function setMemberRole(doc: Y.Doc, actor: MemberActor, target: string, role: RosterRole, now = Date.now()): RosterEntry {
  const entry: RosterEntry = { role, by: actor.userId, at: now };
  checkRosterChanges(doc, [{ target, before: rosterRole(doc, target), after: entry }], { userId: actor.userId, role: roleIn(doc, actor) }, conversationKind(doc));
  doc.getMap<RosterEntry>(ROSTER).set(target, entry);
  return entry;
}

/** Removes `target` from the roster (`target === actor.userId`: leaves). Throws a RuleError when forbidden. */
export function removeMember(doc: Y.Doc, actor: MemberActor, target: string): void {
  const before = rosterRole(doc, target);
  ensure(before !== undefined, 'not-member', `${target} has no roster entry`);
  checkRosterChanges(doc, [{ target, before, after: undefined }], { userId: actor.userId, role: roleIn(doc, actor) }, conversationKind(doc));
  doc.getMap<RosterEntry>(ROSTER).delete(target);
}

/** Leaves the conversation (the last owner must hand over first). */
export const leaveConversation = (doc: Y.Doc, actor: MemberActor): void => removeMember(doc, actor, actor.userId);
