// Three relay processes over one real Redis and one real PostgreSQL: convergence, the guard in log order, crashes, outages, deletion, awareness.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import pg from 'pg';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { Awareness } from 'y-protocols/awareness';
import { RoomConnection } from '../../client/connection/room-connection.js';
import { MuxConnection } from '../../client/connection/mux-connection.js';
import type { RunningRelay } from '../../relay/index.js';
import { redisKeys } from '../../relay/storage/redis-keys.js';
import { getMessages, newMessageId, sendMessage, type MessageRecord } from '../../shared/conversation.js';
import type { Attachment } from '../../shared/attachments.js';
import { PDF, PNG, call, randomBytesOf, upload } from './blob-helpers.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres-server.js';
import { buildRelay, startRelayProcess, type RelayProcess } from '../support/relay-process.js';
import { SECRET, connectProvider, decodeServerFrame, exportDoc, frames, mintToken, rawClient, synced, textsOf, waitFor } from './helpers.js';

let redis: TestRedis;
let postgres: TestPostgres;
let relays: RelayProcess[] = [];

/** The helpers take a RunningRelay; a relay process has the same address. */
const at = (relay: RelayProcess): RunningRelay => ({ url: relay.url, port: relay.port, devMode: false, close: async () => {} });

const COMPACT_BYTES = 4096;

const startRelays = (n: number) =>
  Promise.all(
    Array.from({ length: n }, () =>
      startRelayProcess({
        env: { PARLEY_JWT_SECRET: SECRET, PARLEY_REDIS_URL: redis.url, PARLEY_POSTGRES_URL: postgres.url },
        args: ['--compact-log-bytes', String(COMPACT_BYTES), '--stream-trim-grace-seconds', '0', '--messages-per-second', '100000'],
      }),
    ),
  );

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startTestRedis(), startTestPostgres(), buildRelay()]).then(([r, p]) => [r, p] as const);
  relays = await startRelays(3);
}, 120_000);

afterAll(async () => {
  await Promise.all(relays.map((r) => r.destroy()));
  await Promise.all([redis?.destroy(), postgres?.destroy()]);
}, 60_000);

/** A local writer for `sub` whose every message becomes one update frame (records built directly: O(1) each). */
const writer = (sub: string) => {
  const doc = new Y.Doc();
  const pending: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => pending.push(u));
  return {
    doc,
    push(text: string): Uint8Array {
      const record: MessageRecord = { id: newMessageId(), author: sub, text, createdAt: Date.now() };
      doc.getArray<MessageRecord>('messages').push([record]);
      return frames.update(pending.shift()!, 2);
    },
  };
};

const numbered = (n: number): string[] => [...Array(n).keys()].map(String);
const ackedBy = (frameList: Uint8Array[], client: number): number =>
  Math.max(0, ...frameList.map(decodeServerFrame).map((m) => (m.type === 'ack' ? (m.stateVector.get(client) ?? 0) : 0)));

/** Polls each relay's export of `room` until `check` holds for all of them. */
const everywhere = async (room: string, check: (texts: string[]) => boolean, message: string, timeoutMs = 20_000) =>
  waitFor(async () => {
    for (const relay of relays) if (!check(textsOf(await exportDoc(at(relay), room)))) return false;
    return true;
  }, timeoutMs, message);

describe('cluster: three relays over Redis and PostgreSQL', () => {
  it('stock clients on different instances converge', async () => {
    const room = 'cl-converge';
    const providers = await Promise.all(relays.map(async (relay, i) => connectProvider(at(relay), room, await mintToken({ sub: `user-${i}` }))));
    await Promise.all(providers.map(synced));
    providers.forEach((p, i) => {
      for (let n = 0; n < 5; n++) sendMessage(p.doc, { userId: `user-${i}`, role: 'write' }, { text: `${i}:${n}` });
    });
    await waitFor(() => providers.every((p) => getMessages(p.doc).length === 15), 20_000, 'all clients have 15 messages');
    for (const p of providers) expect(getMessages(p.doc)).toEqual(getMessages(providers[0]!.doc));
    await everywhere(room, (texts) => texts.length === 15, 'every relay has 15 messages');
    for (const p of providers) p.destroy();
  });

  it('refuses a forgery whichever instance receives it, and every instance keeps the room as it was', async () => {
    const room = 'cl-forgery';
    const alice = connectProvider(at(relays[0]!), room, await mintToken({ sub: 'alice' }));
    await synced(alice);
    sendMessage(alice.doc, { userId: 'alice', role: 'write' }, { text: 'hello' });
    await everywhere(room, (texts) => texts.length === 1, 'the message everywhere');
    for (const relay of relays) {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(await exportDoc(at(relay), room)));
      const before = Y.encodeStateVector(doc);
      doc.getArray<MessageRecord>('messages').push([{ id: newMessageId(), author: 'alice', text: 'forged', createdAt: Date.now() }]);
      const mallory = rawClient(at(relay), room, { token: await mintToken({ sub: 'mallory' }) });
      await mallory.opened;
      mallory.send(frames.update(Y.encodeStateAsUpdate(doc, before), 2));
      const closed = await mallory.closedWith(15_000);
      expect(closed.code).toBe(4403);
      expect(closed.reason).toMatch(/author-mismatch/);
    }
    sendMessage(alice.doc, { userId: 'alice', role: 'write' }, { text: 'still here' });
    await everywhere(room, (texts) => texts.join() === 'hello,still here', 'honest writes only, everywhere');
    alice.destroy();
  });

  it('binds one client id claimed by two users on two instances at once to one of them, everywhere', async () => {
    const room = 'cl-claim';
    const CLIENT = 424242;
    // Xavier writes one struct with the client id, Yvonne two: whichever comes first in the log binds the id.
    // If Xavier's comes first, Yvonne's second struct is new and refused (bound to Xavier); if Yvonne's does,
    // Xavier's one struct is already in the room (same id) and changes nothing.
    const attempt = async (relay: RelayProcess, user: string, messages: number) => {
      const doc = new Y.Doc();
      doc.clientID = CLIENT;
      for (let i = 0; i < messages; i++) {
        doc.getArray<MessageRecord>('messages').push([{ id: newMessageId(), author: user, text: `by ${user}`, createdAt: Date.now() }]);
      }
      const client = rawClient(at(relay), room, { token: await mintToken({ sub: user }), acks: '1' });
      await client.opened;
      return { client, frame: frames.update(Y.encodeStateAsUpdate(doc), 2) };
    };
    const [x, y] = await Promise.all([attempt(relays[0]!, 'xavier', 1), attempt(relays[1]!, 'yvonne', 2)]);
    x.client.send(x.frame);
    y.client.send(y.frame);
    await waitFor(() => [x, y].every(({ client }) => client.closed !== undefined || ackedBy(client.frames, CLIENT) > 0), 15_000, 'both settled');
    const bound = new Set<unknown>();
    const exported: string[] = [];
    for (const relay of relays) {
      const doc = await waitFor(async () => {
        const d = await exportDoc(at(relay), room);
        return textsOf(d).length > 0 ? d : undefined;
      }, 15_000, 'the winner everywhere');
      bound.add(doc!.getMap('clients').get(String(CLIENT)));
      exported.push(JSON.stringify([doc!.getMap('clients').toJSON(), textsOf(doc!)]));
    }
    // Every instance agrees on the binding and on the content.
    expect(bound.size).toBe(1);
    expect(new Set(exported).size).toBe(1);
    const winner = [...bound][0];
    const texts = JSON.parse(exported[0]!)[1] as string[];
    expect(texts.every((t) => t === `by ${winner}`)).toBe(true);
    if (winner === 'xavier') expect(y.client.closed?.code).toBe(4403);
    else expect(texts).toEqual(['by yvonne', 'by yvonne']);
    x.client.ws.close();
    y.client.ws.close();
  });

  it('a room deleted through one instance is gone on all (4404 everywhere)', async () => {
    const room = 'cl-delete';
    const clients = await Promise.all(relays.map(async (relay) => {
      const client = rawClient(at(relay), room, { token: await mintToken({ sub: 'ada' }) });
      await client.opened;
      return client;
    }));
    const w = writer('ada');
    clients[0]!.send(w.push('doomed'));
    await everywhere(room, (texts) => texts.length === 1, 'the message everywhere');
    const admin = await mintToken({ sub: 'admin', rooms: { [room]: 'admin' } });
    const res = await fetch(`${relays[1]!.url}/rooms/${room}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    for (const client of clients) expect((await client.closedWith(15_000)).code).toBe(4404);
    await everywhere(room, (texts) => texts.length === 0, 'the room empty everywhere');
  });

  it('shares awareness across instances and drops an instance\'s states within seconds of its death', async () => {
    const room = 'cl-presence';
    // Awareness names must match the token's (relay/awareness-check.ts).
    const [a, b, c] = await Promise.all(relays.map(async (relay, i) => connectProvider(at(relay), room, await mintToken({ sub: `p${i}`, name: ['A', 'B', 'C'][i] }))));
    await Promise.all([a, b, c].map((p) => synced(p!)));
    a!.awareness.setLocalStateField('user', { id: 'p0', name: 'A' });
    c!.awareness.setLocalStateField('user', { id: 'p2', name: 'C' });
    await waitFor(() => b!.awareness.getStates().get(a!.doc.clientID)?.user?.id === 'p0', 10_000, 'A at B');
    await waitFor(() => a!.awareness.getStates().get(c!.doc.clientID)?.user?.id === 'p2', 10_000, 'C at A');
    c!.shouldConnect = false;
    await relays[2]!.kill();
    // Heartbeats stop: the other instances remove C's state (3.5 s), far sooner than awareness's 30 s timeout.
    await waitFor(() => !a!.awareness.getStates().has(c!.doc.clientID) && !b!.awareness.getStates().has(c!.doc.clientID), 12_000, 'C removed');
    expect(b!.awareness.getStates().get(a!.doc.clientID)?.user?.id).toBe('p0');
    for (const p of [a, b, c]) p!.destroy();
    await relays[2]!.start();
  });

  for (const transport of ['room', 'mux'] as const) {
    it(`a client given several relays moves to another when its relay dies, and its writes arrive (${transport} transport)`, async () => {
      const room = `cl-failover-${transport}`;
      // The client library's connections, in Node: they open sockets through the global WebSocket.
      (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
      const doc = new Y.Doc();
      const awareness = new Awareness(doc);
      const token = await mintToken({ sub: 'ada' });
      const options = {
        relayUrl: [relays[1]!.url, relays[2]!.url],
        room,
        doc,
        awareness,
        getToken: async () => token,
        userId: 'ada',
        broadcastChannel: `parley-test-${room}`,
        onDurable: () => {},
        backoff: { baseMs: 50, maxMs: 200 },
      };
      const connection = transport === 'room' ? new RoomConnection(options) : new MuxConnection(options);
      try {
        await waitFor(() => connection.state.synced, 15_000, 'connected through the first relay');
        sendMessage(doc, { userId: 'ada', role: 'write' }, { text: 'before' });
        await everywhere(room, (texts) => texts.join() === 'before', 'the first message everywhere');
        await relays[1]!.kill();
        sendMessage(doc, { userId: 'ada', role: 'write' }, { text: 'after' });
        await waitFor(async () => textsOf(await exportDoc(at(relays[2]!), room)).join() === 'before,after', 20_000, 'the second message, through the other relay');
        await waitFor(() => connection.state.synced, 15_000, 'synced again');
      } finally {
        connection.close();
        awareness.destroy();
        await relays[1]!.start();
      }
    }, 60_000);
  }

  it('loses no acknowledged update when an instance is killed mid-burst: once on every instance, and after a full restart', async () => {
    const room = 'cl-crash';
    const w = writer('ada');
    const client = rawClient(at(relays[0]!), room, { token: await mintToken({ sub: 'ada' }), acks: '1' });
    await client.opened;
    let sent = 0;
    let acked = 0;
    client.ws.on('message', () => (acked = ackedBy(client.frames, w.doc.clientID)));
    const pump = setInterval(() => {
      for (let i = 0; i < 20 && client.ws.readyState === client.ws.OPEN && sent - acked < 1000; i++) client.send(w.push(String(sent++)));
    }, 2);
    await waitFor(() => acked >= 300, 30_000, 'acks').catch((error: Error) => {
      throw new Error(`${error.message} (sent ${sent}, acked ${acked}, closed ${JSON.stringify(client.closed)}; relay: ${relays[0]!.output().slice(-800)})`);
    });
    await relays[0]!.kill();
    await client.closedWith(10_000);
    clearInterval(pump);
    const ackedAtKill = ackedBy(client.frames, w.doc.clientID);
    expect(sent).toBeGreaterThan(ackedAtKill);
    // Every acknowledged update is on the surviving instances, once.
    for (const relay of relays.slice(1)) {
      const texts = (await waitFor(async () => {
        const t = textsOf(await exportDoc(at(relay), room));
        return t.length >= ackedAtKill ? t : undefined;
      }, 20_000, 'acked updates on a surviving instance')) as string[];
      expect(texts).toEqual(numbered(texts.length));
    }
    // The client fails over to another instance and resyncs: everything it wrote arrives, once.
    const again = rawClient(at(relays[1]!), room, { token: await mintToken({ sub: 'ada' }), acks: '1' });
    await again.opened;
    again.send(frames.update(Y.encodeStateAsUpdate(w.doc), 2));
    await waitFor(() => ackedBy(again.frames, w.doc.clientID) >= sent, 20_000, 'the resent tail acknowledged');
    again.ws.close();
    await relays[0]!.start();
    await everywhere(room, (texts) => texts.join() === numbered(sent).join(), 'all updates, once, everywhere');
    // Full restart of everything.
    await Promise.all(relays.map((r) => r.stop()));
    await redis.stop();
    await postgres.stop();
    await Promise.all([redis.start(), postgres.start()]);
    await Promise.all(relays.map((r) => r.start()));
    await everywhere(room, (texts) => texts.join() === numbered(sent).join(), 'all updates after a full restart');
  }, 150_000);

  it('Redis restarted: not ready meanwhile, no acknowledged update lost, recovers by itself', async () => {
    const room = 'cl-redis-restart';
    const w = writer('ada');
    const client = rawClient(at(relays[0]!), room, { token: await mintToken({ sub: 'ada' }), acks: '1' });
    await client.opened;
    for (let i = 0; i < 50; i++) client.send(w.push(String(i)));
    await waitFor(() => ackedBy(client.frames, w.doc.clientID) >= 50, 15_000, '50 acks');
    await redis.stop();
    await waitFor(async () => (await fetch(`${relays[0]!.url}/readyz`)).status === 503, 10_000, 'not ready while Redis is down');
    // A write now cannot be made durable: it is not acknowledged (the writer is told to come back).
    if (client.ws.readyState === client.ws.OPEN) client.send(w.push('50'));
    await client.closedWith(10_000);
    expect(ackedBy(client.frames, w.doc.clientID)).toBe(50);
    await redis.start();
    await waitFor(async () => {
      for (const relay of relays) if ((await fetch(`${relay.url}/readyz`)).status !== 200) return false;
      return true;
    }, 20_000, 'ready again');
    const again = rawClient(at(relays[1]!), room, { token: await mintToken({ sub: 'ada' }), acks: '1' });
    await again.opened;
    again.send(frames.update(Y.encodeStateAsUpdate(w.doc), 2));
    await waitFor(() => ackedBy(again.frames, w.doc.clientID) >= 51, 15_000, 'the resend acknowledged');
    again.ws.close();
    await everywhere(room, (texts) => texts.join() === numbered(51).join(), 'all 51 updates everywhere');
  }, 90_000);

  it('PostgreSQL stopped during compaction: serving continues, compaction resumes, nothing lost', async () => {
    const room = 'cl-pg-down';
    const observer = connectProvider(at(relays[2]!), room, await mintToken({ sub: 'obs' }));
    await synced(observer);
    const w = writer('ada');
    const client = rawClient(at(relays[0]!), room, { token: await mintToken({ sub: 'ada' }), acks: '1' });
    await client.opened;
    // Loaded rooms keep serving without PostgreSQL (loading a room needs its snapshot, so it is loaded before).
    await waitFor(() => client.frames.length > 0, 10_000, 'the room loaded');
    await postgres.stop();
    await waitFor(async () => (await fetch(`${relays[0]!.url}/readyz`)).status === 503, 10_000, 'not ready while PostgreSQL is down');
    // Well past the compaction threshold: compaction is attempted and fails while writes keep being acknowledged.
    const count = 200;
    for (let i = 0; i < count; i++) client.send(w.push(`${i} ${'x'.repeat(60)}`));
    await waitFor(() => ackedBy(client.frames, w.doc.clientID) >= count, 20_000, 'acks while PostgreSQL is down');
    await waitFor(() => getMessages(observer.doc).length === count, 20_000, 'fan-out while PostgreSQL is down');
    await postgres.start();
    // Compaction resumes: a snapshot appears and the stream is trimmed.
    const pool = new pg.Pool({ connectionString: postgres.url });
    const keys = redisKeys('parley:');
    const r = new Redis(redis.url);
    try {
      await waitFor(async () => {
        const rows = await pool.query('SELECT count(*)::int AS n FROM parley_snapshots WHERE room = $1', [room]).catch(() => undefined);
        return (rows?.rows[0]?.n ?? 0) > 0;
      }, 30_000, 'a snapshot stored after PostgreSQL returned');
      await waitFor(async () => (await r.xlen(keys.log(room))) < count, 30_000, 'the stream trimmed');
    } finally {
      await pool.end();
      r.disconnect();
    }
    client.ws.close();
    observer.destroy();
    // A relay that loads the room now reads the snapshot plus what follows it.
    await relays[1]!.stop();
    await relays[1]!.start();
    const texts = textsOf(await exportDoc(at(relays[1]!), room));
    expect(texts.map((t) => t.split(' ')[0])).toEqual(numbered(count));
  }, 120_000);
});

describe('cluster: attachments in PostgreSQL, announced in the room log', () => {
  const attachmentOf = (blob: { id: string; size: number; type: string }, name: string): Attachment => ({ blob: blob.id, name, type: blob.type, size: blob.size });

  /** Sends a message with `attachments` from a raw client on `relay`; returns the client (closed with the refusal, if any). */
  const sendRaw = async (relay: RelayProcess, room: string, user: string, attachments: Attachment[]) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(await exportDoc(at(relay), room)));
    const client = rawClient(at(relay), room, { token: await mintToken({ sub: user }) });
    await client.opened;
    await waitFor(() => client.frames.length > 0, 10_000, 'greeting');
    const before = Y.encodeStateVector(doc);
    sendMessage(doc, { userId: user, role: 'write' }, { text: 'look', attachments });
    client.send(frames.update(Y.encodeStateAsUpdate(doc, before), 2));
    return client;
  };

  it('a file uploaded through A is accepted in a message through B and read through C', async () => {
    const [a, b, c] = relays as [RelayProcess, RelayProcess, RelayProcess];
    const room = 'cl-blobs';
    const token = await mintToken({ sub: 'ada' });
    const photo = await upload(at(a), room, token, PNG);
    expect(photo.type).toBe('image/png');
    // The upload went through A; the message goes through B: B's guard knows the blob from the log.
    const provider = connectProvider(at(b), room, token);
    await synced(provider);
    sendMessage(provider.doc, { userId: 'ada', role: 'write' }, { text: 'beach', attachments: [{ ...attachmentOf(photo, 'beach.png'), width: 1, height: 1 }] });
    await everywhere(room, (texts) => texts.join() === 'beach', 'the message with its attachment everywhere');
    // Read through C (signed link and bearer): the same bytes.
    const links = await call(at(c), 'POST', `/blobs/${room}/urls`, token, { blobs: [{ id: photo.id }] });
    expect(links.status).toBe(200);
    const signed = await fetch(`${c.url}${links.json.urls[photo.id] as string}`);
    expect(signed.status).toBe(200);
    expect(Buffer.from(await signed.arrayBuffer()).equals(PNG)).toBe(true);
    const ranged = await fetch(`${c.url}/blobs/${room}/${photo.id}`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=1-3' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(PNG.subarray(1, 4))).toBe(true);
    // A claim of the same bytes through C finds them (no bytes sent).
    const claimed = await call(at(c), 'POST', `/blobs/${room}/uploads`, token, { size: PNG.length, sha256: photo.id });
    expect(claimed.status).toBe(200);
    expect(claimed.json.blob.id).toBe(photo.id);
    // Compaction trims the announcement from the stream; the snapshot carries the index, so a relay that
    // loads the room afresh (C, restarted) still accepts the blob, like A and B that kept it in memory.
    for (let n = 0; n < 30; n++) sendMessage(provider.doc, { userId: 'ada', role: 'write' }, { text: `filler ${n} ${'x'.repeat(200)}` });
    await everywhere(room, (texts) => texts.length === 31, 'the filler everywhere');
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    await waitFor(async () => (await db.query('SELECT 1 FROM parley_snapshots WHERE room = $1', [room])).rowCount! > 0, 20_000, 'a snapshot of the room');
    await db.end();
    await c.stop();
    await c.start();
    const later = connectProvider(at(c), room, token);
    await synced(later);
    sendMessage(later.doc, { userId: 'ada', role: 'write' }, { text: 'again', attachments: [attachmentOf(photo, 'again.png')] });
    await everywhere(room, (texts) => texts.length === 32 && texts.includes('again'), 'the later message everywhere');
    later.destroy();
    provider.destroy();
  });

  it('a message naming a blob of another room, or none, is refused on every relay', async () => {
    const room = 'cl-blobs-guard';
    const token = await mintToken({ sub: 'ada' });
    const foreign = await upload(at(relays[2]!), 'cl-blobs-elsewhere', token, randomBytesOf(3000, 77));
    const own = await upload(at(relays[0]!), room, token, PDF);
    const ghost: Attachment = { blob: 'e'.repeat(64), name: 'ghost.png', type: 'image/png', size: 10 };
    const attempts = [...relays.map((relay) => [relay, attachmentOf(foreign, 'stolen.bin')] as const), [relays[1]!, ghost] as const];
    const clients = await Promise.all(attempts.map(([relay, attachment]) => sendRaw(relay, room, 'ada', [attachment])));
    for (const client of clients) {
      const closed = await client.closedWith(15_000);
      expect(closed.code).toBe(4403);
      expect(closed.reason).toContain('unknown-blob');
    }
    // Honest ones are still accepted, through any relay, and only they are stored everywhere.
    const honest = await sendRaw(relays[1]!, room, 'ada', [attachmentOf(own, 'tickets.pdf')]);
    await everywhere(room, (texts) => texts.join() === 'look', 'only the honest message, everywhere');
    honest.ws.close();
  });
});
