// Token verification with jose (algorithm allow-list, exp required, iss/aud checks) and room role resolution.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { parseRoomGrants, type RoomGrants } from '../shared/grants.js';
import type { Role } from '../shared/protocol.js';
import { ConfigError, type JwtOptions } from './options.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { Hs256Error, createHs256Verifier } from './hs256-verify.js';

/** A verified identity and its room grants. */
export interface Identity {
  /** `sub` claim. */
  id: string;
  /** `name` claim, or `sub` when absent. */
  name: string;
  /** `rooms` claim, already validated. */
  rooms: RoomGrants;
  /** Expiry, in ms since the epoch. */
  expiresAt: number;
}

/** Why a token was refused; the message is safe to show and never contains the token. */
export class TokenError extends Error {
  override name = 'TokenError';
}

/** Verifies a compact JWT and returns the identity, or throws TokenError. */
export type VerifyToken = (token: string) => Promise<Identity>;

const MAX_TOKEN_LENGTH = 8192;

/** Algorithms accepted for each kind of public key; `none` is never accepted. */
const algorithmsFor = (key: KeyObject): string[] => {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256'];
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return ['ES256'];
      throw new ConfigError('only P-256 EC public keys (ES256) are supported');
    case 'ed25519':
      return ['EdDSA'];
    default:
      throw new ConfigError(`unsupported public key type: ${String(key.asymmetricKeyType)}`);
  }
};

const secretBytes = (secret: string | Uint8Array): Uint8Array =>
  typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;

const identityFrom = (payload: JWTPayload): Identity => {
  const { sub, exp } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) throw new TokenError('token has no valid sub');
  if (typeof exp !== 'number') throw new TokenError('token has no exp');
  const rawName = (payload as { name?: unknown }).name;
  const name = typeof rawName === 'string' && rawName.length > 0 ? rawName.slice(0, 256) : sub;
  const rooms = parseRoomGrants((payload as { rooms?: unknown }).rooms);
  if (rooms === undefined) throw new TokenError('token has no valid rooms claim');
  return { id: sub, name, rooms, expiresAt: exp * 1000 };
};

/** Builds the verifier for the configured key. Throws ConfigError for an unusable key. */
export const createTokenVerifier = (jwt: JwtOptions): VerifyToken => {
  let key: Uint8Array | KeyObject | ReturnType<typeof createRemoteJWKSet>;
  let algorithms: string[];
  if (jwt.secret !== undefined) {
    key = secretBytes(jwt.secret);
    algorithms = ['HS256'];
  } else if (jwt.publicKeyPem !== undefined) {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(jwt.publicKeyPem);
    } catch (error) {
      throw new ConfigError(`the public key could not be read as PEM: ${(error as Error).message}`);
    }
    if (publicKey.type !== 'public') throw new ConfigError('the public key file must hold a public key');
    key = publicKey;
    algorithms = algorithmsFor(publicKey);
  } else if (jwt.jwksUrl !== undefined) {
    key = createRemoteJWKSet(new URL(jwt.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    algorithms = ['RS256', 'ES256', 'EdDSA'];
  } else {
    throw new ConfigError('no JWT key configured');
  }
  const options = {
    algorithms,
    clockTolerance: jwt.clockToleranceSeconds ?? 5,
    requiredClaims: ['exp', 'sub'],
    ...(jwt.issuer !== undefined ? { issuer: jwt.issuer } : {}),
    ...(jwt.audience !== undefined ? { audience: jwt.audience } : {}),
  };
  const verified = new VerifiedTokenCache();
  // A shared secret is verified in place (hs256-verify.ts): WebCrypto would make every connect a pool job.
  const verifyHs256 =
    key instanceof Uint8Array
      ? createHs256Verifier(key, { clockTolerance: options.clockTolerance, issuer: jwt.issuer, audience: jwt.audience })
      : undefined;
  return async function verifyToken(token) {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new TokenError('token missing or too long');
    const known = verified.get(token);
    if (known !== undefined) return known;
    if (verifyHs256 !== undefined) {
      let payload: JWTPayload;
      try {
        payload = verifyHs256(token);
      } catch (error) {
        if (error instanceof Hs256Error) throw new TokenError(error.code === 'ERR_JWT_EXPIRED' ? 'token expired' : `invalid token (${error.code})`);
        throw new TokenError('invalid token');
      }
      return verified.set(token, identityFrom(payload));
    }
    try {
      // The overloads differ for a key and a JWKS getter; both are valid here.
      const { payload } =
        typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      return verified.set(token, identityFrom(payload));
    } catch (error) {
      if (error instanceof TokenError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new TokenError('token expired');
      if (error instanceof joseErrors.JOSEError) throw new TokenError(`invalid token (${error.code})`);
      throw new TokenError('invalid token');
    }
  };
};

/** What a dev token is minted for. */
export interface DevTokenRequest {
  sub: string;
  name: string;
  rooms: Record<string, Role>;
  ttlSeconds: number;
  issuer?: string | undefined;
  audience?: string | undefined;
}

/** Signs an HS256 token (dev mode and tests). Returns the token and its expiry in seconds since the epoch. */
export const signToken = async (
  secret: string | Uint8Array,
  request: DevTokenRequest,
): Promise<{ token: string; exp: number }> => {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + request.ttlSeconds;
  let jwt = new SignJWT({ name: request.name, rooms: request.rooms })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuedAt(now)
    .setExpirationTime(exp);
  if (request.issuer !== undefined) jwt = jwt.setIssuer(request.issuer);
  if (request.audience !== undefined) jwt = jwt.setAudience(request.audience);
  return { token: await jwt.sign(secretBytes(secret)), exp };
};
