// The stored name of a user's account document, computed in place with node:crypto (the rule is shared/account.ts's).
import { createHash } from 'node:crypto';
import { accountRoomNameFromDigest } from '../../shared/account.js';

/**
 * `accountRoomName(userId)` without its WebCrypto job: a SHA-256 of a few bytes costs about a microsecond on the
 * main thread, while `crypto.subtle.digest` is an asynchronous job in the libuv pool per call — one per user's
 * first connection (the conversation listing) and per account-alias connect.
 */
export const accountRoomNameNow = (userId: string): string =>
  accountRoomNameFromDigest(createHash('sha256').update(userId, 'utf8').digest('hex'));
