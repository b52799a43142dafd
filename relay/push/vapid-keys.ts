// The relay's VAPID key pair (RFC 8292): configured, or generated on first start and kept in the data directory.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import webpush from 'web-push';

/** A P-256 key pair in base64url: `publicKey` 65 bytes uncompressed (the browsers' `applicationServerKey`), `privateKey` 32 bytes. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** Why the configured or stored keys cannot be used (the relay refuses to start). */
export class VapidKeyError extends Error {
  override name = 'VapidKeyError';
}

const decoded = (text: unknown): Buffer | undefined =>
  typeof text === 'string' && /^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, 'base64url') : undefined;

/** Throws VapidKeyError unless `keys` is a P-256 pair in base64url (`what` names where it came from). */
export function checkVapidKeys(keys: unknown, what: string): asserts keys is VapidKeys {
  const { publicKey, privateKey } = (typeof keys === 'object' && keys !== null ? keys : {}) as Record<string, unknown>;
  const pub = decoded(publicKey);
  const priv = decoded(privateKey);
  if (pub?.length !== 65 || pub[0] !== 4) throw new VapidKeyError(`${what}: the VAPID public key must be 65 bytes (uncompressed P-256) in base64url`);
  if (priv?.length !== 32) throw new VapidKeyError(`${what}: the VAPID private key must be 32 bytes in base64url`);
}

/**
 * The keys at `path` (JSON `{ publicKey, privateKey }`), created on first use. Every subscription is bound to
 * the public key, so a new pair silently orphans them all: an unreadable file is an error, never replaced. The
 * file is written whole or not at all (temporary file, fsync, rename, fsync of the directory), mode 0600.
 */
export function loadOrCreateVapidKeys(path: string): VapidKeys {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new VapidKeyError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text !== undefined) {
    let keys: unknown;
    try {
      keys = JSON.parse(text);
    } catch {
      throw new VapidKeyError(`${path} is not JSON; restore it or remove it to generate new keys (which invalidates every push subscription)`);
    }
    checkVapidKeys(keys, path);
    return { publicKey: keys.publicKey, privateKey: keys.privateKey };
  }
  const keys = webpush.generateVAPIDKeys();
  writeFileAtomic(path, `${JSON.stringify(keys)}\n`);
  return keys;
}

/** Writes `text` to `path` crash-safely: a reader sees the old file or the whole new one. */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
