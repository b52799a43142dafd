// The four servers compared: how to start each and how a benchmark client joins one of its rooms.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type * as Y from 'yjs';
import type { BenchClient } from './clients/bench-client.js';
import { openHocuspocusClient } from './clients/hocuspocus-client.js';
import { openSyncClient } from './clients/sync-client.js';
import { startServer, type ServerHandle, type StartOptions } from './server-process.js';

export type TargetId = 'parley' | 'y-websocket' | 'hocuspocus' | 'raw-ws';

export interface Target {
  id: TargetId;
  /** Label in tables and charts. */
  label: string;
  /** One line on what runs and how it is configured. */
  settings: string;
  /** Whether the server holds the document (the raw floor only forwards frames). */
  holdsDocument: boolean;
}

export const TARGETS: readonly Target[] = [
  {
    id: 'parley',
    label: 'Parley',
    settings:
      'relay/index.ts startRelay, production settings: JWT auth on (HS256, one user per connection), write check on (the relay default checkUpdate hook, i.e. startRelay without a checkUpdate option), ' +
      'durable append-only log on disk with fsync group commit; per-connection rate limits raised for the benchmark (messages/s and bytes/s), the per-address pre-auth cap off (every client is 127.0.0.1), every other limit at its default',
    holdsDocument: true,
  },
  {
    id: 'y-websocket',
    label: 'y-websocket 1.5.4',
    settings: 'y-websocket@1.5.4 bin/utils setupWSConnection on a ws server; in memory, no auth, no persistence (its defaults)',
    holdsDocument: true,
  },
  {
    id: 'hocuspocus',
    label: 'Hocuspocus 4',
    settings: '@hocuspocus/server 4.x Server with defaults; in memory, no auth hook, no storage extension; clients use @hocuspocus/provider',
    holdsDocument: true,
  },
  {
    id: 'raw-ws',
    label: 'raw ws floor',
    settings: 'ws server forwarding each binary frame to the other sockets of the room; no document, no auth',
    holdsDocument: false,
  },
];

const SCRIPTS: Record<TargetId, string> = {
  parley: 'parley-server.ts',
  'y-websocket': 'y-websocket-server.ts',
  hocuspocus: 'hocuspocus-server.ts',
  'raw-ws': 'raw-server.ts',
};

/** A running server of one target, with a client factory for its rooms. */
export interface RunningTarget {
  target: Target;
  server: ServerHandle;
  /**
   * Opens a client on `room` as user `user` (only Parley checks who the user is); `receiveOnly` makes a floor
   * client passive; `freshToken` gives Parley a token it has not verified before.
   */
  connect(room: string, user: string, doc?: Y.Doc, receiveOnly?: boolean, freshToken?: boolean): Promise<BenchClient>;
  stop(): Promise<void>;
}

const SECRET = randomBytes(32).toString('hex');
const secretKey = new TextEncoder().encode(SECRET);

/**
 * Mints a Parley token: write access to every room, valid for two hours. Tokens minted for one user within one
 * second are identical (the relay then finds them verified already); `fresh` adds a random `jti` so that the
 * relay verifies it.
 */
export const mintToken = (user: string, fresh = false): Promise<string> =>
  new SignJWT({ name: user, rooms: { '*': 'write' }, ...(fresh ? { jti: randomBytes(8).toString('hex') } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(secretKey);

export interface LaunchOptions extends StartOptions {
  seed?: { room: string; file: string };
  /** Parley: unload rooms this many ms after their last client left. */
  idleUnloadMs?: number;
}

/** Starts `target` in a child process on an OS-assigned port of 127.0.0.1. */
export const launch = async (target: Target, options: LaunchOptions = {}): Promise<RunningTarget> => {
  const dataDir = target.id === 'parley' ? mkdtempSync(join(tmpdir(), 'parley-bench-')) : undefined;
  const server = await startServer(SCRIPTS[target.id], { secret: SECRET, seed: options.seed, dataDir, idleUnloadMs: options.idleUnloadMs }, options);
  const base = `ws://127.0.0.1:${server.port}`;
  const connect = async (room: string, user: string, doc?: Y.Doc, receiveOnly = false, freshToken = false): Promise<BenchClient> => {
    switch (target.id) {
      case 'parley':
        return openSyncClient(`${base}/rooms/${room}?token=${await mintToken(user, freshToken)}`, doc);
      case 'hocuspocus':
        return openHocuspocusClient(base, room, doc);
      case 'raw-ws':
        return openSyncClient(`${base}/rooms/${room}`, doc, { passive: receiveOnly });
      default:
        return openSyncClient(`${base}/rooms/${room}`, doc);
    }
  };
  return { target, server, connect, stop: () => server.stop() };
};
