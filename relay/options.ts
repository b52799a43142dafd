// Relay configuration: option types, embedded defaults, and validation that fails at start with a clear message.
import type { Logger } from 'pino';
import type { CheckUpdate } from './write-check.js';
import type { StorageBackend } from './storage/seams.js';
import { resolveBlobLimits, type BlobLimits } from './blobs/blob-limits.js';
import type { BlobStore } from './blobs/blob-store.js';
import type { MembershipOptions } from './membership/index.js';
import { resolvePushOptions, type PushOptions } from './push/push-options.js';

/** How tokens are verified. Exactly one key source may be configured; none means dev mode. */
export interface JwtOptions {
  /** HS256 shared secret (at least 32 bytes). */
  secret?: string | Uint8Array;
  /** PEM-encoded SPKI public key (RSA → RS256, EC P-256 → ES256, Ed25519 → EdDSA). */
  publicKeyPem?: string;
  /** JWKS endpoint for RS256/ES256/EdDSA keys. */
  jwksUrl?: string;
  /** Required `iss` claim, when set. */
  issuer?: string;
  /** Required `aud` claim, when set. */
  audience?: string;
  /** Clock skew tolerated on `exp`/`nbf`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
}

/** Per-connection and per-user limits. Every field has a default. */
export interface RelayLimits {
  /** Largest accepted WebSocket frame, in bytes (default 1 MiB). Larger frames close with 4413. */
  maxFrameBytes: number;
  /**
   * Size of the pieces a catch-up (the answer to a sync step 1) is sent in (default 1 MiB): a larger one is cut
   * into updates of about this size, each applicable on arrival, produced as the socket drains (catch-up.ts).
   * Only a single struct larger than this (at most a frame the relay accepted) exceeds it.
   */
  maxSyncFrameBytes: number;
  /** Sustained messages per second per connection (token bucket refill rate). */
  messagesPerSecond: number;
  /** Message bucket size: the burst a connection may send at once. */
  messageBurst: number;
  /** Sustained bytes per second per connection. */
  bytesPerSecond: number;
  /** Byte bucket size (must be at least maxFrameBytes). */
  byteBurst: number;
  /** Sync step 1 requests (each answered with a document diff) allowed per connection per minute, after a burst of 10. */
  syncRequestsPerMinute: number;
  /** Simultaneous connections per user (token `sub`), across rooms. */
  connectionsPerUser: number;
  /**
   * Bytes allowed to wait in one socket's send queue before it is closed as a slow consumer (4429). Catch-ups and
   * durable acks do not count (see send-queue.ts); the socket's own buffer holds at most a quarter of this (≤ 1 MiB)
   * plus one catch-up piece.
   */
  maxBufferedBytes: number;
  /** Upgrades waiting for token verification or room load at once; more are refused with HTTP 503. */
  maxPendingUpgrades: number;
  /** Longest a connection may stay unauthenticated/loading before it is dropped, in ms. */
  upgradeTimeoutMs: number;
  /** New Yjs client ids one connection may write with (a page uses one per session; an offline backlog a few). */
  newClientIdsPerConnection: number;
  /** New Yjs client ids one user may introduce per hour across rooms (token bucket); beyond it writes close with 4429. */
  newClientIdsPerUserPerHour: number;
  /** How often every WebSocket is pinged, in ms (default 30 s). */
  heartbeatIntervalMs: number;
  /** Consecutive pings left unanswered before the socket is cut (default 2: a dead peer goes within 60–90 s). */
  heartbeatMisses: number;
  /** Open TCP connections (HTTP and WebSocket) at once; more are answered 503 and closed (default 4096; keep below `ulimit -n`). */
  maxConnections: number;
  /** TCP connections that have not yet sent complete request headers; more are answered 503 and closed (default 256). */
  maxPendingSockets: number;
  /**
   * TCP connections from one remote address that have not yet sent complete request headers; more are answered 503
   * and closed (default 16; 0 = no per-address cap). The address is the TCP peer's (X-Forwarded-For is never
   * trusted), so behind a reverse proxy, where every client shares the proxy's address, raise it or set 0.
   */
  maxPendingSocketsPerIp: number;
  /** Longest a client may take to send its request headers, in ms (default 10 s; slowloris). */
  headersTimeoutMs: number;
  /** Largest awareness state (its JSON) one client may publish, in bytes (default 4096); larger ones are dropped. */
  maxAwarenessStateBytes: number;
  /** `/sync`: documents attached to one socket at once (default 1000); more are refused 4429. */
  muxDocsPerSocket: number;
  /** `/sync`: attaches per socket per minute after a burst of `muxDocsPerSocket` (default 600); more are refused 4429. */
  muxAttachesPerMinute: number;
  /** `/sync`: messages per second per socket over all its documents (burst 5×; default 1000); more close the socket 4429. Each document also has the per-room budgets. */
  muxMessagesPerSecond: number;
  /** `/sync`: bytes per second per socket over all its documents (burst 4×, at least byteBurst; default 8 MiB). */
  muxBytesPerSecond: number;
}

/** Cluster mode: several relays share rooms through Redis (room logs, bus) and PostgreSQL (snapshots). See docs/cluster.md. */
export interface ClusterOptions {
  /** `redis://[:password@]host:port[/db]`; Redis must run with `appendonly yes` and `appendfsync always`. */
  redisUrl: string;
  /** `postgres://user:password@host:port/database`. */
  postgresUrl: string;
  /** Prefix of every Redis key and channel. Default `parley:`. */
  prefix?: string;
  /** Log entries younger than this are kept by compaction for lagging instances. Default 60 s. */
  trimGraceMs?: number;
}

/** Everything `startRelay` accepts. All fields are optional there (see `startRelay`). */
export interface RelayOptions {
  /** TCP port; 0 lets the OS choose (read it back from `RunningRelay.port`). Default 8787. */
  port: number;
  /** Interface to bind. Default 127.0.0.1 (local only); use 0.0.0.0 behind a TLS proxy. */
  host: string;
  /** Directory for room data. Default ./data. */
  dataDir: string;
  /** Token verification. */
  jwt: JwtOptions;
  /** Dev mode: generated secret and `POST /dev/token`. Defaults to on exactly when no key is configured; never allowed with a key. */
  devMode: boolean;
  /** Limits; missing fields take defaults. */
  limits: Partial<RelayLimits>;
  /** A room with no connections is flushed and unloaded after this many ms. Default 30 s. */
  idleUnloadMs: number;
  /** Log level: fatal, error, warn, info, debug, trace or silent. Default info. */
  logLevel: string;
  /** A ready pino logger to use instead of creating one (logLevel is then ignored). */
  logger?: Logger;
  /** Directory of the built web app, served at `/` when it exists. */
  staticDir?: string;
  /** Write-check hook called before any incoming update is applied, stored or forwarded (see write-check.ts). Default: the conversation guard (update-guard.ts); `readOnlyCheck` for rooms that are not Parley conversations. */
  checkUpdate?: CheckUpdate;
  /** A ready storage backend (storage/seams.ts) to use instead of the disk one or `cluster`. */
  backend?: StorageBackend;
  /** Compact a room (snapshot + empty log) once its log exceeds this many bytes. Default 4 MiB. */
  compactLogBytes: number;
  /** Attachment limits (per file, per user, per room, URL lifetime, collection); missing fields take defaults (blobs/blob-limits.ts). */
  blobs: Partial<BlobLimits>;
  /** Blob storage backend. Default: files under dataDir/blobs. */
  blobStore?: BlobStore;
  /** Key for signed blob URLs (at least 32 bytes; share it between instances). Default: random per start. */
  blobUrlSecret?: Uint8Array;
  /** Cluster mode (Redis + PostgreSQL) instead of one process on local disk. Default: off. */
  cluster?: ClusterOptions;
  /** Conversation creation policy and invite-link secret (see docs/membership.md). */
  membership: MembershipOptions;
  /** Web Push: on by default with generated VAPID keys; `{ enabled: false }` turns it off (see docs/push.md). */
  push: Partial<PushOptions>;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: 1024 * 1024,
  maxSyncFrameBytes: 1024 * 1024,
  messagesPerSecond: 100,
  messageBurst: 500,
  bytesPerSecond: 2 * 1024 * 1024,
  byteBurst: 8 * 1024 * 1024,
  syncRequestsPerMinute: 60,
  connectionsPerUser: 32,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxPendingUpgrades: 1024,
  upgradeTimeoutMs: 10_000,
  newClientIdsPerConnection: 16,
  newClientIdsPerUserPerHour: 120,
  heartbeatIntervalMs: 30_000,
  heartbeatMisses: 2,
  maxConnections: 4096,
  maxPendingSockets: 256,
  maxPendingSocketsPerIp: 16,
  headersTimeoutMs: 10_000,
  maxAwarenessStateBytes: 4096,
  muxDocsPerSocket: 1000,
  muxAttachesPerMinute: 600,
  muxMessagesPerSecond: 1000,
  muxBytesPerSecond: 8 * 1024 * 1024,
};

/** Options after defaults and validation. */
export interface ResolvedOptions {
  port: number;
  host: string;
  dataDir: string;
  jwt: JwtOptions;
  devMode: boolean;
  limits: RelayLimits;
  idleUnloadMs: number;
  logLevel: string;
  logger: Logger | undefined;
  staticDir: string | undefined;
  checkUpdate: CheckUpdate | undefined;
  backend: StorageBackend | undefined;
  compactLogBytes: number;
  blobs: BlobLimits;
  blobStore: BlobStore | undefined;
  blobUrlSecret: Uint8Array | undefined;
  cluster: ClusterOptions | undefined;
  membership: MembershipOptions;
  push: PushOptions;
}

/** Raised for configuration that cannot work; its message is meant for the person starting the relay. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const positiveInt = (name: string, value: number, min = 1): number => {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer ≥ ${min} (got ${String(value)})`);
  }
  return value;
};

/** Whether any verification key is configured. */
export const hasKey = (jwt: JwtOptions): boolean =>
  jwt.secret !== undefined || jwt.publicKeyPem !== undefined || jwt.jwksUrl !== undefined;

/** Applies defaults and checks every option; throws ConfigError with a readable message. */
export const resolveOptions = (input: Partial<RelayOptions>): ResolvedOptions => {
  const jwt = { ...(input.jwt ?? {}) };
  const keySources = [jwt.secret, jwt.publicKeyPem, jwt.jwksUrl].filter((k) => k !== undefined).length;
  if (keySources > 1) {
    throw new ConfigError('configure only one of: JWT secret, public key, JWKS URL');
  }
  if (jwt.secret !== undefined) {
    const length = typeof jwt.secret === 'string' ? Buffer.byteLength(jwt.secret) : jwt.secret.byteLength;
    if (length < 32) throw new ConfigError('the JWT secret must be at least 32 bytes (256 bits) long');
  }
  if (jwt.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(jwt.jwksUrl);
    } catch {
      throw new ConfigError(`the JWKS URL is not a valid URL: ${jwt.jwksUrl}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError('the JWKS URL must use https: (or http: for local testing)');
    }
  }
  if (jwt.clockToleranceSeconds !== undefined) {
    positiveInt('jwt.clockToleranceSeconds', jwt.clockToleranceSeconds, 0);
  }
  const keyed = hasKey(jwt);
  if (input.devMode === true && keyed) {
    throw new ConfigError('dev mode cannot be enabled while a JWT key is configured');
  }
  const devMode = input.devMode ?? !keyed;
  if (!devMode && !keyed) {
    throw new ConfigError('no JWT key configured: set a secret, a public key file or a JWKS URL (or use dev mode)');
  }

  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...(input.limits ?? {}) };
  // Every limit is a positive integer, except the per-address pre-header cap, where 0 switches it off.
  for (const [name, value] of Object.entries(limits)) positiveInt(`limits.${name}`, value, name === 'maxPendingSocketsPerIp' ? 0 : 1);
  if (limits.byteBurst < limits.maxFrameBytes) {
    throw new ConfigError('limits.byteBurst must be at least limits.maxFrameBytes, or a maximal frame could never pass');
  }

  const port = input.port ?? 8787;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`port must be an integer between 0 and 65535 (got ${String(port)})`);
  }
  const host = input.host ?? '127.0.0.1';
  if (host.length === 0) throw new ConfigError('host must not be empty');
  const dataDir = input.dataDir ?? './data';
  if (dataDir.length === 0) throw new ConfigError('dataDir must not be empty');
  const logLevel = input.logLevel ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) {
    throw new ConfigError(`log level must be one of ${[...LOG_LEVELS].join(', ')} (got ${logLevel})`);
  }
  return {
    port,
    host,
    dataDir,
    jwt,
    devMode,
    limits,
    idleUnloadMs: positiveInt('idleUnloadMs', input.idleUnloadMs ?? 30_000),
    logLevel,
    logger: input.logger,
    staticDir: input.staticDir,
    checkUpdate: input.checkUpdate,
    backend: input.backend,
    compactLogBytes: positiveInt('compactLogBytes', input.compactLogBytes ?? 4 * 1024 * 1024),
    ...resolveBlobOptions(input),
    cluster: resolveCluster(input.cluster),
    membership: resolveMembership(input.membership ?? {}, devMode),
    push: resolvePush(input.push),
  };
};

/** The attachment options, checked. */
const resolveBlobOptions = (input: Partial<RelayOptions>): Pick<ResolvedOptions, 'blobs' | 'blobStore' | 'blobUrlSecret'> => {
  let blobs: BlobLimits;
  try {
    blobs = resolveBlobLimits(input.blobs);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  if (input.blobUrlSecret !== undefined && input.blobUrlSecret.byteLength < 32) throw new ConfigError('blobUrlSecret must be at least 32 bytes');
  return { blobs, blobStore: input.blobStore, blobUrlSecret: input.blobUrlSecret };
};

/** Checks the cluster URLs' shape (never echoing them: they may hold passwords). */
const resolveCluster = (cluster: ClusterOptions | undefined): ClusterOptions | undefined => {
  if (cluster === undefined) return undefined;
  const check = (name: string, value: string, protocols: string[]) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError(`the ${name} URL is not a valid URL`);
    }
    if (!protocols.includes(url.protocol)) throw new ConfigError(`the ${name} URL must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  };
  check('Redis', cluster.redisUrl, ['redis:', 'rediss:']);
  check('PostgreSQL', cluster.postgresUrl, ['postgres:', 'postgresql:']);
  if (cluster.prefix !== undefined && !/^[A-Za-z0-9:_-]{1,64}$/.test(cluster.prefix)) {
    throw new ConfigError('the cluster key prefix must be 1–64 characters of [A-Za-z0-9:_-]');
  }
  if (cluster.trimGraceMs !== undefined) positiveInt('cluster.trimGraceMs', cluster.trimGraceMs, 0);
  return cluster;
};

/** Push options, checked (relay/push/push-options.ts). */
const resolvePush = (input: Partial<PushOptions> | undefined): PushOptions => {
  try {
    return resolvePushOptions(input);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
};

/** Membership defaults: creation open in dev mode, limited to token claims otherwise; an invite secret of ≥ 32 bytes. */
function resolveMembership(input: MembershipOptions, devMode: boolean): MembershipOptions {
  const creation = input.creation ?? (devMode ? 'open' : 'claims');
  if (creation !== 'open' && creation !== 'claims') throw new ConfigError(`membership.creation must be open or claims (got ${String(creation)})`);
  if (input.inviteSecret !== undefined) {
    const length = typeof input.inviteSecret === 'string' ? Buffer.byteLength(input.inviteSecret) : input.inviteSecret.byteLength;
    if (length < 32) throw new ConfigError('membership.inviteSecret must be at least 32 bytes long');
  }
  for (const [key, value] of Object.entries(input.pendingListings ?? {})) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new ConfigError(`membership.pendingListings.${key} must be a positive integer (got ${String(value)})`);
  }
  return { ...input, creation };
}
