// HS256 JWT verification on the main thread with node:crypto (one HMAC, microseconds), for the shared-secret key.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';

/*
 * Why not jose's jwtVerify for HS256: jose runs on WebCrypto, where every verification is an asynchronous
 * crypto job (key import + HMAC) handed to the libuv pool and back: ≈140 µs of relay CPU per connection,
 * more than the rest of accepting it. An HMAC-SHA256 over a few hundred bytes costs a few µs in place.
 * The header and payload are decoded in place as well (Buffer's base64url and JSON.parse, a segment holding
 * anything but base64url characters refused), as jose's decodeProtectedHeader and decodeJwt would, without their
 * string splitting and copies. The claim rules below are the ones the relay configures jose with for public
 * keys: exp required, exp/nbf with clock tolerance, iss and aud if set.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** The JSON object a base64url segment of a compact token holds; undefined if it is anything else. */
const decodeJsonObject = (segment: string): Record<string, unknown> | undefined => {
  // A base64 text of length 4n + 1 encodes nothing; Buffer would drop the extra character silently.
  if (segment.length === 0 || segment.length % 4 === 1 || !BASE64URL.test(segment)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
};

/** Why an HS256 token was refused, with a jose-style code (the relay's messages name the code). */
export class Hs256Error extends Error {
  constructor(
    readonly code: 'ERR_JWS_INVALID' | 'ERR_JOSE_ALG_NOT_ALLOWED' | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' | 'ERR_JWT_CLAIM_VALIDATION_FAILED' | 'ERR_JWT_EXPIRED',
    message: string,
  ) {
    super(message);
  }
  override name = 'Hs256Error';
}

export interface Hs256Options {
  clockTolerance: number;
  issuer?: string;
  audience?: string;
}

/** Returns a verifier for compact HS256 tokens signed with `secret`; it throws Hs256Error. */
export const createHs256Verifier = (secret: Uint8Array, options: Hs256Options): ((token: string) => JWTPayload) => {
  const key: KeyObject = createSecretKey(secret);
  return (token) => {
    const firstDot = token.indexOf('.');
    const lastDot = token.lastIndexOf('.');
    if (firstDot <= 0 || lastDot === firstDot || token.indexOf('.', firstDot + 1) !== lastDot) {
      throw new Hs256Error('ERR_JWS_INVALID', 'not a compact JWS');
    }
    const header = decodeJsonObject(token.slice(0, firstDot));
    if (header === undefined) throw new Hs256Error('ERR_JWS_INVALID', 'undecodable header');
    if (header.alg !== 'HS256') throw new Hs256Error('ERR_JOSE_ALG_NOT_ALLOWED', 'alg not allowed');
    // jose refuses any critical extension it does not know; so do we (we know none).
    if (header.crit !== undefined || header.b64 !== undefined) throw new Hs256Error('ERR_JWS_INVALID', 'unsupported header parameter');
    const signatureText = token.slice(lastDot + 1);
    if (!BASE64URL.test(signatureText)) throw new Hs256Error('ERR_JWS_INVALID', 'undecodable signature');
    const signature = Buffer.from(signatureText, 'base64url');
    const expected = createHmac('sha256', key).update(token.slice(0, lastDot)).digest();
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new Hs256Error('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');
    }
    const payload: JWTPayload | undefined = decodeJsonObject(token.slice(firstDot + 1, lastDot));
    if (payload === undefined) throw new Hs256Error('ERR_JWS_INVALID', 'undecodable payload');
    const now = Math.floor(Date.now() / 1000);
    const { exp, nbf, iat, iss, aud } = payload;
    if (typeof exp !== 'number') throw new Hs256Error('ERR_JWT_CLAIM_VALIDATION_FAILED', 'missing exp');
    if (exp <= now - options.clockTolerance) throw new Hs256Error('ERR_JWT_EXPIRED', 'expired');
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + options.clockTolerance)) {
      throw new Hs256Error('ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf');
    }
    if (iat !== undefined && typeof iat !== 'number') throw new Hs256Error('ERR_JWT_CLAIM_VALIDATION_FAILED', 'iat');
    if (options.issuer !== undefined && iss !== options.issuer) throw new Hs256Error('ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss');
    if (options.audience !== undefined) {
      const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
      if (!audiences.includes(options.audience)) throw new Hs256Error('ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud');
    }
    return payload;
  };
};
