// Identifier formats in one place: message ids, user ids (the token's `sub`), room names and room-grant patterns.

const MESSAGE_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** Printable ASCII without spaces: covers UUIDs, e-mail addresses, `provider|123` and URLs. */
const USER_ID = /^[\x21-\x7e]{1,128}$/;
/** The narrower alphabet the relay's development token endpoint accepts for a chosen `sub`. */
const DEV_USER_ID = /^[A-Za-z0-9._~:@-]{1,128}$/;
/** Room names: 1–128 characters of `[A-Za-z0-9._~-]`, never `.` or `..` (checked in `isValidRoomName`). */
export const ROOM_NAME = /^[A-Za-z0-9._~-]{1,128}$/;
/** A prefix pattern of a `rooms` claim: a room-name prefix followed by `*`. */
const ROOM_PREFIX_PATTERN = /^[A-Za-z0-9._~-]{1,127}\*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
/** Web Crypto is global in browsers and Node 20; shared/ declares only the piece it uses (no DOM or Node types here). */
const webCrypto = (globalThis as unknown as { crypto: { getRandomValues<T extends Uint8Array>(array: T): T } }).crypto;

/** Whether `id` is a well-formed message id. */
export const isMessageId = (id: unknown): id is string => typeof id === 'string' && MESSAGE_ID.test(id);

/** Whether `id` is a well-formed user id. */
export const isUserId = (id: unknown): id is string => typeof id === 'string' && USER_ID.test(id);

/** Whether `id` may be chosen as the `sub` of a development token (a user id in a narrower alphabet). */
export const isDevUserId = (id: unknown): id is string => typeof id === 'string' && DEV_USER_ID.test(id);

/** Whether `name` is a valid room name (safe to use as a file name too). */
export const isValidRoomName = (name: string): boolean => ROOM_NAME.test(name) && name !== '.' && name !== '..';

/** Patterns in a `rooms` claim: a room name, or a prefix followed by `*` (`*` alone grants every room). */
export const isValidRoomPattern = (pattern: string): boolean =>
  pattern === '*' || (pattern.endsWith('*') ? ROOM_PREFIX_PATTERN.test(pattern) : isValidRoomName(pattern));

/** A new random message id: 21 url-safe characters (126 bits), unique without coordination. */
export function newMessageId(): string {
  const bytes = webCrypto.getRandomValues(new Uint8Array(21));
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte & 63];
  return id;
}
