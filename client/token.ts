// Reads the claims of the relay's JWTs on the client (no verification: the relay verifies; the client only plans).
import { parseRoomGrants, roleForRoom, type RoomGrants } from '../shared/grants.js';
import type { Role } from '../shared/protocol.js';

/** The claims the client needs from a relay token. */
export interface TokenClaims {
  sub: string;
  name?: string;
  /** Expiry, in seconds since the epoch. */
  exp?: number;
  rooms: RoomGrants;
}

const base64UrlDecode = (text: string): string => {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
};

/** Decodes a JWT's payload, or returns undefined when `token` is not a well-formed JWT with a `sub`. */
export function decodeToken(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const payload: unknown = JSON.parse(base64UrlDecode(parts[1]));
    if (typeof payload !== 'object' || payload === null) return undefined;
    const { sub, name, exp, rooms } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || sub === '') return undefined;
    const roomRoles = parseRoomGrants(rooms, false) ?? {};
    return {
      sub,
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof exp === 'number' ? { exp } : {}),
      rooms: roomRoles,
    };
  } catch {
    return undefined;
  }
}

/** The role a token grants on `room` (see `roleForRoom`); only used to pre-check local writes: the relay decides. */
export const roleFor = (claims: TokenClaims, room: string): Role | undefined => roleForRoom(claims.rooms, room);

/**
 * When to fetch a fresh token, in ms from now: a third of the remaining lifetime before expiry, at most
 * five minutes and at least two seconds early, so a refresh never races the relay's expiry close (4401).
 */
export function refreshDelay(claims: TokenClaims, now = Date.now()): number | undefined {
  if (claims.exp === undefined) return undefined;
  const remaining = claims.exp * 1000 - now;
  const lead = Math.min(300_000, Math.max(2_000, remaining / 3));
  return Math.max(0, remaining - lead);
}

/** Whether `token` expires within a second (or has expired): fetch a fresh one before using it. */
export function tokenExpiresSoon(token: string, now = Date.now()): boolean {
  const claims = decodeToken(token);
  return claims?.exp !== undefined && claims.exp * 1000 - now < 1_000;
}
