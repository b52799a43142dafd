// Creates a module's PostgreSQL tables once, even when several relays start at the same moment.
import type { Pool } from 'pg';

/**
 * Runs `sql` (idempotent `CREATE … IF NOT EXISTS` statements) in one transaction under the advisory lock
 * `lockKey`: concurrent `CREATE TABLE IF NOT EXISTS` from two relays can otherwise fail on the catalog's
 * unique index.
 */
export const ensureSchema = async (pool: Pool, lockKey: number, sql: string): Promise<void> => {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [lockKey]);
    await client.query(sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
};
