// Identifier formats: message ids (client-generated, globally unique) and user ids (the token's `sub`).

const MESSAGE_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** Printable ASCII without spaces: covers UUIDs, e-mail addresses, `provider|123` and URLs. */
const USER_ID = /^[\x21-\x7e]{1,128}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
/** Web Crypto is global in browsers and Node 20; shared/ declares only the piece it uses (no DOM or Node types here). */
const webCrypto = (globalThis as unknown as { crypto: { getRandomValues<T extends Uint8Array>(array: T): T } }).crypto;

/** Whether `id` is a well-formed message id. */
export const isMessageId = (id: unknown): id is string => typeof id === 'string' && MESSAGE_ID.test(id);

/** Whether `id` is a well-formed user id. */
export const isUserId = (id: unknown): id is string => typeof id === 'string' && USER_ID.test(id);

/** A new random message id: 21 url-safe characters (126 bits), unique without coordination. */
export function newMessageId(): string {
  const bytes = webCrypto.getRandomValues(new Uint8Array(21));
  let id = '';
  for (const byte of bytes) id += ALPHABET[byte & 63];
  return id;
}
