// Every close code with its trigger: auth failures, access, refused writes, limits, bad room names.
import { beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { WriteRefusedError, type RunningRelay } from '../../relay/index.js';
import { LIMITS, sendMessage } from '../../shared/conversation.js';
import {
  connectProvider,
  decodeServerFrame,
  exportDoc,
  frames,
  mintToken,
  rawClient,
  rawUpgrade,
  synced,
  useTestRelay,
  waitFor,
} from './helpers.js';

const updateWith = (text: string): Uint8Array => {
  const doc = new Y.Doc();
  doc.getArray<string>('messages').push([text]);
  return Y.encodeStateAsUpdate(doc);
};

/** One update of valid conversation data by `userId`: `count` messages of the longest allowed text. */
const messagesUpdate = (userId: string, label: string, count: number): Uint8Array => {
  const doc = new Y.Doc();
  const filler = 'y'.repeat(LIMITS.textLength - label.length - 1);
  doc.transact(() => {
    for (let k = 0; k < count; k++) sendMessage(doc, { userId, role: 'write' }, { text: `${label}${k % 10}${filler}` });
  });
  return Y.encodeStateAsUpdate(doc);
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('close codes', () => {
  const server = useTestRelay({
    limits: { maxFrameBytes: 64 * 1024, messagesPerSecond: 20, messageBurst: 40, connectionsPerUser: 3 },
    checkUpdate: ({ update, role }) => {
      if (role === 'read') throw new WriteRefusedError('read-only');
      const doc = new Y.Doc();
      Y.applyUpdate(doc, update);
      if (doc.getArray('messages').toJSON().includes('forbidden words')) throw new WriteRefusedError('no-forbidden-words');
    },
  });
  let relay: RunningRelay;
  beforeAll(() => {
    relay = server.relay;
  });

  const expectClose = async (query: Record<string, string>, code: number, room = 'closing', reason?: RegExp) => {
    const client = rawClient(relay, room, query);
    const closed = await client.closedWith();
    expect(closed.code).toBe(code);
    if (reason) expect(closed.reason).toMatch(reason);
    // Nothing of the room was sent before the refusal.
    expect(client.frames).toEqual([]);
  };

  it('4401 without a token', () => expectClose({}, 4401, 'closing', /token required/));

  it('4401 for a bad signature', async () =>
    expectClose({ token: await mintToken({ secret: 'another-secret-another-secret-another-secret' }) }, 4401));

  it('4401 for alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'x', exp: now + 60, rooms: { '*': 'admin' } })}.`;
    await expectClose({ token }, 4401);
  });

  it('4401 for an HS256 token with a wrong alg header (HS512)', async () => {
    const token = await mintToken({ sub: 'x', alg: 'HS512' });
    await expectClose({ token }, 4401);
  });

  it('4401 for an expired token (beyond the clock tolerance)', async () =>
    expectClose({ token: await mintToken({ ttl: -60 }) }, 4401, 'closing', /expired/));

  it('4401 for a token without a rooms claim, or garbage', async () => {
    await expectClose({ token: await mintToken({ extra: { rooms: 'everything' } }) }, 4401);
    await expectClose({ token: 'not.a.jwt' }, 4401);
  });

  it('4401 when the token expires during the session', async () => {
    const client = rawClient(relay, 'closing', { token: await mintToken({ ttl: 1 }) });
    await client.opened;
    const closed = await client.closedWith(5000);
    expect(closed).toEqual({ code: 4401, reason: 'token expired' });
  });

  it('4403 for a room the token does not grant', async () =>
    expectClose({ token: await mintToken({ rooms: { 'team-*': 'write', other: 'admin' } }) }, 4403, 'closing', /no access/));

  it('a read role receives the document and awareness; its writes close it with 4403 and change nothing', async () => {
    const writer = connectProvider(relay, 'team-read', await mintToken({ sub: 'ada', rooms: { 'team-*': 'write' } }));
    await synced(writer);
    writer.doc.getArray<string>('messages').push(['hello']);
    writer.awareness.setLocalStateField('user', { id: 'ada' });
    const reader = connectProvider(relay, 'team-read', await mintToken({ sub: 'rita', rooms: { 'team-*': 'read', 'team-read': 'read' } }));
    await synced(reader);
    await waitFor(() => reader.doc.getArray('messages').length === 1, 5000, 'reader got the doc');
    await waitFor(() => reader.awareness.getStates().get(writer.doc.clientID)?.user?.id === 'ada', 5000, 'reader got awareness');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      reader.on('connection-close', (event) => resolve({ code: event!.code, reason: event!.reason })),
    );
    reader.doc.getArray<string>('messages').push(['sneaky']);
    expect(await closed).toEqual({ code: 4403, reason: 'write refused: read-only' });
    const stored = await exportDoc(relay, 'team-read');
    expect(stored.getArray('messages').toJSON()).toEqual(['hello']);
    expect(writer.doc.getArray('messages').toJSON()).toEqual(['hello']);
    writer.destroy();
    reader.destroy();
  });

  it('a write-check refusal closes with 4403 naming the rule, counts it, and leaves the room untouched', async () => {
    const token = await mintToken({ sub: 'ada' });
    const client = rawClient(relay, 'rules', { token });
    await client.opened;
    client.send(frames.update(updateWith('fine words')));
    client.send(frames.update(updateWith('forbidden words')));
    expect(await client.closedWith()).toEqual({ code: 4403, reason: 'write refused: no-forbidden-words' });
    expect((await exportDoc(relay, 'rules')).getArray('messages').toJSON()).toEqual(['fine words']);
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toContain('parley_write_refusals_total{rule="no-forbidden-words"} 1');
  });

  it('4413 for a frame over the limit', async () => {
    const client = rawClient(relay, 'closing', { token: await mintToken() });
    await client.opened;
    client.send(frames.update(updateWith('x'.repeat(70 * 1024))));
    expect(await client.closedWith()).toEqual({ code: 4413, reason: 'frame too large' });
  });

  it('4429 for a flood of messages', async () => {
    const client = rawClient(relay, 'flood', { token: await mintToken() });
    await client.opened;
    for (let i = 0; i < 200 && client.ws.readyState === client.ws.OPEN; i++) client.send(frames.queryAwareness());
    expect(await client.closedWith()).toEqual({ code: 4429, reason: 'rate limit exceeded' });
  });

  it('4429 beyond the connections allowed per user', async () => {
    const token = await mintToken({ sub: 'many' });
    const open = [0, 1, 2].map(() => rawClient(relay, 'limit', { token }));
    await Promise.all(open.map((c) => c.opened));
    await expectClose({ token }, 4429, 'limit', /too many connections/);
    open[0]!.ws.close();
    await open[0]!.closedWith();
    const again = rawClient(relay, 'limit', { token });
    await again.opened;
    again.send(frames.queryAwareness());
    await waitFor(() => again.frames.some((f) => decodeServerFrame(f).type === 'awareness'), 5000, 'awareness on the connection within the limit');
    for (const c of [...open, again]) c.ws.close();
  });

  it('4400 for invalid and traversal-like room names; 404 outside /rooms/', async () => {
    const token = await mintToken({ rooms: { '*': 'admin' } });
    const q = `?token=${token}`;
    for (const target of ['/rooms/..', '/rooms/.', '/rooms/../etc', '/rooms/a%2F..%2F..%2Fetc', '/rooms/a/b', '/rooms/%2e%2e', '/rooms/', `/rooms/${'a'.repeat(129)}`, '/rooms/caf%C3%A9', '/rooms/a%20b', '/rooms/..%5C..%5Cwin']) {
      expect(await rawUpgrade(relay, target + q), target).toEqual({ status: 101, closeCode: 4400 });
    }
    expect((await rawUpgrade(relay, `/etc/passwd${q}`)).status).toBe(404);
    expect((await rawUpgrade(relay, `/rooms${q}`)).status).toBe(404);
    // The longest valid name is fine.
    const client = rawClient(relay, 'a'.repeat(128), { token });
    await client.opened;
    client.ws.close();
  });

  it('4400 for a text frame', async () => {
    const client = rawClient(relay, 'closing', { token: await mintToken() });
    await client.opened;
    client.ws.send('hello');
    expect((await client.closedWith()).code).toBe(4400);
  });
});

describe('slow consumers and sync floods', () => {
  // Each update comes from a new Y.Doc, as if from a new session: the client-id budget is raised out of the way.
  const slowRelay = useTestRelay({
    limits: { maxBufferedBytes: 256 * 1024, bytesPerSecond: 1 << 30, byteBurst: 1 << 30, newClientIdsPerConnection: 1000, newClientIdsPerUserPerHour: 10_000 },
  });
  const floodRelay = useTestRelay();

  it('closes a reader that stops reading with 4429 instead of buffering without bound', async () => {
    const { relay } = slowRelay;
    const slow = rawClient(relay, 'slow', { token: await mintToken({ sub: 'slow' }) });
    await slow.opened;
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const writer = rawClient(relay, 'slow', { token: await mintToken({ sub: 'writer' }) });
    await writer.opened;
    const metricsText = async () => (await fetch(`${relay.url}/metrics`)).text();
    // Valid conversation data (the relay runs its default guard): 25 messages of 8,000 characters, ~200 KB per update.
    for (let i = 0; i < 400 && !(await metricsText()).includes('reason="slow-consumer"'); i++) {
      writer.send(frames.update(messagesUpdate('writer', String(i), 25)));
      if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(async () => (await metricsText()).includes('parley_refusals_total{reason="slow-consumer"} 1'), 10_000, 'slow consumer closed');
    socket.resume();
    expect(await slow.closedWith(10_000)).toEqual({ code: 4429, reason: 'slow consumer: too much data waiting' });
    expect(writer.closed).toBeUndefined();
    writer.ws.close();
  });

  it('closes a connection that floods sync requests with 4429', async () => {
    const client = rawClient(floodRelay.relay, 'sync-flood', { token: await mintToken() });
    await client.opened;
    for (let i = 0; i < 30; i++) client.send(frames.syncStep1(new Y.Doc()));
    expect(await client.closedWith()).toEqual({ code: 4429, reason: 'too many sync requests' });
  });
});
