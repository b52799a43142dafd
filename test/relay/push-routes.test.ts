// Web Push HTTP API against a real relay: the public key, registering and removing subscriptions, and every bad input.
import { readdirSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPushService, type TestPushService } from '../support/push-service.js';
import { mintToken, useTestRelay } from './helpers.js';
import { call, userToken } from './membership-helpers.js';

let service: TestPushService;
const ctx = useTestRelay(async () => {
  service = await startPushService();
  return { push: { allowOrigins: [service.origin], trustedCa: service.ca, maxSubscriptionsPerUser: 5 } };
});
afterAll(() => service.close());

const subscribe = async (token: string | undefined, subscription: unknown) => call(ctx.relay, token, 'POST', '/push/subscriptions', { subscription });
const unsubscribe = async (token: string | undefined, endpoint: unknown) => {
  const res = await fetch(`${ctx.relay.url}/push/subscriptions`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ endpoint }),
  });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
};

describe('push routes', () => {
  it('serve the VAPID public key, generated once into the data directory (mode 0600) and kept across restarts', async () => {
    const { status, body } = await call(ctx.relay, undefined, 'GET', '/push/vapid-public-key');
    expect(status).toBe(200);
    const raw = Buffer.from(body.publicKey, 'base64url');
    expect(raw.length).toBe(65);
    expect(raw[0]).toBe(4);
    const file = join(ctx.dataDir, 'push', 'vapid-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).publicKey).toBe(body.publicKey);
    await ctx.restart();
    expect((await call(ctx.relay, undefined, 'GET', '/push/vapid-public-key')).body.publicKey).toBe(body.publicKey);
  });

  it('register a subscription (201), re-register it (200), remove it (204), then not find it (404)', async () => {
    const token = await userToken('ana');
    const sub = service.subscribe('ana-phone');
    const first = await subscribe(token, sub);
    expect(first.status).toBe(201);
    expect(first.body.id).toMatch(/^[0-9a-f]{24}$/);
    const again = await subscribe(token, sub);
    expect(again).toEqual({ status: 200, body: { id: first.body.id } });
    expect(await unsubscribe(token, sub.endpoint)).toEqual({ status: 204, body: undefined });
    expect((await unsubscribe(token, sub.endpoint)).body.error.code).toBe('not-found');
  });

  it('keep subscriptions across restarts, in files named by a hash of the user id (mode 0600)', async () => {
    const token = await userToken('olga/../../etc');
    const sub = service.subscribe('olga-tablet');
    expect((await subscribe(token, sub)).status).toBe(201);
    const dir = join(ctx.dataDir, 'push', 'subscriptions');
    const files = readdirSync(dir);
    expect(files.every((f) => /^[0-9a-f]{40}\.json$/.test(f))).toBe(true);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    await ctx.restart();
    expect((await unsubscribe(token, sub.endpoint)).status).toBe(204);
    await ctx.restart();
    expect((await unsubscribe(token, sub.endpoint)).status).toBe(404);
  });

  it('bind a subscription to the token’s user only: another user cannot remove it; posting it moves it to the poster', async () => {
    const ben = await userToken('ben');
    const eve = await userToken('eve');
    const sub = service.subscribe('ben-laptop');
    expect((await subscribe(ben, sub)).status).toBe(201);
    // Eve knows Ben's endpoint: her DELETE finds nothing of hers, and Ben's stays.
    expect(await unsubscribe(eve, sub.endpoint)).toEqual({ status: 404, body: { error: { code: 'not-found', message: expect.any(String) } } });
    expect((await subscribe(ben, sub)).status).toBe(200);
    // The same device signed in as Eve now: it is hers alone (the contract's "moves it to this user").
    expect((await subscribe(eve, sub)).status).toBe(200);
    expect((await unsubscribe(ben, sub.endpoint)).status).toBe(404);
    expect((await unsubscribe(eve, sub.endpoint)).status).toBe(204);
  });

  it('refuse requests without a valid token (401)', async () => {
    const sub = service.subscribe('x');
    expect((await subscribe(undefined, sub)).body.error.code).toBe('unauthorized');
    expect((await subscribe('not-a-token', sub)).status).toBe(401);
    const expired = await mintToken({ sub: 'ana', ttl: -60 });
    expect((await subscribe(expired, sub)).status).toBe(401);
    expect((await unsubscribe(undefined, sub.endpoint)).status).toBe(401);
  });

  it('refuse malformed subscriptions (400 bad-subscription) and bodies (400, 415)', async () => {
    const token = await userToken('ana');
    const good = service.subscribe('y');
    const bad = [
      undefined,
      'https://fcm.googleapis.com/fcm/send/x',
      { ...good, endpoint: 'http://fcm.googleapis.com/fcm/send/x' },
      { ...good, endpoint: 'https://user:pw@fcm.googleapis.com/fcm/send/x' },
      { ...good, endpoint: `https://fcm.googleapis.com/${'a'.repeat(1100)}` },
      { ...good, keys: { p256dh: good.keys.p256dh.slice(2), auth: good.keys.auth } },
      { ...good, keys: { p256dh: good.keys.p256dh, auth: 'short' } },
      { ...good, keys: undefined },
      { ...good, expirationTime: 'tomorrow' },
    ];
    for (const subscription of bad) {
      const { status, body } = await subscribe(token, subscription);
      expect([status, body.error.code], JSON.stringify(subscription)?.slice(0, 80)).toEqual([400, 'bad-subscription']);
    }
    expect((await call(ctx.relay, token, 'POST', '/push/subscriptions', { subscription: good, extra: 1 })).body.error.code).toBe('bad-request');
    const text = await fetch(`${ctx.relay.url}/push/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).toBe(415);
    const broken = await fetch(`${ctx.relay.url}/push/subscriptions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"subscription":' });
    expect([broken.status, (await broken.json()).error.code]).toEqual([400, 'bad-json']);
    expect((await unsubscribe(token, 42)).body.error.code).toBe('bad-request');
  });

  it('refuse an endpoint outside the allow-list (403), so the relay never requests an address a client chose', async () => {
    const token = await userToken('ana');
    const good = service.subscribe('z');
    // The test push service itself, under another name: not an allowed origin.
    const port = new URL(service.origin).port;
    for (const endpoint of [`https://localhost:${port}/push/z`, 'https://169.254.169.254/latest/meta-data', 'https://fcm.googleapis.com.evil.example/x', 'https://example.com/push']) {
      const { status, body } = await subscribe(token, { ...good, endpoint });
      expect([status, body.error.code], endpoint).toEqual([403, 'endpoint-not-allowed']);
    }
    // The browsers' push services are allowed by default.
    for (const endpoint of ['https://fcm.googleapis.com/fcm/send/abc', 'https://updates.push.services.mozilla.com/wpush/v2/abc', 'https://web.push.apple.com/QAbc', 'https://wns2-by3p.notify.windows.com/w/?token=abc']) {
      const { status } = await subscribe(token, { ...good, endpoint });
      expect(status, endpoint).toBe(201);
      expect((await unsubscribe(token, endpoint)).status).toBe(204);
    }
    expect(service.to('z')).toEqual([]);
  });

  it('bound the subscriptions of one user (429) and the body size (413)', async () => {
    const token = await userToken('flood');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await subscribe(token, service.subscribe(`flood-${i}`))).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
    const refused = await subscribe(token, service.subscribe('flood-7'));
    expect(refused.body.error.code).toBe('too-many-subscriptions');
    // Removing one makes room again.
    expect((await unsubscribe(token, `${service.origin}/push/flood-0`)).status).toBe(204);
    expect((await subscribe(token, service.subscribe('flood-8'))).status).toBe(201);
    const big = { subscription: { ...service.subscribe('big'), padding: 'x'.repeat(9000) } };
    const { status, body } = await call(ctx.relay, token, 'POST', '/push/subscriptions', big);
    expect([status, body.error.code]).toEqual([413, 'too-large']);
  });
});

describe('push switched off', () => {
  const off = useTestRelay({ push: { enabled: false } });
  it('answer 404 push-disabled on every push route', async () => {
    const token = await userToken('ana');
    expect(await call(off.relay, undefined, 'GET', '/push/vapid-public-key')).toEqual({ status: 404, body: { error: { code: 'push-disabled', message: expect.any(String) } } });
    expect((await call(off.relay, token, 'POST', '/push/subscriptions', { subscription: {} })).body.error.code).toBe('push-disabled');
  });
});
