// Short-lived signed blob URLs: an HMAC over room, blob id, download name and expiry, so `<img src>` works without a header.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The query parameters of a signed URL: `exp` (seconds since epoch), `sig` (base64url HMAC-SHA256), optional `name`. */
export interface SignedParams {
  exp: string;
  sig: string;
  name?: string;
}

const payload = (room: string, id: string, exp: number, name: string): string => `blob\n${room}\n${id}\n${exp}\n${name}`;

/** Signs read access to one blob until `exp` (seconds since epoch). */
export const signBlob = (secret: Uint8Array, room: string, id: string, exp: number, name = ''): string =>
  createHmac('sha256', secret).update(payload(room, id, exp, name)).digest('base64url');

/** Why a signed URL was refused, or undefined when it is valid now. */
export const checkSignature = (
  secret: Uint8Array,
  room: string,
  id: string,
  params: { exp: string | undefined; sig: string | undefined; name: string | undefined },
  nowMs = Date.now(),
): 'expired' | 'bad-signature' | undefined => {
  const { exp, sig } = params;
  if (exp === undefined || sig === undefined || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return 'bad-signature';
  const expected = Buffer.from(signBlob(secret, room, id, Number(exp), params.name ?? ''), 'base64url');
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad-signature';
  // Checked after the signature, so a forged expiry never reads as merely expired.
  if (Number(exp) * 1000 < nowMs) return 'expired';
  return undefined;
};
