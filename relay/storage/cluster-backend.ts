// The cluster backend: connects to Redis (room logs, bus, leases) and PostgreSQL (snapshots) and watches both for readiness.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import { redisKeys } from './redis-keys.js';
import { createRedisLog } from './redis-log.js';
import { createRedisBus } from './redis-bus.js';
import { createRedisLease } from './redis-lease.js';
import { createPostgresSnapshots, ensureSnapshotSchema } from './postgres-snapshots.js';
import { createPostgresBlobStore, ensureBlobSchema } from '../blobs/postgres-blob-store.js';
import type { StorageBackend } from './seams.js';

export interface ClusterBackendOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  redisUrl: string;
  /** `postgres://user:password@host:port/database`. */
  postgresUrl: string;
  /** Prefix of every Redis key and channel. Default `parley:`. */
  prefix?: string;
  /** See RedisLogOptions.minLifetimeMs. */
  minLifetimeMs?: number;
  log?: Logger;
}

/** How often PostgreSQL is probed for readiness. */
const PROBE_MS = 1000;

/** Raised when a backend cannot be reached at start. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

/**
 * Connects the cluster backend. Resolves once Redis answers and PostgreSQL has the schema; rejects with a
 * BackendUnavailableError otherwise. Afterwards outages are survived: `healthy()` turns false while either
 * is unreachable and true again when both answer.
 */
export const createClusterBackend = async (options: ClusterBackendOptions): Promise<StorageBackend> => {
  const log = options.log;
  const keys = redisKeys(options.prefix ?? 'parley:');
  const redisOptions = {
    lazyConnect: true,
    // Fail fast instead of queueing while disconnected: a write that cannot be made durable now is refused now.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    connectTimeout: 2000,
    // A Redis that stops answering (not disconnected) must not hold appends, and their senders, forever.
    commandTimeout: 5000,
  };
  const commands = new Redis(options.redisUrl, redisOptions);
  // The blocking and subscriber connections may queue: they only read, and resume by themselves.
  const blocking = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: redisOptions.retryStrategy });
  const subscriber = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: redisOptions.retryStrategy });
  for (const [name, connection] of [['commands', commands], ['blocking', blocking], ['subscriber', subscriber]] as const) {
    connection.on('error', (error: Error) => log?.debug({ err: error, connection: name }, 'redis connection error'));
  }
  const pool = new pg.Pool({
    connectionString: options.postgresUrl,
    // Snapshots, the readiness probe, and blob reads and uploads (one connection per streaming put).
    max: 8,
    connectionTimeoutMillis: 2000,
    query_timeout: 10_000,
  });
  pool.on('error', (error) => log?.debug({ err: error }, 'postgres connection error'));

  const closeAll = async () => {
    commands.disconnect();
    blocking.disconnect();
    subscriber.disconnect();
    await pool.end().catch(() => {});
  };
  try {
    await Promise.all([commands.connect(), blocking.connect(), subscriber.connect()]);
  } catch (error) {
    await closeAll();
    throw new BackendUnavailableError(`cannot reach Redis at the configured URL: ${(error as Error).message}`);
  }
  try {
    await ensureSnapshotSchema(pool);
    await ensureBlobSchema(pool);
  } catch (error) {
    await closeAll();
    throw new BackendUnavailableError(`cannot reach PostgreSQL at the configured URL: ${(error as Error).message}`);
  }
  await warnUnlessDurable(commands, log);

  let postgresUp = true;
  let probing = false;
  const probe = setInterval(() => {
    if (probing) return;
    probing = true;
    pool.query('SELECT 1').then(
      () => {
        if (!postgresUp) log?.info('postgres reachable again');
        postgresUp = true;
      },
      (error: Error) => {
        if (postgresUp) log?.warn({ err: error }, 'postgres unreachable');
        postgresUp = false;
      },
    ).finally(() => (probing = false));
  }, PROBE_MS);
  probe.unref();

  const roomLog = createRedisLog({ commands, blocking, keys, minLifetimeMs: options.minLifetimeMs });
  const snapshots = createPostgresSnapshots(pool, () => postgresUp);
  const bus = createRedisBus({ publisher: commands, subscriber, keys });
  return {
    kind: 'cluster',
    instanceId: randomUUID(),
    log: roomLog,
    snapshots,
    bus,
    lease: createRedisLease(commands, keys),
    blobStore: createPostgresBlobStore(pool),
    healthy: () => roomLog.healthy() && postgresUp,
    async close() {
      clearInterval(probe);
      await roomLog.close();
      await bus.close();
      await closeAll();
    },
  };
};

/** Logs a warning when Redis would acknowledge appends it has not fsync'd (CONFIG may be disabled: then say nothing). */
const warnUnlessDurable = async (redis: Redis, log: Logger | undefined): Promise<void> => {
  try {
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    const [, appendfsync] = (await redis.config('GET', 'appendfsync')) as string[];
    if (appendonly !== 'yes' || appendfsync !== 'always') {
      log?.warn({ appendonly, appendfsync }, 'redis is not configured with appendonly yes + appendfsync always: durable acks are not durable');
    }
  } catch {
    // Managed Redis often disables CONFIG; the operator's configuration is documented in docs/cluster.md.
  }
};
