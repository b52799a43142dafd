// Parley's relay as a benchmark child: production code path (auth, write check, durable disk log), generous rate limits.
import { readFileSync, rmSync } from 'node:fs';
import { createDiskStore, startRelay } from '../../../relay/index.js';
import { failStart, readChildConfig, serveParent } from './child-ipc.js';

/**
 * Rate limits are raised so the burst and seeding are not cut off by the per-connection token buckets
 * (the output says so) and the relay-wide socket ceiling is raised for the 10,000-connection scenario; everything else is the relay's default. Each benchmark connection uses its own
 * user, so the per-user connection limit stays at its default.
 */
export const BENCH_LIMITS = {
  messagesPerSecond: 1_000_000,
  messageBurst: 1_000_000,
  bytesPerSecond: 1024 * 1024 * 1024,
  byteBurst: 1024 * 1024 * 1024,
  // The 10,000-connection scenario needs more than the default ceiling of 4,096 sockets per relay.
  maxConnections: 20_000,
  // Every bench client connects from 127.0.0.1, many at once: the per-address pre-auth cap would refuse them.
  maxPendingSocketsPerIp: 0,
} as const;

const main = async () => {
  const config = readChildConfig();
  const dataDir = config.dataDir;
  if (dataDir === undefined) throw new Error('parley-server needs a dataDir');
  if (config.seed) {
    // The room exists on disk before the relay starts, as a snapshot written by the relay's own store.
    const store = createDiskStore(dataDir);
    await store.compact(config.seed.room, new Uint8Array(readFileSync(config.seed.file)));
    await store.close();
  }
  const relay = await startRelay({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    jwt: { secret: config.secret },
    limits: BENCH_LIMITS,
    logLevel: 'warn',
    ...(config.idleUnloadMs !== undefined ? { idleUnloadMs: config.idleUnloadMs } : {}),
  });
  serveParent(relay.port, async () => {
    await relay.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
};

main().catch(failStart);
