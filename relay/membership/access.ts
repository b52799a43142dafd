// Who may open a room: the token's grant or the room's roster (banned refuses), and the caller's own account document.
import { ACCOUNT_ALIAS, ACCOUNT_PREFIX, isAccountRoom } from '../../shared/account.js';
import { roleForRoom } from '../../shared/grants.js';
import type { Role } from '../../shared/protocol.js';
import { effectiveRole as combineRoles, rosterRole, type RosterRole } from '../../shared/roster.js';
import type { Identity } from '../auth.js';
import type { Room } from '../room.js';
import { accountRoomNameNow } from './account-room-name.js';

/** The stored room a client asked for: the account alias becomes the caller's account room; undefined = never reachable. */
export async function resolveRoomName(requested: string, identity: Pick<Identity, 'id'>): Promise<string | undefined> {
  if (requested === ACCOUNT_ALIAS) return accountRoomNameNow(identity.id);
  if (requested.startsWith(ACCOUNT_PREFIX) || isAccountRoom(requested)) return undefined;
  return requested;
}

/** A user's access to a loaded room: what the token grants (kept by the connection) and the effective role. */
export interface RoomAccess {
  grant: Role | undefined;
  /** undefined: no access; `banned`: refused whatever the token grants. */
  role: RosterRole | undefined;
}

/**
 * The one place that decides access at connect (per-room upgrade and, later, the multiplexed attach): an account
 * room belongs to its user alone; a conversation admits the token's grant or a roster entry, the higher role
 * winning, and refuses a banned user whatever the token says. `accountRoom` is `resolveRoomName(ACCOUNT_ALIAS)`.
 */
export function effectiveRole(identity: Pick<Identity, 'id' | 'rooms'>, room: Room, accountRoom: string | undefined): RoomAccess {
  if (isAccountRoom(room.name)) return { grant: undefined, role: room.name === accountRoom ? 'owner' : undefined };
  const grant = roleForRoom(identity.rooms, room.name);
  return { grant, role: combineRoles(grant, rosterRole(room.doc, identity.id)) };
}
