// Room grants of a token's `rooms` claim: validating the claim and resolving the role it gives on a room.
import { isValidRoomPattern } from './ids.js';
import { ROLES, type Role } from './protocol.js';

/** A validated `rooms` claim: pattern → role, with no prototype (so `constructor` or `__proto__` are plain keys). */
export type RoomGrants = Readonly<Record<string, Role>>;

/** The most grants one token may carry; a longer claim is refused rather than scanned. */
export const MAX_ROOM_GRANTS = 256;

export { isValidRoomPattern } from './ids.js';

const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);

/**
 * Validates a `rooms` claim. `strict` (the relay) refuses the whole claim when any entry is malformed or there
 * are too many; otherwise (the client, which only plans) malformed entries are dropped. Returns undefined when
 * `value` is not an object of pattern → role.
 */
export const parseRoomGrants = (value: unknown, strict = true): RoomGrants | undefined => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (strict && entries.length > MAX_ROOM_GRANTS) return undefined;
  const grants = Object.create(null) as Record<string, Role>;
  for (const [pattern, role] of entries) {
    if (isValidRoomPattern(pattern) && isRole(role)) grants[pattern] = role;
    else if (strict) return undefined;
  }
  return grants;
};

/**
 * The role a grant map gives on `room`: an exact entry wins, else the longest matching `prefix*` pattern.
 * Returns undefined when nothing matches. Own keys only, so a room named `toString` is not granted by the prototype.
 */
export const roleForRoom = (grants: RoomGrants, room: string): Role | undefined => {
  const exact = Object.hasOwn(grants, room) ? grants[room] : undefined;
  if (exact !== undefined) return exact;
  let best: { length: number; role: Role } | undefined;
  for (const [pattern, role] of Object.entries(grants)) {
    if (!pattern.endsWith('*')) continue;
    const prefix = pattern.slice(0, -1);
    if (room.startsWith(prefix) && (best === undefined || prefix.length > best.length)) {
      best = { length: prefix.length, role };
    }
  }
  return best?.role;
};
