// Reads the claims of the relay's JWTs on the client (no verification: the relay verifies; the client only plans).
import { ROLES, type Role } from '../shared/protocol.js';

/** The claims the client needs from a relay token. */
export interface TokenClaims {
  sub: string;
  name?: string;
  /** Expiry, in seconds since the epoch. */
  exp?: number;
  rooms: Record<string, Role>;
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
    const roomRoles: Record<string, Role> = {};
    if (typeof rooms === 'object' && rooms !== null) {
      for (const [pattern, role] of Object.entries(rooms)) {
        if ((ROLES as readonly unknown[]).includes(role)) roomRoles[pattern] = role as Role;
      }
    }
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

/**
 * The role a token grants on `room`: an exact entry wins, else the longest matching `prefix*` pattern, else
 * undefined (no access). Only used to pick the writer's role for local rule checks; the relay decides.
 */
export function roleFor(claims: TokenClaims, room: string): Role | undefined {
  const exact = claims.rooms[room];
  if (exact) return exact;
  let best: { length: number; role: Role } | undefined;
  for (const [pattern, role] of Object.entries(claims.rooms)) {
    if (!pattern.endsWith('*')) continue;
    const prefix = pattern.slice(0, -1);
    if (room.startsWith(prefix) && (!best || prefix.length > best.length)) best = { length: prefix.length, role };
  }
  return best?.role;
}

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
