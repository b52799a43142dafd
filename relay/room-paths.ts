// Maps validated room names to directories that can never leave the data directory.
import { join } from 'node:path';
import { isValidRoomName } from '../shared/ids.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lower case, no padding: safe on case-insensitive file systems, at most 205 characters for 128-byte names. */
export const base32 = (bytes: Uint8Array): string => {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
};

/** Decodes `base32` output (for tools that list rooms on disk). Returns undefined for anything else. */
export const fromBase32 = (text: string): string | undefined => {
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('latin1');
};

/** The directory that holds a room's files. Throws for an invalid name, so no unchecked input reaches the file system. */
export const roomDir = (roomsRoot: string, room: string): string => {
  if (!isValidRoomName(room)) throw new Error('invalid room name');
  return join(roomsRoot, `r-${base32(Buffer.from(room, 'latin1'))}`);
};
