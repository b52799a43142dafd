// Conversation membership: the roster (who holds which role), its rules, and the effective role of a user in a room.
import type * as Y from 'yjs';
import { ensure } from './errors.js';
import { isUserId } from './ids.js';
import type { Role } from './protocol.js';
import type { RoomKind } from './schema.js';

/**
 * The roster is the top-level `Y.Map` `roster` of a conversation document: user id → `{ role, by, at }`.
 * A Y.Map keeps one winning value per key on every replica (last writer wins, ties broken by client id), so
 * concurrent changes to one member converge without coordination. Removing a member deletes the key.
 */
export const ROSTER = 'roster';

/** Roster roles, from no rights to all; `banned` refuses the user whatever their token says. */
export const ROSTER_ROLES = ['banned', 'reader', 'member', 'admin', 'owner'] as const;
export type RosterRole = (typeof ROSTER_ROLES)[number];

/** One member's entry: their role, who gave it (a user id, or `~relay` for the relay's own writes) and when (ms). */
export interface RosterEntry {
  role: RosterRole;
  by: string;
  at: number;
}

/** The `by` of entries the relay writes on its own account (creation, invites, public joins). */
export const RELAY_ACTOR = '~relay';

const RANK: Record<RosterRole, number> = { banned: 0, reader: 1, member: 2, admin: 3, owner: 4 };

/** Orders roles by rights: negative when `a` gives fewer rights than `b`. */
export const compareRoles = (a: RosterRole, b: RosterRole): number => RANK[a] - RANK[b];

export const isRosterRole = (value: unknown): value is RosterRole => (ROSTER_ROLES as readonly unknown[]).includes(value);

/** The roster role a token grant amounts to: `read` → reader, `write` → member, `admin` → admin (never owner). */
export const roleOfGrant = (grant: Role): RosterRole => (grant === 'admin' ? 'admin' : grant === 'write' ? 'member' : 'reader');

/**
 * A user's effective role in a room: the higher of what their token grants and what the roster says, except
 * that `banned` in the roster refuses the user whatever the token grants. Undefined: no access at all.
 */
export function effectiveRole(grant: Role | undefined, roster: RosterRole | undefined): RosterRole | undefined {
  if (roster === 'banned') return 'banned';
  const fromGrant = grant === undefined ? undefined : roleOfGrant(grant);
  if (fromGrant === undefined) return roster;
  if (roster === undefined) return fromGrant;
  return compareRoles(roster, fromGrant) >= 0 ? roster : fromGrant;
}

/** The write role the conversation rules know (`read`/`write`/`admin`) for a roster role; undefined for none or banned. */
export const writeRoleOf = (role: RosterRole | undefined): Role | undefined =>
  role === 'owner' || role === 'admin' ? 'admin' : role === 'member' ? 'write' : role === 'reader' ? 'read' : undefined;

const rosterOf = (doc: Y.Doc) => doc.getMap<RosterEntry>(ROSTER);

/** The roster's live entries (a copy). */
export function getRoster(doc: Y.Doc): Map<string, RosterEntry> {
  const roster = new Map<string, RosterEntry>();
  if (!doc.share.has(ROSTER)) return roster;
  for (const [user, entry] of rosterOf(doc).entries()) if (isRosterEntry(entry)) roster.set(user, entry);
  return roster;
}

/** `user`'s role in the roster, if they have an entry. */
export function rosterRole(doc: Y.Doc, user: string): RosterRole | undefined {
  if (!doc.share.has(ROSTER)) return undefined;
  const entry = rosterOf(doc).get(user);
  return isRosterEntry(entry) ? entry.role : undefined;
}

/** The owners in the roster. */
export const ownersOf = (roster: ReadonlyMap<string, RosterEntry>): string[] =>
  [...roster].filter(([, entry]) => entry.role === 'owner').map(([user]) => user);

const isRosterEntry = (value: unknown): value is RosterEntry =>
  typeof value === 'object' && value !== null && isRosterRole((value as RosterEntry).role);

/** The shape of a roster value: exactly `{ role, by, at }`. */
export function checkRosterEntry(value: unknown): asserts value is RosterEntry {
  ensure(typeof value === 'object' && value !== null && !Array.isArray(value), 'bad-roster', 'must be an object');
  const entry = value as Record<string, unknown>;
  for (const key of Object.keys(entry)) ensure(key === 'role' || key === 'by' || key === 'at', 'unknown-field', key);
  ensure(isRosterRole(entry.role), 'bad-roster', `role: one of ${ROSTER_ROLES.join(', ')}`);
  ensure(isUserId(entry.by), 'bad-roster', 'by must be a user id');
  ensure(typeof entry.at === 'number' && Number.isInteger(entry.at) && entry.at > 0 && entry.at < 253402300800000, 'bad-roster', 'at must be a time');
}

/** Who changes the roster: their user id and effective role in the room (see `effectiveRole`). */
export interface RosterActor {
  userId: string;
  role: RosterRole | undefined;
}

/** One change to one member: their role before (undefined: no entry) and the entry after (undefined: removed). */
export interface RosterChange {
  target: string;
  before: RosterRole | undefined;
  after: RosterEntry | undefined;
}

/**
 * Whether `actor` may make `change` in a conversation of `kind`. The rules: an owner may do anything; an admin
 * may add, remove and ban members and readers and change roles below admin; anyone may remove themselves
 * (leave) or lower their own role; nobody raises their own role (joining is the relay's write: creation,
 * invites, public channels); a direct conversation's two members never change. `ownersAfter` is how many
 * owners the roster holds once the whole update is applied: the last owner cannot leave or step down.
 */
export function checkRosterChange(change: RosterChange, actor: RosterActor, kind: RoomKind | undefined, ownersAfter: number): void {
  const { target, before, after } = change;
  ensure(isUserId(target), 'bad-user-id', JSON.stringify(target.slice(0, 80)));
  if (after !== undefined) {
    checkRosterEntry(after);
    ensure(after.by === actor.userId, 'bad-roster', 'by must be the writer');
  }
  ensure(actor.role !== 'banned', 'banned');
  ensure(actor.role !== undefined, 'not-member');
  ensure(kind !== 'direct', 'direct-fixed');
  if (target === actor.userId) {
    if (after !== undefined) {
      ensure(before !== undefined && after.role !== 'banned' && compareRoles(after.role, before) <= 0, 'self-promotion', `${before ?? 'none'} → ${after.role}`);
    }
  } else if (actor.role === 'owner') {
    // Owners may do anything (but leave the room ownerless, checked below).
  } else if (actor.role === 'admin') {
    ensure(before === undefined || compareRoles(before, 'admin') < 0, 'not-roster-admin', `${target} is ${before}`);
    ensure(after === undefined || compareRoles(after.role, 'admin') < 0, 'not-roster-admin', `an admin may not make anyone ${after?.role}`);
  } else {
    ensure(false, 'not-roster-admin');
  }
  if (before === 'owner' && after?.role !== 'owner') ensure(ownersAfter > 0, 'last-owner');
}

/** Whether a member of `role` may post messages in a conversation of `kind`: in a channel only admins and owners post. */
export function checkCanPost(kind: RoomKind | undefined, role: RosterRole | undefined): void {
  ensure(kind !== 'channel' || (role !== undefined && compareRoles(role, 'admin') >= 0), 'channel-admins-only');
}

/**
 * The room name of the direct conversation between two users: `dm.` + the first 32 hex digits of
 * SHA-256(sorted ids joined by a newline). Both users compute the same name, offline too, so a
 * conversation started by both at once is one room. Throws for a pair that is not two distinct user ids.
 */
export async function directRoomName(a: string, b: string): Promise<string> {
  ensure(isUserId(a) && isUserId(b), 'bad-user-id');
  ensure(a !== b, 'direct-pair', 'a direct conversation needs two different users');
  const [first, second] = [a, b].sort();
  return `dm.${(await sha256Hex(`${first}\n${second}`)).slice(0, 32)}`;
}

/** Web Crypto and TextEncoder are global in browsers and Node 20; shared/ declares only the pieces it uses. */
const { crypto: webCrypto, TextEncoder: Encoder } = globalThis as unknown as {
  crypto: { subtle: { digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer> } };
  TextEncoder: new () => { encode(text: string): Uint8Array };
};

/** SHA-256 of a string's UTF-8 bytes, as lower-case hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await webCrypto.subtle.digest('SHA-256', new Encoder().encode(text)));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Judges every roster change of one update together, as the relay sees it: each change against the roster as
 * it stands, and the owner count as it will stand once all of them are applied.
 */
export function checkRosterChanges(doc: Y.Doc, changes: readonly RosterChange[], actor: RosterActor, kind: RoomKind | undefined): void {
  if (changes.length === 0) return;
  const after = getRoster(doc);
  for (const { target, after: entry } of changes) {
    if (entry === undefined) after.delete(target);
    else after.set(target, entry as RosterEntry);
  }
  const owners = ownersOf(after).length;
  for (const change of changes) checkRosterChange(change, actor, kind, owners);
}
