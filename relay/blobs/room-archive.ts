// The admin export of a whole conversation as a tar stream: its Yjs state, its messages as JSON, and every blob with its info.
import { Readable } from 'node:stream';
import type { BlobService } from './blob-service.js';

const BLOCK = 512;

/** A POSIX ustar header for a regular file (names here are short and ASCII: `blobs/<sha256>.json` at most). */
const header = (name: string, size: number, mtimeMs: number): Buffer => {
  const block = Buffer.alloc(BLOCK);
  const field = (offset: number, length: number, value: string) => block.write(value, offset, length, 'ascii');
  const octal = (offset: number, length: number, value: number) => field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
  field(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, Math.floor(mtimeMs / 1000));
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
};

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/**
 * Streams `room.yjs`, `messages.json` and, per blob, `blobs/<id>` and `blobs/<id>.json`. Blob bytes are
 * streamed from the store one after another: memory stays at one chunk whatever the room holds.
 */
export const roomArchive = (room: string, state: Uint8Array, messages: unknown, blobs: BlobService): Readable =>
  Readable.from((async function* archive() {
    const now = Date.now();
    const file = function* (name: string, bytes: Uint8Array) {
      yield header(name, bytes.byteLength, now);
      yield Buffer.from(bytes);
      yield padding(bytes.byteLength);
    };
    yield* file('room.yjs', state);
    yield* file('messages.json', Buffer.from(JSON.stringify({ room, messages }, null, 2)));
    for (const info of await blobs.list(room)) {
      yield* file(`blobs/${info.id}.json`, Buffer.from(JSON.stringify(info)));
      yield header(`blobs/${info.id}`, info.size, info.createdAt);
      for await (const chunk of await blobs.read(room, info.id)) yield chunk as Buffer;
      yield padding(info.size);
    }
    yield Buffer.alloc(BLOCK * 2);
  })());
