// The contract every BlobStore backend meets: the disk store and the PostgreSQL store (one real PostgreSQL for the file).
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiskBlobStore } from '../../relay/blobs/disk-blob-store.js';
import { CHUNK_BYTES, createPostgresBlobStore, ensureBlobSchema } from '../../relay/blobs/postgres-blob-store.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres-server.js';
import { BlobStoreError, type BlobInfo, type BlobStore } from '../../relay/blobs/blob-store.js';
import { randomBytesOf, sha256 } from './blob-helpers.js';
import { tempDir } from './helpers.js';

let postgres: TestPostgres | undefined;
let pool: pg.Pool | undefined;

const BACKENDS: Record<string, () => Promise<{ store: BlobStore; cleanup: () => void }>> = {
  disk: async () => {
    const dir = tempDir();
    return { store: createDiskBlobStore(dir.dir), cleanup: dir.cleanup };
  },
  postgres: async () => {
    if (!pool) {
      postgres = await startTestPostgres();
      pool = new pg.Pool({ connectionString: postgres.url, max: 4 });
      await ensureBlobSchema(pool);
    }
    // One server for the file; every test starts from empty tables.
    await pool.query('TRUNCATE parley_blobs, parley_blob_chunks');
    return { store: createPostgresBlobStore(pool), cleanup: () => {} };
  },
};

afterAll(async () => {
  await pool?.end();
  await postgres?.destroy();
}, 60_000);

const infoOf = (bytes: Buffer, extra: Partial<BlobInfo> = {}): BlobInfo => ({ id: sha256(bytes), size: bytes.length, type: 'application/octet-stream', createdAt: 1000, uploader: 'ada', ...extra });
const readAll = async (stream: Readable | undefined): Promise<Buffer> => {
  if (!stream) throw new Error('no stream');
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};
/** A source in many small chunks, as an upload arrives. */
const chunked = (bytes: Buffer) => Readable.from((function* () {
  for (let i = 0; i < bytes.length; i += 1000) yield bytes.subarray(i, i + 1000);
})());

for (const [name, make] of Object.entries(BACKENDS)) {
  describe(`BlobStore contract: ${name}`, () => {
    it('put, has, stat, get (whole and ranged), list, remove', async () => {
      const { store, cleanup } = await make();
      try {
        const bytes = randomBytesOf(10_000, 1);
        const info = infoOf(bytes);
        expect(!!store.peek('r1', info.id)).toBe(false);
        await store.put('r1', info, chunked(bytes));
        expect(!!store.peek('r1', info.id)).toBe(true);
        expect(!!store.peek('r2', info.id)).toBe(false);
        expect(await store.stat('r1', info.id)).toEqual(info);
        expect(store.peek('r1', info.id)).toEqual(info);
        expect((await readAll(await store.get('r1', info.id))).equals(bytes)).toBe(true);
        expect((await readAll(await store.get('r1', info.id, { start: 100, end: 199 }))).equals(bytes.subarray(100, 200))).toBe(true);
        expect(await store.get('r2', info.id)).toBeUndefined();
        const other = randomBytesOf(500, 2);
        await store.put('r2', infoOf(other), chunked(other));
        const listed: string[] = [];
        for await (const entry of store.list()) listed.push(`${entry.room}/${entry.info.id}`);
        expect(listed.sort()).toEqual([`r1/${info.id}`, `r2/${sha256(other)}`].sort());
        await store.remove('r1', info.id);
        expect(!!store.peek('r1', info.id)).toBe(false);
        await store.remove('r2');
        expect(!!store.peek('r2', sha256(other))).toBe(false);
        await store.remove('r2'); // missing: not an error
      } finally {
        cleanup();
      }
    });

    it('stores nothing when the bytes do not hash to the id or have another size', async () => {
      const { store, cleanup } = await make();
      try {
        const bytes = randomBytesOf(5000, 3);
        const wrong = infoOf(randomBytesOf(5000, 4));
        await expect(store.put('r', wrong, chunked(bytes))).rejects.toBeInstanceOf(BlobStoreError);
        expect(!!store.peek('r', wrong.id)).toBe(false);
        await expect(store.put('r', { ...infoOf(bytes), size: 4999 }, chunked(bytes))).rejects.toMatchObject({ code: 'size-mismatch' });
        expect(!!store.peek('r', sha256(bytes))).toBe(false);
        // Storing the same bytes twice is fine; forged bytes for a stored id are still refused.
        await store.put('r', infoOf(bytes), chunked(bytes));
        await store.put('r', infoOf(bytes), chunked(bytes));
        await expect(store.put('r', infoOf(bytes), chunked(randomBytesOf(5000, 5)))).rejects.toMatchObject({ code: 'hash-mismatch' });
        expect((await readAll(await store.get('r', sha256(bytes)))).equals(bytes)).toBe(true);
      } finally {
        cleanup();
      }
    });

    it('streams a multi-chunk blob and serves ranges across chunk boundaries', async () => {
      const { store, cleanup } = await make();
      try {
        const bytes = randomBytesOf(2 * CHUNK_BYTES + 12_345, 6);
        const info = infoOf(bytes);
        await store.put('big', info, chunked(bytes));
        expect((await readAll(await store.get('big', info.id))).equals(bytes)).toBe(true);
        const a = CHUNK_BYTES - 10;
        const b = 2 * CHUNK_BYTES + 5;
        expect((await readAll(await store.get('big', info.id, { start: a, end: b }))).equals(bytes.subarray(a, b + 1))).toBe(true);
        const tail = bytes.length - 1;
        expect((await readAll(await store.get('big', info.id, { start: tail, end: tail }))).equals(bytes.subarray(tail))).toBe(true);
        const empty = Buffer.alloc(0);
        await store.put('big', infoOf(empty), chunked(empty));
        expect((await readAll(await store.get('big', sha256(empty)))).length).toBe(0);
      } finally {
        cleanup();
      }
    });

    it('never builds a path from an invalid id or room name', async () => {
      const { store, cleanup } = await make();
      try {
        expect(!!store.peek('r', '../../etc/passwd')).toBe(false);
        expect(!!store.peek('..', 'a'.repeat(64))).toBe(false);
        await expect(store.get('r', '../x')).rejects.toThrow(/invalid/);
        await expect(store.stat('r/..', 'a'.repeat(64))).rejects.toThrow(/invalid/);
        await expect(store.remove('..')).rejects.toThrow(/invalid/);
      } finally {
        cleanup();
      }
    });
  });
}
