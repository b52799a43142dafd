// The local-disk blob store: one directory per room, each blob a file named by its SHA-256 with a JSON info file beside it.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, promises as fs, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isBlobId } from '../../shared/attachments.js';
import { isValidRoomName } from '../../shared/protocol.js';
import { fromBase32, roomDir } from '../room-paths.js';
import { BlobStoreError, type BlobInfo, type BlobStore, type ByteRange } from './blob-store.js';

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

const syncDir = async (dir: string): Promise<void> => {
  const handle = await fs.open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

const parseInfo = (text: string, id: string): BlobInfo | undefined => {
  try {
    const value = JSON.parse(text) as Partial<BlobInfo>;
    if (value.id !== id || typeof value.size !== 'number' || typeof value.type !== 'string') return undefined;
    if (typeof value.createdAt !== 'number' || typeof value.uploader !== 'string') return undefined;
    return { id, size: value.size, type: value.type, createdAt: value.createdAt, uploader: value.uploader };
  } catch {
    return undefined;
  }
};

/**
 * Layout under `root` (normally `<dataDir>/blobs`):
 *   rooms/r-<base32(room)>/<sha256>       the bytes (present = stored)
 *   rooms/r-<base32(room)>/<sha256>.json  its BlobInfo
 *   tmp/                                  blobs being written (renamed into place once hashed and fsync'd)
 * Paths are built only from validated room names (base32-encoded) and validated hex ids.
 */
export const createDiskBlobStore = (root: string): BlobStore & { root: string } => {
  const roomsRoot = join(root, 'rooms');
  const tmpDir = join(root, 'tmp');

  const dirOf = (room: string): string => roomDir(roomsRoot, room);
  const pathOf = (room: string, id: string): string => {
    if (!isBlobId(id)) throw new Error('invalid blob id');
    return join(dirOf(room), id);
  };

  const store: BlobStore & { root: string } = {
    root,
    async put(room, info, source) {
      const target = pathOf(room, info.id);
      const temp = join(tmpDir, randomBytes(16).toString('hex'));
      const hash = createHash('sha256');
      let size = 0;
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      const verify = () => {
        const digest = hash.digest('hex');
        if (digest !== info.id) throw new BlobStoreError('hash-mismatch', `the bytes hash to ${digest}, not ${info.id}`);
        if (size !== info.size) throw new BlobStoreError('size-mismatch', `got ${size} bytes, expected ${info.size}`);
      };
      if (existsSync(target)) {
        // Already stored: the bytes are still hashed (a wrong claim is refused) but written nowhere.
        await pipeline(source, hashing, new Writable({ write: (_chunk, _encoding, callback) => callback() }));
        verify();
        return;
      }
      await fs.mkdir(tmpDir, { recursive: true });
      try {
        const out = createWriteStream(temp, { flags: 'wx' });
        await pipeline(source, hashing, out);
        verify();
        const handle = await fs.open(temp, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        const dir = dirOf(room);
        await fs.mkdir(dir, { recursive: true });
        const infoTemp = `${temp}.json`;
        await fs.writeFile(infoTemp, JSON.stringify(info));
        // Info first: a blob file is only ever present with its info beside it.
        await fs.rename(infoTemp, `${target}.json`);
        await fs.rename(temp, target);
        await syncDir(dir);
      } finally {
        await fs.rm(temp, { force: true });
        await fs.rm(`${temp}.json`, { force: true });
      }
    },
    async get(room, id, range?: ByteRange) {
      const path = pathOf(room, id);
      try {
        // Opened here so that a missing blob is an answer, not a stream error.
        const handle = await fs.open(path, 'r');
        return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async stat(room, id) {
      const path = pathOf(room, id);
      if (!existsSync(path)) return undefined;
      try {
        return parseInfo(await fs.readFile(`${path}.json`, 'utf8'), id);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    peek(room, id) {
      if (!isBlobId(id) || !isValidRoomName(room)) return undefined;
      const path = pathOf(room, id);
      if (!existsSync(path)) return undefined;
      try {
        return parseInfo(readFileSync(`${path}.json`, 'utf8'), id);
      } catch {
        return undefined;
      }
    },
    async *list(room) {
      const rooms: string[] = [];
      if (room !== undefined) rooms.push(room);
      else {
        let entries: string[] = [];
        try {
          entries = await fs.readdir(roomsRoot);
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
        for (const entry of entries) {
          const name = entry.startsWith('r-') ? fromBase32(entry.slice(2)) : undefined;
          if (name !== undefined && isValidRoomName(name)) rooms.push(name);
        }
      }
      for (const name of rooms) {
        let files: string[];
        try {
          files = await fs.readdir(dirOf(name));
        } catch (error) {
          if (isMissing(error)) continue;
          throw error;
        }
        for (const file of files) {
          if (!isBlobId(file)) continue;
          const info = await store.stat(name, file);
          if (info) yield { room: name, info };
        }
      }
    },
    async remove(room, id) {
      if (id === undefined) {
        await fs.rm(dirOf(room), { recursive: true, force: true });
        return;
      }
      const path = pathOf(room, id);
      await fs.rm(path, { force: true });
      await fs.rm(`${path}.json`, { force: true });
    },
  };
  return store;
};
