// Invite link codes: the room and invite id, signed with the relay's invite secret (HMAC-SHA-256), so links are unguessable and unforgeable.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isValidRoomName } from '../../shared/ids.js';

/*
 * code := base64url(room • " " • inviteId) • "." • base64url(HMAC-SHA-256(secret, payload))[0..22]
 * The payload names the invite; everything else about it (role, expiry, uses, revocation) is the relay's record
 * in the room document, so a revoked or used-up invite is refused even though its code still verifies.
 */

const SIGNATURE_CHARS = 22; // 132 bits

/** A new invite id: 16 random bytes, base64url. */
export const newInviteId = (): string => randomBytes(16).toString('base64url');

const sign = (secret: Uint8Array, payload: string): string =>
  createHmac('sha256', secret).update(payload).digest('base64url').slice(0, SIGNATURE_CHARS);

/** The link code of invite `id` to `room`. */
export function encodeInviteCode(secret: Uint8Array, room: string, id: string): string {
  const payload = Buffer.from(`${room} ${id}`, 'utf8').toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

/** The room and invite id of a code whose signature verifies; undefined for a malformed or tampered code. */
export function decodeInviteCode(secret: Uint8Array, code: unknown): { room: string; id: string } | undefined {
  if (typeof code !== 'string' || code.length > 400) return undefined;
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(code);
  if (!match) return undefined;
  const [, payload, signature] = match as unknown as [string, string, string];
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const [room, id, ...rest] = Buffer.from(payload, 'base64url').toString('utf8').split(' ');
  if (rest.length > 0 || room === undefined || id === undefined || !isValidRoomName(room) || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) return undefined;
  return { room, id };
}
