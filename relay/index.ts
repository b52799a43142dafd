// The relay's public entry: startRelay wires storage, rooms, WebSocket upgrades and HTTP into one server.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { createTokenVerifier } from './auth.js';
import { createDiskBackend } from './storage/disk-backend.js';
import { createClusterBackend } from './storage/cluster-backend.js';
import { startInstanceTracker } from './storage/instance-tracker.js';
import { createHttpApp } from './http-app.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createClientIdBudget } from './client-id-budget.js';
import { resolveOptions, type RelayOptions } from './options.js';
import { createRoomManager } from './room-manager.js';
import { createUpgradeHandler } from './upgrade.js';
import { createConversationGuard } from './update-guard.js';
import type { CheckUpdate } from './write-check.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { createMembership, loadInviteSecret } from './membership/index.js';
import { openListingJournal } from './membership/listing-journal.js';
import { createListingApplier } from './membership/listing-apply.js';
import { gateConnections, serverTimeouts } from './connection-gate.js';
import { blobPaths, createBlobService } from './blobs/blob-service.js';
import { createDiskBlobStore } from './blobs/disk-blob-store.js';
import { roomReferences } from './blobs/room-references.js';
import { announceBlob } from './storage/room-replica.js';
import { blobIndexOf } from './storage/room-blob-index.js';
import type * as Y from 'yjs';
import { loadPushKeys, startPush } from './push/index.js';

export type { RelayOptions, RelayLimits, JwtOptions, ClusterOptions } from './options.js';
export { ConfigError, DEFAULT_LIMITS } from './options.js';
export type { CheckUpdate, CheckUpdateInput, CheckVerdict, WriteUser } from './write-check.js';
export { WriteRefusedError, readOnlyCheck } from './write-check.js';
export { createConversationGuard } from './update-guard.js';
export type { StorageBackend, RoomLog, SnapshotStore, EphemeralBus, CompactionLease, LogPosition } from './storage/seams.js';
export { createDiskBackend } from './storage/disk-backend.js';
export { createDiskStore } from './disk-store.js';
export { createClusterBackend } from './storage/cluster-backend.js';
export type { BlobStore, BlobInfo } from './blobs/blob-store.js';
export type { BlobLimits } from './blobs/blob-limits.js';
export { createDiskBlobStore } from './blobs/disk-blob-store.js';
export type { MembershipOptions, CreationPolicy } from './membership/index.js';
export type { PushOptions, VapidKeys } from './push/index.js';

/** A started relay. */
export interface RunningRelay {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** `http://HOST:PORT`; WebSocket clients use the same address with ws:// and /rooms. */
  url: string;
  /** Whether dev mode (generated secret, `POST /dev/token`) is on. */
  devMode: boolean;
  /**
   * Graceful stop: refuse new connections, stop reading writes, flush every room to disk and compact it,
   * send pending durable acks, close sockets with 1012, and close the server. Safe to call twice.
   */
  close(): Promise<void>;
}

/** How long a closing socket may take to finish its close handshake before it is cut. */
const CLOSE_GRACE_MS = 2000;

/**
 * Starts a relay. Every option has a default (see RelayOptions); configuration errors reject with a
 * ConfigError before anything listens.
 */
export const startRelay = async (input: Partial<RelayOptions> = {}): Promise<RunningRelay> => {
  const options = resolveOptions(input);
  const log = options.logger ?? createLogger(options.logLevel);
  const metrics = createMetrics();

  let jwt = options.jwt;
  let devSecret: Uint8Array | undefined;
  if (options.devMode) {
    devSecret = new Uint8Array(randomBytes(32));
    jwt = { ...jwt, secret: devSecret };
    log.warn(
      '!!! DEV MODE: no JWT key configured. A random secret was generated and POST /dev/token mints tokens for anyone. ' +
        'Never expose this relay; configure --jwt-secret-file, --jwt-public-key-file or --jwks-url for real use. !!!',
    );
  }
  const verifyToken = createTokenVerifier(jwt);

  let releaseLock: (() => void) | undefined;
  // Web Push keeps its keys and subscriptions in the relay's own data directory (none in cluster mode or with a custom backend).
  const pushDataDir = options.backend === undefined && options.cluster === undefined ? options.dataDir : undefined;
  const pushKeys = loadPushKeys(options.push, pushDataDir);
  if (options.backend === undefined && options.cluster === undefined) {
    mkdirSync(options.dataDir, { recursive: true });
    releaseLock = acquireDataDirLock(options.dataDir);
  }
  // Cluster mode (docs/cluster.md) when Redis and PostgreSQL are configured; else one process on local disk.
  const backend =
    options.backend ??
    (options.cluster
      ? await createClusterBackend({
          redisUrl: options.cluster.redisUrl,
          postgresUrl: options.cluster.postgresUrl,
          prefix: options.cluster.prefix,
          minLifetimeMs: options.cluster.trimGraceMs,
          log,
        })
      : createDiskBackend(options.dataDir, (seconds) => metrics.persistSeconds.observe(seconds)));
  // Disk mode: first connections list conversations in a journal, not in account documents loaded for it
  // (membership/listing-journal.ts). Cluster mode and custom backends write account documents directly.
  const listings =
    options.backend === undefined && options.cluster === undefined
      ? await openListingJournal(options.dataDir, log, options.membership.pendingListings).catch((error: unknown) => {
          releaseLock?.();
          throw error;
        })
      : undefined;
  const tracker = backend.kind === 'cluster' ? startInstanceTracker({ bus: backend.bus, instanceId: backend.instanceId }) : undefined;
  // The guard consults the blob service, which needs the rooms: it is made once both exist.
  let checkUpdate: CheckUpdate | undefined;
  const rooms = createRoomManager({
    backend,
    tracker,
    check: (input) => checkUpdate!(input),
    metrics,
    log,
    compactLogBytes: options.compactLogBytes,
    idleUnloadMs: options.idleUnloadMs,
    clientIds: createClientIdBudget(options.limits),
    ...(listings ? { prepare: createListingApplier(listings, log) } : {}),
  });

  const blobDirs = blobPaths(options.dataDir);
  const blobs = createBlobService({
    // Cluster mode: the shared PostgreSQL store, so a file uploaded through one relay is read through any.
    store: options.blobStore ?? backend.blobStore ?? createDiskBlobStore(blobDirs.root),
    limits: options.blobs,
    stagingDir: blobDirs.staging,
    urlSecret: options.blobUrlSecret ?? new Uint8Array(randomBytes(32)),
    references: roomReferences(rooms),
    ...(backend.kind === 'cluster' ? { announce: (room: string, change: Parameters<typeof announceBlob>[2]) => announceBlob(backend, room, change) } : {}),
    log,
  });
  await blobs.init();
  blobs.start();
  // Cluster mode: the guard asks the room's blob index, kept from the announcements in its log, never the store:
  // every relay then judges every log entry alike, in log order (storage/room-blob-index.ts).
  const clusterBlobs = { describe: (_room: string, id: string, doc: Y.Doc) => blobIndexOf(doc)?.get(id) };
  checkUpdate = options.checkUpdate ?? createConversationGuard({ blobs: backend.kind === 'cluster' ? clusterBlobs : blobs });

  const inviteSecret = options.membership.inviteSecret;
  const membership = createMembership({
    rooms,
    verifyToken,
    log,
    creation: options.membership.creation ?? 'claims',
    ...(listings ? { listings } : {}),
    inviteSecret:
      inviteSecret === undefined
        ? options.backend === undefined ? loadInviteSecret(options.dataDir) : new Uint8Array(randomBytes(32))
        : typeof inviteSecret === 'string' ? new TextEncoder().encode(inviteSecret) : inviteSecret,
  });

  const push = startPush({
    options: options.push,
    keys: pushKeys,
    dataDir: pushDataDir,
    rooms,
    verifyToken,
    metrics,
    log,
  });
  const connected: typeof membership.connected = (room, peer, grant, role) => {
    membership.connected(room, peer, grant, role);
    push.connected(room, peer);
  };

  let accepting = true;
  const upgrades = createUpgradeHandler({
    verifyToken,
    rooms,
    limits: options.limits,
    metrics,
    log,
    checkUpdate,
    membership: { ...membership, connected },
    accepting: () => accepting,
  });
  metrics.gauge('parley_connections', 'Open, authenticated WebSocket connections.', () => upgrades.connections);
  metrics.gauge('parley_rooms_loaded', 'Rooms held in memory.', () => rooms.loaded);
  if (listings) metrics.gauge('parley_pending_listings', 'Conversation listings journaled for account documents not yet loaded.', () => listings.pending);
  metrics.gauge('parley_blob_bytes', 'Attachment bytes stored, plus bytes reserved by uploads in progress.', () => blobs.totals().bytes);
  metrics.gauge('parley_blob_uploads_in_progress', 'Attachment uploads started and not yet finished.', () => blobs.totals().uploads);

  const app = createHttpApp({
    verifyToken,
    rooms,
    metrics,
    log,
    jwt,
    devSecret,
    blobs,
    staticDir: options.staticDir,
    // Not ready while writes cannot be made durable (cluster mode: Redis or PostgreSQL unreachable).
    ready: () => accepting && backend.healthy(),
    membershipRoutes: membership.routes,
    pushRoutes: push.routes,
    deleteRoom: (name) => membership.deleteRoom(name),
  });
  const server = createAdaptorServer({ fetch: app.fetch, serverOptions: serverTimeouts(options.limits) }) as Server;
  const gate = gateConnections(server, options.limits, metrics);
  metrics.gauge('parley_tcp_connections', 'Open TCP connections (HTTP and WebSocket).', () => gate.open);
  metrics.gauge('parley_pending_sockets', 'TCP connections still sending their request headers.', () => gate.pending);
  metrics.gauge('parley_pending_socket_addresses', 'Remote addresses with connections still sending their request headers.', () => gate.pendingAddresses);
  server.on('upgrade', upgrades.handle);

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    push.close();
    releaseLock?.();
    tracker?.stop();
    await listings?.close();
    await backend.close().catch(() => {});
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${hostForUrl}:${port}`;
  log.info({ url, storage: backend.kind, dataDir: backend.kind === 'disk' ? options.dataDir : undefined, devMode: options.devMode }, 'relay listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      accepting = false;
      log.info('relay shutting down: flushing rooms');
      server.close();
      push.close();
      await blobs.stop();
      // Flushes and compacts each room, sends final acks, then closes its sockets with 1012.
      await rooms.closeAll();
      await listings?.close();
      upgrades.closeMultiplexed();
      tracker?.stop();
      await backend.close();
      // Give clients a moment to answer the close frame, then cut whatever is left.
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (upgrades.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      upgrades.terminateAll();
      server.closeAllConnections();
      releaseLock?.();
      log.info('relay stopped');
    })());

  return { port, url, devMode: options.devMode, close };
};
