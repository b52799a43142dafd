// The HTTP side: health, readiness, metrics, dev tokens, the admin API (export, delete) and the web app.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getMessages, sendMessage } from '../../shared/conversation.js';
import { roomDir } from '../../relay/room-paths.js';
import type { RunningRelay } from '../../relay/index.js';
import { connectProvider, exportDoc, mintToken, rawClient, synced, tempDir, useTestRelay, waitFor } from './helpers.js';

describe('http endpoints (keyed relay)', () => {
  const web = tempDir();
  const server = useTestRelay({ staticDir: join(web.dir, 'app') });
  let relay: RunningRelay;
  beforeAll(() => {
    relay = server.relay;
  });
  afterAll(() => web.cleanup());

  it('answers health, readiness and metrics', async () => {
    expect(await (await fetch(`${relay.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${relay.url}/readyz`)).status).toBe(200);
    const res = await fetch(`${relay.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const name of ['parley_connections', 'parley_rooms_loaded', 'parley_updates_in_total', 'parley_updates_out_total', 'parley_bytes_in_total', 'parley_bytes_out_total', 'parley_refusals_total', 'parley_persist_seconds_bucket{le="+Inf"}']) {
      expect(text).toContain(name);
    }
  });

  it('has no dev token endpoint when a key is configured, and JSON 404s', async () => {
    expect(relay.devMode).toBe(false);
    const res = await fetch(`${relay.url}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not-found', message: 'no such endpoint' } });
  });

  it('exports messages as JSON and the state as Yjs for an admin, refusing others', async () => {
    const p = connectProvider(relay, 'exported', await mintToken({ sub: 'ada' }));
    await synced(p);
    const sent = sendMessage(p.doc, { userId: 'ada', role: 'write' }, { text: 'hello world' });
    const admin = await mintToken({ sub: 'root', rooms: { 'exp*': 'admin' } });
    const auth = { authorization: `Bearer ${admin}` };
    await waitFor(async () => {
      const body = (await (await fetch(`${relay.url}/rooms/exported/export`, { headers: auth })).json()) as { messages: unknown[] };
      return body.messages.length === 1;
    }, 5000, 'the message in the JSON export');
    const json = (await (await fetch(`${relay.url}/rooms/exported/export`, { headers: auth })).json()) as {
      room: string;
      messages: { id: string; author: string; text: string }[];
    };
    expect(json.room).toBe('exported');
    expect(json.messages[0]).toMatchObject({ id: sent.id, author: 'ada', text: 'hello world' });

    const bin = await fetch(`${relay.url}/rooms/exported/export?format=yjs`, { headers: auth });
    expect(bin.headers.get('content-type')).toBe('application/octet-stream');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, new Uint8Array(await bin.arrayBuffer()));
    expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(p.doc));

    const writer = await mintToken({ sub: 'ada', rooms: { '*': 'write' } });
    expect((await fetch(`${relay.url}/rooms/exported/export`)).status).toBe(401);
    expect((await fetch(`${relay.url}/rooms/exported/export`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const forbidden = await fetch(`${relay.url}/rooms/exported/export`, { headers: { authorization: `Bearer ${writer}` } });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await fetch(`${relay.url}/rooms/..%2Fx/export`, { headers: auth })).status).toBe(400);
    p.destroy();
  });

  it('deletes a room: clients closed with 4404, files removed, the name usable again', async () => {
    const p = connectProvider(relay, 'doomed', await mintToken({ sub: 'ada' }));
    await synced(p);
    sendMessage(p.doc, { userId: 'ada', role: 'write' }, { text: 'bye' });
    const admin = await mintToken({ sub: 'root', rooms: { doomed: 'admin' } });
    const auth = { authorization: `Bearer ${admin}` };
    const dir = roomDir(join(server.dataDir, 'rooms'), 'doomed');
    await waitFor(async () => getMessages(await exportDoc(relay, 'doomed')).length === 1 && existsSync(join(dir, 'log')), 5000, 'the message stored on disk');
    const closed = new Promise<number>((resolve) => p.on('connection-close', (event) => resolve(event!.code)));
    const res = await fetch(`${relay.url}/rooms/doomed`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: 'doomed' });
    expect(await closed).toBe(4404);
    expect(existsSync(dir)).toBe(false);
    const writer = await mintToken({ sub: 'ada' });
    expect((await fetch(`${relay.url}/rooms/doomed`, { method: 'DELETE', headers: { authorization: `Bearer ${writer}` } })).status).toBe(403);
    // A new room of the same name starts empty.
    const fresh = rawClient(relay, 'doomed', { token: writer });
    await fresh.opened;
    const body = (await (await fetch(`${relay.url}/rooms/doomed/export`, { headers: auth })).json()) as { messages: unknown[] };
    expect(body.messages).toEqual([]);
    fresh.ws.close();
    p.destroy();
  });

  it('serves the web app at / once its directory exists', async () => {
    expect((await fetch(`${relay.url}/`)).status).toBe(404);
    mkdirSync(join(web.dir, 'app'), { recursive: true });
    writeFileSync(join(web.dir, 'app', 'index.html'), '<!doctype html><title>Parley</title>');
    const res = await fetch(`${relay.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Parley</title>');
    expect((await fetch(`${relay.url}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });

  describe('shutting down', () => {
    const other = useTestRelay();
    it('reports not ready and refuses upgrades once shutting down', async () => {
      const { url } = other.relay;
      const closing = other.stop();
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      if (res) expect(res.status).toBe(503);
      await closing;
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    });
  });
});

describe('dev mode', () => {
  const server = useTestRelay({ jwt: {} });
  let relay: RunningRelay;
  beforeAll(() => {
    relay = server.relay;
  });

  const post = (body: string, type = 'application/json') =>
    fetch(`${relay.url}/dev/token`, { method: 'POST', headers: { 'content-type': type }, body });

  it('mints tokens that the relay accepts', async () => {
    expect(relay.devMode).toBe(true);
    const res = await post(JSON.stringify({ name: 'Ada', rooms: { 'demo-*': 'write' }, sub: 'ada', ttlSeconds: 600 }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; user: { id: string; name: string }; expiresAt: string };
    expect(body.user).toEqual({ id: 'ada', name: 'Ada' });
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    const p = connectProvider(relay, 'demo-1', body.token);
    await synced(p);
    p.destroy();
    const denied = rawClient(relay, 'private', { token: body.token });
    expect((await denied.closedWith()).code).toBe(4403);
    // Default grant and generated sub.
    const plain = (await (await post('{"name":"Bob"}')).json()) as { user: { id: string } };
    expect(plain.user.id).toMatch(/^dev-/);
  });

  it('validates the body with JSON errors', async () => {
    const cases: [string, number, string?][] = [
      ['{', 400, 'application/json'],
      ['[]', 400],
      ['{}', 400],
      ['{"name":""}', 400],
      [JSON.stringify({ name: 'x'.repeat(65) }), 400],
      ['{"name":"a","rooms":{"../x":"write"}}', 400],
      ['{"name":"a","rooms":{"a":"owner"}}', 400],
      ['{"name":"a","sub":"has space"}', 400],
      ['{"name":"a","ttlSeconds":0}', 400],
      ['{"name":"a","extra":1}', 400],
      ['{"name":"a"}', 415, 'text/plain'],
      [JSON.stringify({ name: 'a', pad: 'x'.repeat(20_000) }), 413],
    ];
    for (const [body, status, type] of cases) {
      const res = await post(body, type);
      expect(res.status, body.slice(0, 40)).toBe(status);
      expect(((await res.json()) as { error: { code: string; message: string } }).error.message).toBeTruthy();
    }
  });
});
