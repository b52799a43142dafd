// Turns parley-relay's command-line flags and environment variables into relay options.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, type RelayOptions } from './options.js';
import type { PushOptions } from './push/push-options.js';

export const HELP = `Usage: parley-relay [options]

Runs the Parley relay: an authenticated y-websocket relay with crash-safe storage on disk.
Every option can also be given as an environment variable (flags win).

  --port <n>                  PORT                     TCP port (default 8787; 0 = any free port)
  --host <addr>               HOST                     interface to bind (default 127.0.0.1, local only;
                                                       use 0.0.0.0 behind a TLS-terminating proxy)
  --data-dir <dir>            PARLEY_DATA_DIR          room data directory (default ./data)
  --jwt-secret <s>            PARLEY_JWT_SECRET        HS256 secret, at least 32 bytes (prefer the file form:
                                                       a flag is visible to other local users in the process list)
  --jwt-secret-file <path>    PARLEY_JWT_SECRET_FILE   file holding the HS256 secret (trailing newline ignored)
  --jwt-public-key-file <p>   PARLEY_JWT_PUBLIC_KEY_FILE  PEM public key: RSA (RS256), P-256 (ES256), Ed25519 (EdDSA)
  --jwks-url <url>            PARLEY_JWKS_URL          JWKS endpoint for RS256/ES256/EdDSA keys
  --issuer <iss>              PARLEY_JWT_ISSUER        required "iss" claim
  --audience <aud>            PARLEY_JWT_AUDIENCE      required "aud" claim
  --static-dir <dir>          PARLEY_STATIC_DIR        web app to serve at / (default: dist/web of the package)
  --idle-unload-seconds <n>   PARLEY_IDLE_UNLOAD_SECONDS  unload rooms idle this long (default 30)
  --creation <open|claims>    PARLEY_CREATION          who may create conversations (default: open in dev mode, else claims)
  --max-frame-bytes <n>       PARLEY_MAX_FRAME_BYTES   largest accepted frame (default 1048576)
  --connections-per-user <n>  PARLEY_CONNECTIONS_PER_USER  simultaneous connections per user (default 32)
  --messages-per-second <n>   PARLEY_MESSAGES_PER_SECOND   sustained messages/s per connection (default 100)
  --compact-log-bytes <n>     PARLEY_COMPACT_LOG_BYTES    compact a room once its log exceeds this (default 4194304)
  --redis-url <url>           PARLEY_REDIS_URL         cluster mode: Redis for room logs and the bus (with
                                                       appendonly yes + appendfsync always; see docs/cluster.md)
  --postgres-url <url>        PARLEY_POSTGRES_URL      cluster mode: PostgreSQL for snapshots (give both URLs;
                                                       prefer the environment: URLs may hold passwords)
  --stream-trim-grace-seconds <n>  PARLEY_STREAM_TRIM_GRACE_SECONDS  cluster: keep log entries this long
                                                       after compaction, for lagging relays (default 60)
  --heartbeat-seconds <n>     PARLEY_HEARTBEAT_SECONDS  ping every WebSocket this often (default 30)
  --heartbeat-misses <n>      PARLEY_HEARTBEAT_MISSES   cut a socket after this many unanswered pings in a row (default 2)
  --max-connections <n>       PARLEY_MAX_CONNECTIONS    open TCP connections at once, HTTP and WebSocket; more get
                                                       503 and are closed (default 4096; keep below ulimit -n)
  --max-pending-sockets <n>   PARLEY_MAX_PENDING_SOCKETS  connections still sending their request headers; more get
                                                       503 and are closed (default 256)
  --max-pending-sockets-per-ip <n>  PARLEY_MAX_PENDING_SOCKETS_PER_IP  the same, from one remote address (default 16;
                                                       0 = off; behind a reverse proxy all clients share its address:
                                                       raise it or set 0 there)
  --headers-timeout-seconds <n>  PARLEY_HEADERS_TIMEOUT_SECONDS  longest a client may take to send its headers (default 10)
  --max-awareness-bytes <n>   PARLEY_MAX_AWARENESS_BYTES  largest awareness state a client may publish (default 4096)
  --mux-docs-per-socket <n>   PARLEY_MUX_DOCS_PER_SOCKET  /sync: documents attached to one socket at once (default 1000)
  --mux-attaches-per-minute <n>  PARLEY_MUX_ATTACHES_PER_MINUTE  /sync: attaches per socket per minute (default 600)
  --mux-messages-per-second <n>  PARLEY_MUX_MESSAGES_PER_SECOND  /sync: messages/s per socket, all documents (default 1000)
  --mux-bytes-per-second <n>  PARLEY_MUX_BYTES_PER_SECOND  /sync: bytes/s per socket, all documents (default 8388608)
  --max-file-bytes <n>        PARLEY_MAX_FILE_BYTES    largest attachment (default 26214400 = 25 MiB)
  --user-quota-bytes <n>      PARLEY_USER_QUOTA_BYTES  attachment bytes per user, all rooms (default 1 GiB)
  --room-quota-bytes <n>      PARLEY_ROOM_QUOTA_BYTES  attachment bytes per room (default 2 GiB)
  --blob-url-ttl-seconds <n>  PARLEY_BLOB_URL_TTL_SECONDS  lifetime of signed attachment URLs (default 600)
  --blob-secret-file <path>   PARLEY_BLOB_SECRET_FILE  key for signed attachment URLs, ≥ 32 bytes (default: random
                                                       per start; share one between relay instances)
  --no-push                   PARLEY_PUSH=off          switch Web Push notifications off (on by default; docs/push.md)
  --vapid-subject <s>         PARLEY_VAPID_SUBJECT     contact for push services: mailto:you@example.org or an https URL
                                                       (default mailto:webpush@parley.invalid; Apple needs a real one)
  --vapid-public-key <k>      PARLEY_VAPID_PUBLIC_KEY  VAPID key pair, base64url (give both; default: generated on first
  --vapid-private-key-file <p>  PARLEY_VAPID_PRIVATE_KEY_FILE  start into <data-dir>/push/vapid-keys.json, mode 0600)
  --push-allow-origin <o>     PARLEY_PUSH_ALLOW_ORIGINS  also send pushes to this origin (https://host[:port] or
                                                       https://*.domain; repeatable; env: comma-separated)
  --log-level <level>         LOG_LEVEL                fatal|error|warn|info|debug|trace|silent (default info)
  -h, --help                                           show this help

With no key configured the relay runs in DEV MODE: it generates a random secret, warns loudly, and
POST /dev/token mints tokens for anyone. Dev mode is never on when a key is configured.
`;

const FLAGS = {
  port: { type: 'string', env: 'PORT' },
  host: { type: 'string', env: 'HOST' },
  'data-dir': { type: 'string', env: 'PARLEY_DATA_DIR' },
  'jwt-secret': { type: 'string', env: 'PARLEY_JWT_SECRET' },
  'jwt-secret-file': { type: 'string', env: 'PARLEY_JWT_SECRET_FILE' },
  'jwt-public-key-file': { type: 'string', env: 'PARLEY_JWT_PUBLIC_KEY_FILE' },
  'jwks-url': { type: 'string', env: 'PARLEY_JWKS_URL' },
  issuer: { type: 'string', env: 'PARLEY_JWT_ISSUER' },
  audience: { type: 'string', env: 'PARLEY_JWT_AUDIENCE' },
  'static-dir': { type: 'string', env: 'PARLEY_STATIC_DIR' },
  'idle-unload-seconds': { type: 'string', env: 'PARLEY_IDLE_UNLOAD_SECONDS' },
  creation: { type: 'string', env: 'PARLEY_CREATION' },
  'max-frame-bytes': { type: 'string', env: 'PARLEY_MAX_FRAME_BYTES' },
  'connections-per-user': { type: 'string', env: 'PARLEY_CONNECTIONS_PER_USER' },
  'messages-per-second': { type: 'string', env: 'PARLEY_MESSAGES_PER_SECOND' },
  'compact-log-bytes': { type: 'string', env: 'PARLEY_COMPACT_LOG_BYTES' },
  'redis-url': { type: 'string', env: 'PARLEY_REDIS_URL' },
  'postgres-url': { type: 'string', env: 'PARLEY_POSTGRES_URL' },
  'stream-trim-grace-seconds': { type: 'string', env: 'PARLEY_STREAM_TRIM_GRACE_SECONDS' },
  'heartbeat-seconds': { type: 'string', env: 'PARLEY_HEARTBEAT_SECONDS' },
  'heartbeat-misses': { type: 'string', env: 'PARLEY_HEARTBEAT_MISSES' },
  'max-connections': { type: 'string', env: 'PARLEY_MAX_CONNECTIONS' },
  'max-pending-sockets': { type: 'string', env: 'PARLEY_MAX_PENDING_SOCKETS' },
  'max-pending-sockets-per-ip': { type: 'string', env: 'PARLEY_MAX_PENDING_SOCKETS_PER_IP' },
  'headers-timeout-seconds': { type: 'string', env: 'PARLEY_HEADERS_TIMEOUT_SECONDS' },
  'max-awareness-bytes': { type: 'string', env: 'PARLEY_MAX_AWARENESS_BYTES' },
  'mux-docs-per-socket': { type: 'string', env: 'PARLEY_MUX_DOCS_PER_SOCKET' },
  'mux-attaches-per-minute': { type: 'string', env: 'PARLEY_MUX_ATTACHES_PER_MINUTE' },
  'mux-messages-per-second': { type: 'string', env: 'PARLEY_MUX_MESSAGES_PER_SECOND' },
  'mux-bytes-per-second': { type: 'string', env: 'PARLEY_MUX_BYTES_PER_SECOND' },
  'max-file-bytes': { type: 'string', env: 'PARLEY_MAX_FILE_BYTES' },
  'user-quota-bytes': { type: 'string', env: 'PARLEY_USER_QUOTA_BYTES' },
  'room-quota-bytes': { type: 'string', env: 'PARLEY_ROOM_QUOTA_BYTES' },
  'blob-url-ttl-seconds': { type: 'string', env: 'PARLEY_BLOB_URL_TTL_SECONDS' },
  'blob-secret-file': { type: 'string', env: 'PARLEY_BLOB_SECRET_FILE' },
  'vapid-subject': { type: 'string', env: 'PARLEY_VAPID_SUBJECT' },
  'vapid-public-key': { type: 'string', env: 'PARLEY_VAPID_PUBLIC_KEY' },
  'vapid-private-key-file': { type: 'string', env: 'PARLEY_VAPID_PRIVATE_KEY_FILE' },
  'log-level': { type: 'string', env: 'LOG_LEVEL' },
} as const;

type FlagName = keyof typeof FLAGS;
/** The relay limits a flag can set to a number. */
type NumericLimit = keyof NonNullable<RelayOptions['limits']>;

/** What the command line asked for: run with options, or print help. */
export type CliCommand = { help: true } | { help: false; options: Partial<RelayOptions> };

const integer = (flag: string, text: string): number => {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`--${flag} must be a whole number (got "${text}")`);
  return Number.parseInt(text, 10);
};

/** A whole number of at least 1 (a limit of 0 would refuse everything). */
const positive = (flag: string, text: string): number => {
  const n = integer(flag, text);
  if (n < 1 || !Number.isSafeInteger(n)) throw new ConfigError(`--${flag} must be a whole number of at least 1 (got "${text}")`);
  return n;
};

/** Flags that set one limit each: the flag, the limit, its parser, and a multiplier (seconds → milliseconds). */
const LIMIT_FLAGS: ReadonlyArray<readonly [FlagName, NumericLimit, (flag: string, text: string) => number, number]> = [
  ['connections-per-user', 'connectionsPerUser', integer, 1],
  ['heartbeat-seconds', 'heartbeatIntervalMs', integer, 1000],
  ['heartbeat-misses', 'heartbeatMisses', integer, 1],
  ['max-connections', 'maxConnections', integer, 1],
  ['max-pending-sockets', 'maxPendingSockets', integer, 1],
  ['max-pending-sockets-per-ip', 'maxPendingSocketsPerIp', integer, 1],
  ['headers-timeout-seconds', 'headersTimeoutMs', integer, 1000],
  ['max-awareness-bytes', 'maxAwarenessStateBytes', integer, 1],
  ['mux-docs-per-socket', 'muxDocsPerSocket', positive, 1],
  ['mux-attaches-per-minute', 'muxAttachesPerMinute', positive, 1],
  ['mux-messages-per-second', 'muxMessagesPerSecond', positive, 1],
  ['mux-bytes-per-second', 'muxBytesPerSecond', positive, 1],
];

const readText = (flag: string, path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`--${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
};

/** Parses flags (winning) and environment variables. Throws ConfigError with a readable message. */
export const parseCli = (argv: string[], env: NodeJS.ProcessEnv, defaults: { staticDir?: string } = {}): CliCommand => {
  let parsed: ReturnType<typeof parseArgs<{ options: Record<FlagName | 'help', { type: 'string' | 'boolean'; short?: string }>; strict: true; allowPositionals: false }>>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
        'no-push': { type: 'boolean' },
        'push-allow-origin': { type: 'string', multiple: true },
        // Read through `parsed.values` as unknown (pushOptions): parseArgs' type for the other flags has no arrays.
      } as unknown as Record<FlagName | 'help', { type: 'string' | 'boolean'; short?: string }>,
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message} (see --help)`);
  }
  if (parsed.values.help === true) return { help: true };
  const value = (name: FlagName): string | undefined => {
    const flag = parsed.values[name];
    if (typeof flag === 'string') return flag;
    const fromEnv = env[FLAGS[name].env];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };

  const options: Partial<RelayOptions> = {};
  const port = value('port');
  if (port !== undefined) options.port = integer('port', port);
  const host = value('host');
  if (host !== undefined) options.host = host;
  const dataDir = value('data-dir');
  if (dataDir !== undefined) options.dataDir = dataDir;

  const secret = value('jwt-secret');
  const secretFile = value('jwt-secret-file');
  const publicKeyFile = value('jwt-public-key-file');
  const jwksUrl = value('jwks-url');
  const sources = [secret, secretFile, publicKeyFile, jwksUrl].filter((v) => v !== undefined);
  if (sources.length > 1) {
    throw new ConfigError('give only one of --jwt-secret, --jwt-secret-file, --jwt-public-key-file, --jwks-url');
  }
  const jwt: RelayOptions['jwt'] = {};
  if (secret !== undefined) jwt.secret = secret;
  if (secretFile !== undefined) jwt.secret = readText('jwt-secret-file', secretFile).replace(/\r?\n$/, '');
  if (publicKeyFile !== undefined) jwt.publicKeyPem = readText('jwt-public-key-file', publicKeyFile);
  if (jwksUrl !== undefined) jwt.jwksUrl = jwksUrl;
  const issuer = value('issuer');
  if (issuer !== undefined) jwt.issuer = issuer;
  const audience = value('audience');
  if (audience !== undefined) jwt.audience = audience;
  options.jwt = jwt;

  const staticDir = value('static-dir') ?? defaults.staticDir;
  if (staticDir !== undefined) options.staticDir = staticDir;
  const creation = value('creation');
  if (creation !== undefined) {
    if (creation !== 'open' && creation !== 'claims') throw new ConfigError('--creation must be open or claims');
    options.membership = { creation };
  }
  const idle = value('idle-unload-seconds');
  if (idle !== undefined) options.idleUnloadMs = integer('idle-unload-seconds', idle) * 1000;
  const limits: RelayOptions['limits'] = {};
  const maxFrame = value('max-frame-bytes');
  if (maxFrame !== undefined) {
    limits.maxFrameBytes = integer('max-frame-bytes', maxFrame);
    limits.byteBurst = Math.max(limits.maxFrameBytes * 8, 8 * 1024 * 1024);
  }
  const rate = value('messages-per-second');
  if (rate !== undefined) {
    limits.messagesPerSecond = integer('messages-per-second', rate);
    limits.messageBurst = Math.max(limits.messagesPerSecond * 5, 1);
  }
  for (const [flag, key, parse, scale] of LIMIT_FLAGS) {
    const text = value(flag);
    if (text !== undefined) limits[key] = parse(flag, text) * scale;
  }
  options.limits = limits;
  const blobs: RelayOptions['blobs'] = {};
  const maxFile = value('max-file-bytes');
  if (maxFile !== undefined) blobs.maxFileBytes = integer('max-file-bytes', maxFile);
  const userQuota = value('user-quota-bytes');
  if (userQuota !== undefined) blobs.userQuotaBytes = integer('user-quota-bytes', userQuota);
  const roomQuota = value('room-quota-bytes');
  if (roomQuota !== undefined) blobs.roomQuotaBytes = integer('room-quota-bytes', roomQuota);
  const urlTtl = value('blob-url-ttl-seconds');
  if (urlTtl !== undefined) blobs.urlTtlSeconds = integer('blob-url-ttl-seconds', urlTtl);
  options.blobs = blobs;
  const blobSecretFile = value('blob-secret-file');
  if (blobSecretFile !== undefined) {
    options.blobUrlSecret = new TextEncoder().encode(readText('blob-secret-file', blobSecretFile).replace(/\r?\n$/, ''));
  }
  const compact = value('compact-log-bytes');
  if (compact !== undefined) options.compactLogBytes = integer('compact-log-bytes', compact);
  const redisUrl = value('redis-url');
  const postgresUrl = value('postgres-url');
  if ((redisUrl === undefined) !== (postgresUrl === undefined)) {
    throw new ConfigError('cluster mode needs both --redis-url and --postgres-url (or PARLEY_REDIS_URL and PARLEY_POSTGRES_URL)');
  }
  if (redisUrl !== undefined && postgresUrl !== undefined) {
    options.cluster = { redisUrl, postgresUrl };
    const grace = value('stream-trim-grace-seconds');
    if (grace !== undefined) options.cluster.trimGraceMs = integer('stream-trim-grace-seconds', grace) * 1000;
  }
  options.push = pushOptions(parsed.values as Record<string, unknown>, env, value);
  const logLevel = value('log-level');
  if (logLevel !== undefined) options.logLevel = logLevel;
  return { help: false, options };
};

/** The Web Push flags: --no-push, --vapid-*, --push-allow-origin (repeatable). */
function pushOptions(values: Record<string, unknown>, env: NodeJS.ProcessEnv, value: (name: FlagName) => string | undefined): Partial<PushOptions> {
  const push: Partial<PushOptions> = {};
  const envPush = (env.PARLEY_PUSH ?? '').trim().toLowerCase();
  if (envPush !== '' && envPush !== 'on' && envPush !== 'off') throw new ConfigError('PARLEY_PUSH must be on or off');
  if (values['no-push'] === true || envPush === 'off') push.enabled = false;
  const subject = value('vapid-subject');
  if (subject !== undefined) push.subject = subject;
  const publicKey = value('vapid-public-key');
  const privateKeyFile = value('vapid-private-key-file');
  if ((publicKey === undefined) !== (privateKeyFile === undefined)) {
    throw new ConfigError('give both --vapid-public-key and --vapid-private-key-file (or neither: keys are then generated)');
  }
  if (publicKey !== undefined && privateKeyFile !== undefined) {
    push.vapidKeys = { publicKey: publicKey.trim(), privateKey: readText('vapid-private-key-file', privateKeyFile).trim() };
  }
  const flagged = values['push-allow-origin'];
  const origins = Array.isArray(flagged) && flagged.length > 0
    ? (flagged as string[])
    : (env.PARLEY_PUSH_ALLOW_ORIGINS ?? '').split(/[\s,]+/).filter((o) => o !== '');
  if (origins.length > 0) push.allowOrigins = origins;
  return push;
}
