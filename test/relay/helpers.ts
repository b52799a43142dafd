// Shared helpers for relay tests: start relays on port 0, mint tokens, connect stock and raw clients, poll.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebsocketProvider } from 'y-websocket';
import { SignJWT } from 'jose';
import { startRelay, type RelayOptions, type RunningRelay } from '../../relay/index.js';
import type { Role } from '../../shared/protocol.js';
import { getMessages } from '../../shared/conversation.js';

export const SECRET = 'test-secret-test-secret-test-secret-0123456789';

/**
 * Polls `predicate` until it is truthy; after `timeoutMs` fails with "timed out waiting for <message>", so
 * `message` names what is awaited (required: a timeout must say what did not happen).
 */
export const waitFor = async <T>(predicate: () => T | Promise<T>, timeoutMs: number, message: string): Promise<NonNullable<T>> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** A fresh temporary data directory; `cleanup` removes it. */
export const tempDir = (): { dir: string; cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-relay-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

/** A maker of temporary directories that the test file removes after each test (register at its top level). */
export const useTempDirs = (): (() => string) => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });
  return () => {
    const made = tempDir();
    cleanups.push(made.cleanup);
    return made.dir;
  };
};

/** The relay of a test file or `describe` block (see `useTestRelay`). */
export interface TestRelay {
  /** The running relay; read it inside tests. */
  readonly relay: RunningRelay;
  /** The relay's data directory (kept across restarts). */
  readonly dataDir: string;
  /** Stops the relay (if running) and starts a new one on the same data directory, with `options` added. */
  restart(options?: Partial<RelayOptions>): Promise<RunningRelay>;
  /** Stops the relay; the next `restart` starts it again. */
  stop(): Promise<void>;
}

/**
 * One relay (own data directory) for a whole test file or `describe` block: started before its tests, closed
 * and removed after. Read `.relay` inside tests; `restart` (same data, new options) for durability tests.
 * `setup` may be a function, run before the start, for options that need async preparation (keys, servers).
 */
export const useTestRelay = (setup: Partial<RelayOptions> | (() => Promise<Partial<RelayOptions>>) = {}): TestRelay => {
  const data = tempDir();
  let relay: RunningRelay | undefined;
  let options: Partial<RelayOptions> = {};
  const stop = async () => {
    const running = relay;
    relay = undefined;
    await running?.close();
  };
  beforeAll(async () => {
    options = typeof setup === 'function' ? await setup() : setup;
    relay = await startTestRelay({ dataDir: data.dir, ...options });
  });
  afterAll(async () => {
    await stop();
    data.cleanup();
  });
  return {
    get relay() {
      if (!relay) throw new Error('the test relay is not running');
      return relay;
    },
    dataDir: data.dir,
    async restart(more: Partial<RelayOptions> = {}) {
      await stop();
      relay = await startTestRelay({ dataDir: data.dir, ...options, ...more });
      return relay;
    },
    stop,
  };
};

/** Starts a quiet relay with the test secret on an OS-assigned port. */
export const startTestRelay = (options: Partial<RelayOptions> = {}): Promise<RunningRelay> =>
  startRelay({ port: 0, logLevel: 'silent', jwt: { secret: SECRET }, ...options });

export interface TokenSpec {
  sub?: string;
  name?: string;
  rooms?: Record<string, Role>;
  /** Seconds until expiry (negative for an expired token). */
  ttl?: number;
  /** HMAC secret (default: the test relay's); ignored when `key` is given. */
  secret?: string;
  /** Signing algorithm (default HS256); an asymmetric one needs `key`. */
  alg?: string;
  /** Private key for asymmetric algorithms. */
  key?: CryptoKey;
  /** Key id header. */
  kid?: string;
  issuer?: string;
  audience?: string;
  extra?: Record<string, unknown>;
}

/** Signs a token like an identity provider would: the one token minter of the relay tests. */
export const mintToken = async (spec: TokenSpec = {}): Promise<string> => {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ name: spec.name ?? 'Ada', rooms: spec.rooms ?? { '*': 'write' }, ...(spec.extra ?? {}) })
    .setProtectedHeader({ alg: spec.alg ?? 'HS256', ...(spec.kid ? { kid: spec.kid } : {}) })
    .setSubject(spec.sub ?? 'user-ada')
    .setIssuedAt(now)
    .setExpirationTime(now + (spec.ttl ?? 3600));
  if (spec.issuer) jwt = jwt.setIssuer(spec.issuer);
  if (spec.audience) jwt = jwt.setAudience(spec.audience);
  return jwt.sign(spec.key ?? new TextEncoder().encode(spec.secret ?? SECRET));
};

export const wsBase = (relay: RunningRelay): string => `${relay.url.replace(/^http/, 'ws')}/rooms`;

/** A stock y-websocket client (no BroadcastChannel, so everything goes through the relay). */
export const connectProvider = (
  relay: RunningRelay,
  room: string,
  token: string,
  doc = new Y.Doc(),
  extra: Record<string, string> = {},
): WebsocketProvider =>
  new WebsocketProvider(wsBase(relay), room, doc, {
    params: { token, ...extra },
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    maxBackoffTime: 200,
  });

/** Resolves once the provider reports synced. */
export const synced = (provider: WebsocketProvider): Promise<void> =>
  waitFor(() => provider.synced, 5000, 'provider synced').then(() => undefined);

/** A raw protocol client that records every frame it receives and how it was closed. */
export interface RawClient {
  ws: WebSocket;
  frames: Uint8Array[];
  closed: { code: number; reason: string } | undefined;
  opened: Promise<void>;
  send(frame: Uint8Array): void;
  /** Resolves with the close code and reason. */
  closedWith(timeoutMs?: number): Promise<{ code: number; reason: string }>;
}

/** Opens a raw WebSocket to `/rooms/<room>` with the given query string (no normalisation of `room`). */
export const rawClient = (relay: RunningRelay, roomPath: string, query: Record<string, string> = {}): RawClient => {
  const search = new URLSearchParams(query).toString();
  const ws = new WebSocket(`${wsBase(relay)}/${roomPath}${search ? `?${search}` : ''}`);
  ws.binaryType = 'nodebuffer';
  const client: RawClient = {
    ws,
    frames: [],
    closed: undefined,
    opened: new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    }),
    send(frame) {
      ws.send(frame);
    },
    closedWith(timeoutMs = 5000) {
      return waitFor(() => client.closed, timeoutMs, 'socket closed') as Promise<{ code: number; reason: string }>;
    },
  };
  ws.on('error', () => {});
  ws.on('message', (data: Buffer) => client.frames.push(new Uint8Array(data)));
  ws.on('close', (code, reason) => {
    client.closed = { code, reason: reason.toString() };
  });
  return client;
};

/** Frame builders for raw clients. */
export const frames = {
  syncStep1(doc: Y.Doc): Uint8Array {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint8Array(e, Y.encodeStateVector(doc));
    return encoding.toUint8Array(e);
  },
  update(update: Uint8Array, step: 1 | 2 = 2): Uint8Array {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 0);
    encoding.writeVarUint(e, step);
    encoding.writeVarUint8Array(e, update);
    return encoding.toUint8Array(e);
  },
  awareness(entries: { clientID: number; clock: number; state: unknown }[]): Uint8Array {
    const inner = encoding.createEncoder();
    encoding.writeVarUint(inner, entries.length);
    for (const entry of entries) {
      encoding.writeVarUint(inner, entry.clientID);
      encoding.writeVarUint(inner, entry.clock);
      encoding.writeVarString(inner, JSON.stringify(entry.state));
    }
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
    return encoding.toUint8Array(e);
  },
  queryAwareness(): Uint8Array {
    return new Uint8Array([3]);
  },
};

/** A decoded relay frame. */
export type ServerFrame =
  | { type: 'sync'; step: number; payload: Uint8Array }
  | { type: 'awareness'; payload: Uint8Array }
  | { type: 'ack'; stateVector: Map<number, number> }
  | { type: 'other'; code: number };

export const decodeServerFrame = (frame: Uint8Array): ServerFrame => {
  const d = decoding.createDecoder(frame);
  const type = decoding.readVarUint(d);
  if (type === 0) {
    const step = decoding.readVarUint(d);
    return { type: 'sync', step, payload: decoding.readVarUint8Array(d) };
  }
  if (type === 1) return { type: 'awareness', payload: decoding.readVarUint8Array(d) };
  if (type === 100) return { type: 'ack', stateVector: Y.decodeStateVector(decoding.readVarUint8Array(d)) };
  return { type: 'other', code: type };
};

/** Applies every sync frame a raw client received to `doc` (to check what the relay sent). */
export const applyReceived = (client: RawClient, doc: Y.Doc): void => {
  for (const frame of client.frames) {
    const message = decodeServerFrame(frame);
    if (message.type === 'sync' && message.step !== 0) Y.applyUpdate(doc, message.payload);
  }
};

/** The texts of a conversation's messages, in conversation order. */
export const textsOf = (doc: Y.Doc): string[] => getMessages(doc).map((m) => m.text);

/** Fetches the room's binary state through the admin API and loads it into a fresh doc. */
export const exportDoc = async (relay: RunningRelay, room: string): Promise<Y.Doc> => {
  const token = await mintToken({ sub: 'admin', rooms: { [room]: 'admin' } });
  const res = await fetch(`${relay.url}/rooms/${room}/export?format=yjs`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`export failed: ${res.status} ${await res.text()}`);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await res.arrayBuffer()));
  return doc;
};

/**
 * Sends a WebSocket upgrade for a raw, un-normalised request target (e.g. `/rooms/../x`) and reports the HTTP
 * status, plus the close code when the relay upgraded and then closed.
 */
export const rawUpgrade = async (relay: RunningRelay, target: string): Promise<{ status: number; closeCode?: number }> => {
  const { request } = await import('node:http');
  const { port } = relay;
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: target,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64'),
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('upgrade', (res, socket, head) => {
      let buffer = head;
      const done = () => {
        // A server close frame: 0x88, length, then the 2-byte code.
        if (buffer.length >= 4 && buffer[0] === 0x88) {
          resolve({ status: res.statusCode ?? 0, closeCode: buffer.readUInt16BE(2) });
          socket.destroy();
          return true;
        }
        return false;
      };
      if (done()) return;
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        done();
      });
      socket.on('close', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
};

/** Reads one unlabelled metric's value from /metrics. */
export const metric = async (relay: RunningRelay, name: string): Promise<number> => {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
};

/**
 * Connects to `room` as `token`'s user with a raw client (no client-side check, as a hostile client would), lets
 * `write` change a copy of the stored room and sends the diff; resolves with how the relay answered: its close, or
 * `'accepted'` once the room's state vector covers the copy's (a diff would always carry the whole delete set).
 */
export async function attemptWrite(relay: RunningRelay, room: string, token: string, write: (doc: Y.Doc) => void): Promise<{ code: number; reason: string } | 'accepted'> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(await exportDoc(relay, room)));
  const client = rawClient(relay, room, { token });
  await client.opened;
  await waitFor(() => client.frames.length > 0, 5000, 'greeting');
  const before = Y.encodeStateVector(doc);
  write(doc);
  client.send(frames.update(Y.encodeStateAsUpdate(doc, before), 2));
  const outcome = await Promise.race([
    client.closedWith(10_000),
    waitFor(async () => {
      const have = Y.decodeStateVector(Y.encodeStateVector(await exportDoc(relay, room)));
      return [...Y.decodeStateVector(Y.encodeStateVector(doc))].every(([c, clock]) => (have.get(c) ?? 0) >= clock);
    }, 10_000, 'the update stored').then(() => 'accepted' as const),
  ]);
  client.ws.close();
  return outcome;
}
