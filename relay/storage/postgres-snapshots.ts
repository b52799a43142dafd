// The cluster snapshot store: one table in PostgreSQL holding each room's latest snapshot and the stream position it covers.
import { ensureSchema } from './postgres-schema.js';
import type { Pool } from 'pg';
import { isValidRoomName } from '../../shared/protocol.js';
import { comparePositions, isPosition, type SnapshotStore } from './seams.js';

/*
 * Table parley_snapshots (created at start if missing, under an advisory lock so that several relays
 * starting at once do not race):
 *   room text, pos_ms bigint, pos_seq bigint (the stream id `<ms>-<seq>` it covers), state bytea, created_at.
 * A store inserts the new row and deletes older ones in one transaction: a load always finds the latest
 * committed snapshot, and an older snapshot committed late (a compactor whose lease expired) never hides a
 * newer one, since loads take the highest position.
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS parley_snapshots (
  room       text        NOT NULL,
  pos_ms     bigint      NOT NULL,
  pos_seq    bigint      NOT NULL,
  state      bytea       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room, pos_ms, pos_seq)
)`;
/** Any constant: serialises schema creation between relays starting together. */
const SCHEMA_LOCK = 0x70726c79;

const checkRoom = (room: string): void => {
  if (!isValidRoomName(room)) throw new Error('invalid room name');
};

const split = (position: string): [string, string] => {
  if (!isPosition(position)) throw new Error(`invalid log position: ${position}`);
  const [ms, seq] = position.split('-') as [string, string];
  return [ms, seq];
};

/** Creates the table if needed. */
export const ensureSnapshotSchema = (pool: Pool): Promise<void> => ensureSchema(pool, SCHEMA_LOCK, SCHEMA);

/** Creates the store over `pool`; `healthy` reports the last health probe (see cluster-backend.ts). */
export const createPostgresSnapshots = (pool: Pool, healthy: () => boolean): SnapshotStore => ({
  async store(room, state, position) {
    checkRoom(room);
    const [ms, seq] = split(position);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        'INSERT INTO parley_snapshots (room, pos_ms, pos_seq, state) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [room, ms, seq, Buffer.from(state.buffer, state.byteOffset, state.byteLength)],
      );
      await client.query(
        'DELETE FROM parley_snapshots WHERE room = $1 AND (pos_ms < $2 OR (pos_ms = $2 AND pos_seq < $3))',
        [room, ms, seq],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  },
  async load(room) {
    checkRoom(room);
    const result = await pool.query<{ pos_ms: string; pos_seq: string; state: Buffer }>(
      'SELECT pos_ms, pos_seq, state FROM parley_snapshots WHERE room = $1 ORDER BY pos_ms DESC, pos_seq DESC LIMIT 1',
      [room],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    const position = `${row.pos_ms}-${row.pos_seq}`;
    if (!isPosition(position) || comparePositions(position, '0-0') < 0) throw new Error(`stored snapshot of ${room} has a bad position`);
    return { state: new Uint8Array(row.state), position };
  },
  async delete(room) {
    checkRoom(room);
    await pool.query('DELETE FROM parley_snapshots WHERE room = $1', [room]);
  },
  healthy,
  async close() {},
});
