// The client's push modules in Node: the relay API's requests (against a real HTTP server), subscribing and unsubscribing, notification content, app links.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRoomLink, roomLink } from '../../client/push/app-link.js';
import { genericNotification, notificationFor, parsePushPayload, readNotificationData } from '../../client/push/notification-content.js';
import { pushApi, type PushApi } from '../../client/push/push-api.js';
import { PushError, describePushError } from '../../client/push/push-error.js';
import { base64UrlToBytes, registerPush, unregisterPush, type PushManagerLike, type PushSubscriptionLike } from '../../client/push/push-subscriber.js';
import { readOpenRoom, readRoomAnswer } from '../../client/push/sw-messages.js';
import type { PushPayload, PushSubscriptionJson } from '../../shared/push.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const KEY = b64(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i)));
const subscriptionJson = (n = 1): PushSubscriptionJson => ({
  endpoint: `https://push.example.test/send/${n}`,
  expirationTime: null,
  keys: { p256dh: KEY, auth: b64(new Uint8Array(16).fill(n)) },
});

describe('push api: the requests the relay gets', () => {
  interface Seen { method: string; url: string; authorization?: string; contentType?: string; body: string }
  const seen: Seen[] = [];
  let server: Server;
  let base = '';
  /** Answers as PUSH.md says, per path; `refuse` makes POST answer a given status and error. */
  let refuse: { status: number; code?: string } | undefined;
  const read = (req: IncomingMessage): Promise<string> => new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => resolve(text));
  });
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const body = await read(req);
      seen.push({ method: req.method!, url: req.url!, body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}) });
      const json = (status: number, value?: unknown) => {
        res.writeHead(status, value === undefined ? {} : { 'content-type': 'application/json' });
        res.end(value === undefined ? undefined : JSON.stringify(value));
      };
      if (refuse) return json(refuse.status, refuse.code ? { error: { code: refuse.code, message: `refused: ${refuse.code}` } } : undefined);
      if (req.method === 'GET' && req.url === '/push/vapid-public-key') return json(200, { publicKey: KEY });
      if (req.method === 'POST' && req.url === '/push/subscriptions') return json(201, { id: 's1' });
      if (req.method === 'DELETE' && req.url === '/push/subscriptions') return json(204);
      return json(404, { error: { code: 'not-found', message: 'no such endpoint' } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const api = (): PushApi => pushApi({ relayUrl: base, getToken: async () => 'header.payload.signature' });

  it('sends the token in the Authorization header only, the subscription and endpoint as JSON bodies', async () => {
    seen.length = 0;
    refuse = undefined;
    expect(await api().vapidPublicKey()).toBe(KEY);
    expect(await api().register(subscriptionJson())).toEqual({ id: 's1' });
    await api().unregister(subscriptionJson().endpoint);
    expect(seen.map((s) => [s.method, s.url])).toEqual([['GET', '/push/vapid-public-key'], ['POST', '/push/subscriptions'], ['DELETE', '/push/subscriptions']]);
    expect(seen[0]!.authorization).toBeUndefined();
    for (const s of seen.slice(1)) {
      expect(s.authorization).toBe('Bearer header.payload.signature');
      expect(s.contentType).toBe('application/json');
    }
    expect(seen.every((s) => !s.url.includes('header.payload'))).toBe(true);
    expect(JSON.parse(seen[1]!.body)).toEqual({ subscription: subscriptionJson() });
    expect(JSON.parse(seen[2]!.body)).toEqual({ endpoint: subscriptionJson().endpoint });
  });

  it("turns the relay's refusals into PushErrors with its code and status", async () => {
    for (const [status, code] of [[400, 'bad-subscription'], [403, 'endpoint-not-allowed'], [429, 'too-many-subscriptions'], [401, 'bad-token']] as const) {
      refuse = { status, code };
      const error = await api().register(subscriptionJson()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PushError);
      expect([(error as PushError).code, (error as PushError).status]).toEqual([code, status]);
      expect(describePushError(error)).toContain(code);
    }
    refuse = { status: 404, code: 'not-found' };
    expect(((await api().unregister('https://push.example.test/x').catch((e: unknown) => e)) as PushError).code).toBe('not-found');
    // Push switched off, or no push routes at all: `push-disabled` either way.
    refuse = { status: 404, code: 'push-disabled' };
    expect(((await api().vapidPublicKey().catch((e: unknown) => e)) as PushError).code).toBe('push-disabled');
    refuse = { status: 404, code: 'not-found' };
    expect(((await api().vapidPublicKey().catch((e: unknown) => e)) as PushError).code).toBe('push-disabled');
    refuse = { status: 500 };
    expect(((await api().register(subscriptionJson()).catch((e: unknown) => e)) as PushError).code).toBe('http');
    refuse = undefined;
    const down = pushApi({ relayUrl: 'http://127.0.0.1:1', getToken: async () => 't' });
    expect(((await down.vapidPublicKey().catch((e: unknown) => e)) as PushError).code).toBe('network');
  });
});

describe('push subscriber: subscribing and unsubscribing through the PushManager seam', () => {
  class FakeManager implements PushManagerLike {
    current: PushSubscriptionLike | null = null;
    log: string[] = [];
    fail: Error | undefined;
    json: unknown = subscriptionJson(7);
    async getSubscription() {
      return this.current;
    }
    async subscribe(options: { userVisibleOnly: true; applicationServerKey: Uint8Array }) {
      if (this.fail) throw this.fail;
      this.log.push(`subscribe:${b64(options.applicationServerKey).slice(0, 6)}`);
      const json = this.json;
      const key = options.applicationServerKey;
      const sub: PushSubscriptionLike = {
        endpoint: (json as { endpoint?: string }).endpoint ?? '',
        options: { applicationServerKey: key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength) as ArrayBuffer },
        toJSON: () => json,
        unsubscribe: async () => {
          this.log.push('unsubscribe');
          this.current = null;
          return true;
        },
      };
      this.current = sub;
      return sub;
    }
  }
  const recordingApi = (key = KEY, unregisterError?: PushError) => {
    const calls: string[] = [];
    const api: PushApi = {
      vapidPublicKey: async () => key,
      register: async (s) => {
        calls.push(`register:${s.endpoint}`);
        return { id: 'x' };
      },
      unregister: async (endpoint) => {
        calls.push(`unregister:${endpoint}`);
        if (unregisterError) throw unregisterError;
      },
    };
    return { api, calls };
  };

  it('subscribes with the relay key, reuses the subscription on the next start, replaces one made with another key', async () => {
    const manager = new FakeManager();
    const { api, calls } = recordingApi();
    expect(await registerPush({ api, pushManager: async () => manager })).toEqual(subscriptionJson(7));
    await registerPush({ api, pushManager: async () => manager });
    expect(manager.log).toEqual([`subscribe:${KEY.slice(0, 6)}`]);
    expect(calls).toEqual(['register:https://push.example.test/send/7', 'register:https://push.example.test/send/7']);
    // The relay's keys changed: the old subscription is ended and a new one made with the new key.
    const otherKey = b64(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 255 - i)));
    await registerPush({ api: recordingApi(otherKey).api, pushManager: async () => manager });
    expect(manager.log).toEqual([`subscribe:${KEY.slice(0, 6)}`, 'unsubscribe', `subscribe:${otherKey.slice(0, 6)}`]);
  });

  it('reports a blocked permission, a failing push service and a malformed browser subscription as PushErrors', async () => {
    const manager = new FakeManager();
    manager.fail = Object.assign(new Error('permission denied'), { name: 'NotAllowedError' });
    expect(((await registerPush({ api: recordingApi().api, pushManager: async () => manager }).catch((e: unknown) => e)) as PushError).code).toBe('permission-denied');
    manager.fail = Object.assign(new Error('push service not available'), { name: 'AbortError' });
    expect(((await registerPush({ api: recordingApi().api, pushManager: async () => manager }).catch((e: unknown) => e)) as PushError).code).toBe('subscribe-failed');
    manager.fail = undefined;
    manager.json = { endpoint: 'http://insecure.example/x', keys: {} };
    const { api, calls } = recordingApi();
    expect(((await registerPush({ api, pushManager: async () => manager }).catch((e: unknown) => e)) as PushError).code).toBe('bad-subscription');
    expect(calls).toEqual([]);
  });

  it('on logout: unregisters at the relay, then unsubscribes, also when the relay fails; not-found counts as done', async () => {
    const manager = new FakeManager();
    await registerPush({ api: recordingApi().api, pushManager: async () => manager });
    const { api, calls } = recordingApi();
    expect(await unregisterPush({ api, pushManager: async () => manager })).toBe('https://push.example.test/send/7');
    expect(calls).toEqual(['unregister:https://push.example.test/send/7']);
    expect(manager.log.at(-1)).toBe('unsubscribe');
    expect(await unregisterPush({ api, pushManager: async () => manager })).toBeUndefined();

    await registerPush({ api: recordingApi().api, pushManager: async () => manager });
    const gone = recordingApi(KEY, new PushError('not-found', 'no such subscription', 404));
    expect(await unregisterPush({ api: gone.api, pushManager: async () => manager })).toBe('https://push.example.test/send/7');
    await registerPush({ api: recordingApi().api, pushManager: async () => manager });
    const down = recordingApi(KEY, new PushError('network', 'the relay could not be reached'));
    await expect(unregisterPush({ api: down.api, pushManager: async () => manager })).rejects.toThrow('could not be reached');
    expect(manager.current).toBeNull();
    // No Push API here: nothing to undo, no error.
    expect(await unregisterPush({ api, pushManager: async () => Promise.reject(new PushError('unsupported', 'none')) })).toBeUndefined();
  });

  it('decodes base64url keys with or without padding', () => {
    expect([...base64UrlToBytes('AQID')]).toEqual([1, 2, 3]);
    expect([...base64UrlToBytes('_-8')]).toEqual([255, 239]);
    expect([...base64UrlToBytes('_-8=')]).toEqual([255, 239]);
  });
});

describe('notification content', () => {
  const payload = (change: Partial<PushPayload> = {}): PushPayload => ({
    v: 1, room: 'c.team', messageId: 'm1', title: 'Team', kind: 'group', mention: false, count: 1, at: 1_700_000_000_000,
    sender: 'bob', senderName: 'Bob', preview: 'hello', ...change,
  });

  it('titles with the conversation, tags per conversation, body "Sender: preview" or counts when the text is hidden', () => {
    expect(notificationFor(payload())).toEqual({
      title: 'Team',
      options: { tag: 'parley:c.team', renotify: true, body: 'Bob: hello', timestamp: 1_700_000_000_000, data: { room: 'c.team', messageId: 'm1' } },
    });
    expect(notificationFor(payload({ mention: true })).options.body).toBe('Bob mentioned you: hello');
    expect(notificationFor(payload({ count: 4 })).options.body).toBe('Bob: hello (4 new messages)');
    expect(notificationFor(payload({ preview: '' })).options.body).toBe('Bob sent a message');
    const { sender, senderName, preview, ...hidden } = payload();
    void sender; void senderName; void preview;
    expect(notificationFor(hidden).options.body).toBe('New message');
    expect(notificationFor({ ...hidden, count: 5 }).options.body).toBe('5 new messages');
    expect(notificationFor({ ...hidden, mention: true }).options.body).toBe('New message: mentioned you');
    expect(notificationFor(payload({ title: '' })).title).toBe('c.team');
    expect([...notificationFor(payload({ preview: 'x'.repeat(2000) })).options.body].length).toBeLessThanOrEqual(420);
  });

  it('reads only well-formed v1 payloads; anything else is a generic notification', () => {
    expect(parsePushPayload(JSON.stringify(payload()))).toEqual(payload());
    for (const bad of [undefined, '', 'x', '[]', 'null', '{"v":1}', JSON.stringify({ ...payload(), v: 2 }), JSON.stringify({ ...payload(), room: 'a/b' }),
      JSON.stringify({ ...payload(), kind: 'dm' }), JSON.stringify({ ...payload(), count: 0 }), JSON.stringify({ ...payload(), preview: 5 }),
      JSON.stringify({ ...payload(), messageId: 'x'.repeat(201) })]) {
      expect(parsePushPayload(bad), String(bad)).toBeUndefined();
    }
    expect(genericNotification()).toEqual({ title: 'Parley', options: { tag: 'parley:new-message', renotify: true, body: 'New message', data: {} } });
    expect(readNotificationData({ room: 'c.team', messageId: 'm1' })).toEqual({ room: 'c.team', messageId: 'm1' });
    expect(readNotificationData({ room: '../x' })).toEqual({});
    expect(readNotificationData(null)).toEqual({});
  });

  it('reads the worker messages defensively', () => {
    expect(readRoomAnswer({ app: true, room: 'r', visible: true, focused: false })).toEqual({ app: true, room: 'r', visible: true, focused: false });
    expect(readRoomAnswer({ room: 'r' })).toBeUndefined();
    expect(readOpenRoom({ type: 'parley:open-room', room: 'r', messageId: 5 })).toEqual({ type: 'parley:open-room', room: 'r' });
    expect(readOpenRoom({ type: 'other', room: 'r' })).toBeUndefined();
  });
});

describe('app links', () => {
  it('round-trips a room and a message, and refuses what is not a room link', () => {
    expect(roomLink('team')).toBe('#/room/team');
    expect(roomLink('c.x', 'm/1')).toBe('#/room/c.x/message/m%2F1');
    expect(parseRoomLink(roomLink('c.x', 'm/1'))).toEqual({ room: 'c.x', messageId: 'm/1' });
    expect(parseRoomLink('#/room/team')).toEqual({ room: 'team' });
    expect(parseRoomLink('#/room/..')).toBeUndefined();
    expect(parseRoomLink('#/room/a%2Fb')).toBeUndefined();
    expect(parseRoomLink('#/invite/abc')).toBeUndefined();
    expect(parseRoomLink('#/room/%E0')).toBeUndefined();
  });
});
