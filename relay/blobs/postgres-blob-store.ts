// The PostgreSQL blob store (cluster mode): each blob's info in one row and its bytes in 256 KiB bytea chunk rows, streamed both ways.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ensureSchema } from '../storage/postgres-schema.js';
import type { Pool, PoolClient } from 'pg';
import { isBlobId } from '../../shared/attachments.js';
import { isValidRoomName } from '../../shared/protocol.js';
import { BlobStoreError, type BlobInfo, type BlobStore, type ByteRange } from './blob-store.js';

/*
 * Tables (created at start if missing, under an advisory lock so relays starting together do not race):
 *   parley_blobs        (room, id) → size, type, created_at, uploader          present = stored
 *   parley_blob_chunks  (room, id, n) → data bytea, every chunk CHUNK_BYTES but the last
 * A put writes every chunk and then the info row in ONE transaction, and commits only once the bytes hashed
 * to the id with the declared size: a blob is visible to every relay complete or not at all. Memory is one
 * chunk (plus what pg buffers for one query), whatever the file's size; reads fetch one chunk per query.
 */

/** Bytes per chunk row: big enough that a 25 MB file is ~100 rows, small enough to hold one in memory per stream. */
export const CHUNK_BYTES = 256 * 1024;
/** Any constant (distinct from the snapshot table's): serialises schema creation between relays. */
const SCHEMA_LOCK = 0x70726c62;
const PAGE = 500;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS parley_blobs (
  room       text   NOT NULL,
  id         text   NOT NULL,
  size       bigint NOT NULL,
  type       text   NOT NULL,
  created_at bigint NOT NULL,
  uploader   text   NOT NULL,
  PRIMARY KEY (room, id)
);
CREATE TABLE IF NOT EXISTS parley_blob_chunks (
  room text    NOT NULL,
  id   text    NOT NULL,
  n    integer NOT NULL,
  data bytea   NOT NULL,
  PRIMARY KEY (room, id, n)
)`;

const checkRoom = (room: string): void => {
  if (!isValidRoomName(room)) throw new Error('invalid room name');
};
const checkId = (id: string): void => {
  if (!isBlobId(id)) throw new Error('invalid blob id');
};

interface InfoRow {
  room: string;
  id: string;
  size: string;
  type: string;
  created_at: string;
  uploader: string;
}
const infoOf = (row: InfoRow): BlobInfo => ({ id: row.id, size: Number(row.size), type: row.type, createdAt: Number(row.created_at), uploader: row.uploader });

/** Creates the two tables if needed. */
export const ensureBlobSchema = (pool: Pool): Promise<void> => ensureSchema(pool, SCHEMA_LOCK, SCHEMA);

/**
 * A BlobStore over `pool` (call `ensureBlobSchema` first). `peek` answers from what this instance has seen
 * (its own puts, stats and listings): it is not how cluster mode's guard decides (that follows the room log,
 * see docs/attachments.md), only a fast path for the policy layer, which falls back to `stat`.
 */
export const createPostgresBlobStore = (pool: Pool): BlobStore => {
  /** `room/id` → info, as last seen by this instance. */
  const seen = new Map<string, BlobInfo>();
  const key = (room: string, id: string) => `${room}/${id}`;

  const withTransaction = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };

  const statRow = async (room: string, id: string): Promise<BlobInfo | undefined> => {
    const { rows } = await pool.query<InfoRow>('SELECT room, id, size, type, created_at, uploader FROM parley_blobs WHERE room = $1 AND id = $2', [room, id]);
    const row = rows[0];
    if (!row) {
      seen.delete(key(room, id));
      return undefined;
    }
    const info = infoOf(row);
    seen.set(key(room, id), info);
    return info;
  };

  /** Reads the source in CHUNK_BYTES pieces, hashing as it goes; `write` gets each full piece (and the last). */
  const consume = async (source: Readable, info: BlobInfo, write: (n: number, data: Buffer) => Promise<void>): Promise<void> => {
    const hash = createHash('sha256');
    let size = 0;
    let n = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (bytes: number) => {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      const piece = all.subarray(0, bytes);
      const rest = all.subarray(bytes);
      pending = rest.length > 0 ? [Buffer.from(rest)] : [];
      pendingBytes = rest.length;
      await write(n++, piece);
    };
    for await (const chunk of source) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      hash.update(buffer);
      size += buffer.length;
      if (size > info.size) throw new BlobStoreError('size-mismatch', `got more than the expected ${info.size} bytes`);
      pending.push(buffer);
      pendingBytes += buffer.length;
      while (pendingBytes >= CHUNK_BYTES) await flush(CHUNK_BYTES);
    }
    if (pendingBytes > 0) await flush(pendingBytes);
    const digest = hash.digest('hex');
    if (digest !== info.id) throw new BlobStoreError('hash-mismatch', `the bytes hash to ${digest}, not ${info.id}`);
    if (size !== info.size) throw new BlobStoreError('size-mismatch', `got ${size} bytes, expected ${info.size}`);
  };

  return {
    async put(room, info, source) {
      checkRoom(room);
      checkId(info.id);
      if (await statRow(room, info.id)) {
        // Already stored: the bytes are still hashed (a wrong claim is refused) but written nowhere.
        await consume(source, info, async () => {});
        return;
      }
      const stored = await withTransaction(async (client) => {
        await consume(source, info, async (n, data) => {
          // A concurrent put of the same blob waits here on the key and then writes nothing.
          await client.query('INSERT INTO parley_blob_chunks (room, id, n, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [room, info.id, n, data]);
        });
        const { rowCount } = await client.query(
          'INSERT INTO parley_blobs (room, id, size, type, created_at, uploader) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
          [room, info.id, info.size, info.type, info.createdAt, info.uploader],
        );
        return rowCount === 1;
      });
      if (stored) seen.set(key(room, info.id), info);
      else await statRow(room, info.id);
    },
    async get(room, id, range?: ByteRange) {
      checkRoom(room);
      checkId(id);
      const info = await statRow(room, id);
      if (!info) return undefined;
      if (info.size === 0) return Readable.from([]);
      const start = range?.start ?? 0;
      const end = range?.end ?? info.size - 1;
      const first = Math.floor(start / CHUNK_BYTES);
      const last = Math.floor(end / CHUNK_BYTES);
      async function* chunks() {
        for (let n = first; n <= last; n++) {
          const { rows } = await pool.query<{ data: Buffer }>('SELECT data FROM parley_blob_chunks WHERE room = $1 AND id = $2 AND n = $3', [room, id, n]);
          const data = rows[0]?.data;
          if (!data) throw new Error(`blob ${id} is missing chunk ${n}`);
          const base = n * CHUNK_BYTES;
          yield data.subarray(Math.max(0, start - base), Math.min(data.length, end - base + 1));
        }
      }
      return Readable.from(chunks(), { objectMode: false });
    },
    async stat(room, id) {
      checkRoom(room);
      checkId(id);
      return statRow(room, id);
    },
    peek(room, id) {
      if (!isBlobId(id) || !isValidRoomName(room)) return undefined;
      return seen.get(key(room, id));
    },
    async *list(room) {
      if (room !== undefined) checkRoom(room);
      let after: [string, string] = ['', ''];
      for (;;) {
        const { rows } = room === undefined
          ? await pool.query<InfoRow>('SELECT room, id, size, type, created_at, uploader FROM parley_blobs WHERE (room, id) > ($1, $2) ORDER BY room, id LIMIT $3', [after[0], after[1], PAGE])
          : await pool.query<InfoRow>('SELECT room, id, size, type, created_at, uploader FROM parley_blobs WHERE room = $1 AND id > $2 ORDER BY id LIMIT $3', [room, after[1], PAGE]);
        for (const row of rows) {
          const info = infoOf(row);
          seen.set(key(row.room, row.id), info);
          yield { room: row.room, info };
        }
        const last = rows[rows.length - 1];
        if (!last || rows.length < PAGE) return;
        after = [last.room, last.id];
      }
    },
    async remove(room, id) {
      checkRoom(room);
      if (id !== undefined) checkId(id);
      await withTransaction(async (client) => {
        if (id === undefined) {
          await client.query('DELETE FROM parley_blobs WHERE room = $1', [room]);
          await client.query('DELETE FROM parley_blob_chunks WHERE room = $1', [room]);
        } else {
          await client.query('DELETE FROM parley_blobs WHERE room = $1 AND id = $2', [room, id]);
          await client.query('DELETE FROM parley_blob_chunks WHERE room = $1 AND id = $2', [room, id]);
        }
      });
      if (id !== undefined) seen.delete(key(room, id));
      else for (const k of [...seen.keys()]) if (k.startsWith(`${room}/`)) seen.delete(k);
    },
  };
};
