// Who gets a push for a new message, with what, and how failures of the push service are borne: a real relay, real sockets, a real push service.
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { editMessage, react, sendMessage, setProfile } from '../../shared/operations.js';
import { startPushService, type TestPushService } from '../support/push-service.js';
import { textsOf, useTestRelay, waitFor } from './helpers.js';
import { create, userToken, call } from './membership-helpers.js';
import { muxClient } from './mux-client.js';
import { metric } from './helpers.js';
import { considered, counter, gauge, online, setHideMessageText, setRoomPreferences, settled, subscribeDevice } from './push-helpers.js';

let service: TestPushService;
const ctx = useTestRelay(async () => {
  service = await startPushService();
  return {
    membership: { creation: 'open' },
    push: { allowOrigins: [service.origin], trustedCa: service.ca, collapseMs: 150, backoffMs: 20, maxAttempts: 4, timeoutMs: 60_000 },
  };
});
afterAll(() => service.close());

const writer = (userId: string) => ({ userId, role: 'write' as const });
const FAR = 253402300799000;

describe('who gets a push', () => {
  it('an offline member of a direct conversation gets one push for a burst, with count, preview and sender; the author none', async () => {
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'direct', members: ['ben'] });
    await subscribeDevice(ctx.relay, service, 'ben', 'ben-1');
    await subscribeDevice(ctx.relay, service, 'ana', 'ana-1');
    const ana = await online(ctx.relay, 'ana', room);
    const before = await considered(ctx.relay);
    let last = '';
    ana.doc.transact(() => {
      setProfile(ana.doc, writer('ana'), { name: 'Ana Lovelace' });
      sendMessage(ana.doc, writer('ana'), { text: 'one' });
      sendMessage(ana.doc, writer('ana'), { text: 'two' });
      last = sendMessage(ana.doc, writer('ana'), { text: `three ${'é'.repeat(200)}` }).id;
    });
    await waitFor(() => service.to('ben-1').length === 1, 10_000, 'ben’s push');
    await settled(ctx.relay, before + 3);
    const [push] = service.to('ben-1');
    expect(push!.vapidError).toBeUndefined();
    expect(push!.decryptError).toBeUndefined();
    expect(push!.payload).toEqual({
      v: 1, room, messageId: last, title: 'Ana Lovelace', kind: 'direct', mention: false, count: 3, at: expect.any(Number),
      sender: 'ana', senderName: 'Ana Lovelace', preview: `three ${'é'.repeat(134)}`,
    });
    expect(push!.headers).toMatchObject({ ttl: '86400', urgency: 'high', 'content-encoding': 'aes128gcm' });
    expect(push!.headers.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(push!.headers)).not.toContain(room);
    expect(service.to('ana-1')).toEqual([]);
    ana.destroy();
  });

  it('in a group: offline at level all gets it; online, default level (mentions), muted and level none get none', async () => {
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'group', title: 'Team', members: ['ben', 'cat', 'dan', 'eve', 'fay'] });
    for (const user of ['ben', 'cat', 'dan', 'eve', 'fay']) await subscribeDevice(ctx.relay, service, user, `${user}-team`);
    await setRoomPreferences(ctx.relay, 'ben', room, { notify: 'all' });
    await setRoomPreferences(ctx.relay, 'cat', room, { notify: 'all' });
    await setRoomPreferences(ctx.relay, 'eve', room, { notify: 'all', mutedUntil: FAR });
    await setRoomPreferences(ctx.relay, 'fay', room, { notify: 'none' });
    const cat = await online(ctx.relay, 'cat', room);
    const ana = await online(ctx.relay, 'ana', room);
    const before = await considered(ctx.relay);
    const levelBefore = await counter(ctx.relay, 'parley_push_decisions_total', 'outcome', 'level');
    const first = sendMessage(ana.doc, writer('ana'), { text: 'stand-up in 5' });
    await waitFor(() => service.to('ben-team').length === 1, 10_000, 'ben’s push');
    await settled(ctx.relay, before + 1);
    expect(service.to('ben-team')[0]!.payload).toMatchObject({ room, title: 'Team', kind: 'group', count: 1, messageId: first.id, mention: false, preview: 'stand-up in 5' });
    expect(service.to('ben-team')[0]!.headers.urgency).toBe('normal');
    for (const user of ['cat', 'dan', 'eve', 'fay']) expect(service.to(`${user}-team`), user).toEqual([]);
    // dan (default: mentions), eve (muted) and fay (none) were decided against; cat was online, so never a candidate.
    expect(await counter(ctx.relay, 'parley_push_decisions_total', 'outcome', 'level')).toBe(levelBefore + 3);

    // Edits and reactions notify nobody: the next push is the next new message's alone (count 1).
    editMessage(ana.doc, writer('ana'), first.id, 'stand-up in 10');
    react(ana.doc, writer('ana'), first.id, '👍');
    const second = sendMessage(ana.doc, writer('ana'), { text: 'room 4' });
    await waitFor(() => service.to('ben-team').length === 2, 10_000, 'ben’s second push');
    expect(service.to('ben-team')[1]!.payload).toMatchObject({ messageId: second.id, count: 1, preview: 'room 4' });

    // Hide message text: only the conversation's title leaves the relay.
    await setHideMessageText(ctx.relay, 'ben', true);
    sendMessage(ana.doc, writer('ana'), { text: 'secret plans' });
    await waitFor(() => service.to('ben-team').length === 3, 10_000, 'ben’s third push');
    const hidden = service.to('ben-team')[2]!.payload!;
    expect(hidden).toMatchObject({ title: 'Team', count: 1 });
    expect(hidden).not.toHaveProperty('preview');
    expect(hidden).not.toHaveProperty('sender');
    expect(hidden).not.toHaveProperty('senderName');
    await setHideMessageText(ctx.relay, 'ben', false);

    // Logout: the device's subscription is removed, so nothing more reaches it.
    const endpoint = `${service.origin}/push/ben-team`;
    const res = await fetch(`${ctx.relay.url}/push/subscriptions`, { method: 'DELETE', headers: { authorization: `Bearer ${await userToken('ben')}`, 'content-type': 'application/json' }, body: JSON.stringify({ endpoint }) });
    expect(res.status).toBe(204);
    const count = await considered(ctx.relay);
    sendMessage(ana.doc, writer('ana'), { text: 'after logout' });
    await settled(ctx.relay, count + 1);
    expect(service.to('ben-team')).toHaveLength(3);
    cat.destroy();
    ana.destroy();
  });

  it('a member online in the conversation gets none (the message reaches them live)', async () => {
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'direct', members: ['gil'] });
    await subscribeDevice(ctx.relay, service, 'gil', 'gil-1');
    const ana = await online(ctx.relay, 'ana', room);
    const gil = await online(ctx.relay, 'gil', room);
    const before = await considered(ctx.relay);
    sendMessage(ana.doc, writer('ana'), { text: 'seen live' });
    await settled(ctx.relay, before + 1);
    await waitFor(() => textsOf(gil.doc).includes('seen live'), 5000, 'gil got the message live');
    expect(service.to('gil-1')).toEqual([]);
    ana.destroy();
    gil.destroy();
  });

  it('counts /sync connections as online too; once closed, the member gets pushes for messages written over /sync', async () => {
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'direct', members: ['nia'] });
    await subscribeDevice(ctx.relay, service, 'nia', 'nia-1');
    const ana = muxClient(ctx.relay, await userToken('ana'));
    const nia = muxClient(ctx.relay, await userToken('nia'));
    await Promise.all([ana.opened, nia.opened]);
    const a = ana.attach(room);
    const n = nia.attach(room);
    await waitFor(() => a.synced && n.synced, 5000, 'both attached');
    const before = await considered(ctx.relay);
    sendMessage(a.doc, writer('ana'), { text: 'over sync' });
    await settled(ctx.relay, before + 1);
    await waitFor(() => textsOf(n.doc).includes('over sync'), 5000, 'nia got it live');
    expect(service.to('nia-1')).toEqual([]);
    const connections = await metric(ctx.relay, 'parley_connections');
    nia.ws.close();
    await waitFor(async () => (await metric(ctx.relay, 'parley_connections')) === connections - 1, 5000, 'nia’s socket gone');
    const last = sendMessage(a.doc, writer('ana'), { text: 'now offline' });
    await waitFor(() => service.to('nia-1').length === 1, 10_000, 'nia’s push');
    expect(service.to('nia-1')[0]!.payload).toMatchObject({ messageId: last.id, count: 1, preview: 'now offline' });
    ana.ws.close();
  });
});

describe('push service failures', () => {
  it('410 prunes the subscription: no request follows', async () => {
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'direct', members: ['hal'] });
    await subscribeDevice(ctx.relay, service, 'hal', 'hal-1');
    service.behave('hal-1', 410);
    const subscriptions = await gauge(ctx.relay, 'parley_push_subscriptions');
    const ana = await online(ctx.relay, 'ana', room);
    sendMessage(ana.doc, writer('ana'), { text: 'are you there?' });
    await waitFor(() => service.to('hal-1').length === 1, 10_000, 'the push answered 410');
    await waitFor(async () => (await gauge(ctx.relay, 'parley_push_subscriptions')) === subscriptions - 1, 5000, 'the subscription pruned');
    const before = await considered(ctx.relay);
    sendMessage(ana.doc, writer('ana'), { text: 'hello?' });
    await settled(ctx.relay, before + 1);
    expect(service.to('hal-1')).toHaveLength(1);
    // Also gone for its user: removing it now finds nothing.
    const res = await call(ctx.relay, await userToken('hal'), 'DELETE', '/push/subscriptions', { endpoint: `${service.origin}/push/hal-1` });
    expect(res.status).toBe(404);
    ana.destroy();
  });

  it('500 is retried with growing backoff, then given up; a later success after 500s is delivered; messages flow meanwhile', async () => {
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'group', title: 'Ops', members: ['ivy', 'jon'] });
    await subscribeDevice(ctx.relay, service, 'ivy', 'ivy-1');
    await setRoomPreferences(ctx.relay, 'ivy', room, { notify: 'all' });
    service.behave('ivy-1', 500);
    const failed = await counter(ctx.relay, 'parley_push_sent_total', 'outcome', 'failed');
    const ana = await online(ctx.relay, 'ana', room);
    const jon = await online(ctx.relay, 'jon', room);
    sendMessage(ana.doc, writer('ana'), { text: 'deploy now' });
    await waitFor(() => service.to('ivy-1').length === 4, 10_000, 'four tries');
    await waitFor(async () => (await counter(ctx.relay, 'parley_push_sent_total', 'outcome', 'failed')) === failed + 1, 5000, 'given up');
    const times = service.to('ivy-1').map((r) => r.at);
    // Backoff 20, 40, 80 ms: each wait at least as long as asked (never shorter, however loaded the machine).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(20 * 2 ** (i - 1) - 1);
    // Every try carried the same (decryptable) notification.
    expect(new Set(service.to('ivy-1').map((r) => r.payload?.preview))).toEqual(new Set(['deploy now']));
    expect(textsOf(jon.doc)).toContain('deploy now');

    service.behave('ivy-1', 201, [500, 500]);
    const before = await considered(ctx.relay);
    sendMessage(ana.doc, writer('ana'), { text: 'deployed' });
    await settled(ctx.relay, before + 1);
    const tries = service.to('ivy-1').slice(4);
    expect(tries.map((r) => r.status)).toEqual([500, 500, 201]);
    await waitFor(() => textsOf(jon.doc).includes('deployed'), 5000, 'jon got the message');

    // 429 Too Many Requests (Retry-After: 0) is retried too.
    service.behave('ivy-1', 201, [429]);
    const next = await considered(ctx.relay);
    sendMessage(ana.doc, writer('ana'), { text: 'rolled back' });
    await settled(ctx.relay, next + 1);
    expect(service.to('ivy-1').slice(7).map((r) => [r.status, r.payload?.preview])).toEqual([[429, 'rolled back'], [201, 'rolled back']]);
    ana.destroy();
    jon.destroy();
  });

  it('a push service that never answers delays neither fan-out nor other pushes', async () => {
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'group', title: 'Busy', members: ['kim', 'lou', 'max'] });
    await subscribeDevice(ctx.relay, service, 'kim', 'kim-1');
    await subscribeDevice(ctx.relay, service, 'max', 'max-1');
    await setRoomPreferences(ctx.relay, 'kim', room, { notify: 'all' });
    await setRoomPreferences(ctx.relay, 'max', room, { notify: 'all' });
    service.behave('kim-1', 'hang');
    const ana = await online(ctx.relay, 'ana', room);
    const lou = await online(ctx.relay, 'lou', room);
    sendMessage(ana.doc, writer('ana'), { text: 'first' });
    await waitFor(() => service.to('kim-1').length === 1 && service.to('max-1').length === 1, 10_000, 'both pushes sent, kim’s hanging');
    // While kim's request hangs, messages still reach online members and other devices still get pushes.
    for (let i = 0; i < 5; i++) sendMessage(ana.doc, writer('ana'), { text: `more ${i}` });
    await waitFor(() => textsOf(lou.doc).includes('more 4'), 5000, 'lou got every message');
    await waitFor(() => service.to('max-1').length === 2, 10_000, 'max’s second push');
    expect(service.to('max-1')[1]!.payload).toMatchObject({ count: 5, preview: 'more 4' });
    expect(service.to('kim-1')).toHaveLength(2);
    ana.destroy();
    lou.destroy();
  });
});
