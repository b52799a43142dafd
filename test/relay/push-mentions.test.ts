// Mentions and push levels against a real relay: level "mentions" (the group default) is notified of mentions only, a muted one only at that level.
import { afterAll, describe, expect, it } from 'vitest';
import { newMessageId } from '../../shared/ids.js';
import type { MessageRecord } from '../../shared/schema.js';
import { startPushService, type TestPushService } from '../support/push-service.js';
import { useTestRelay, waitFor } from './helpers.js';
import { create, userToken } from './membership-helpers.js';
import { considered, online, setRoomPreferences, settled, subscribeDevice } from './push-helpers.js';

let service: TestPushService;
const ctx = useTestRelay(async () => {
  service = await startPushService();
  return { membership: { creation: 'open' }, push: { allowOrigins: [service.origin], trustedCa: service.ca, collapseMs: 100 } };
});
afterAll(() => service.close());

const FAR = 253402300799000;

describe('mentions', () => {
  it('notify members at level mentions (default in groups), and muted members only at that level', async () => {
    const members = ['dan', 'eve', 'fay', 'gus', 'hip'];
    const room = await create(ctx.relay, await userToken('ana'), { kind: 'group', title: 'Eng', members });
    for (const user of members) await subscribeDevice(ctx.relay, service, user, `${user}-1`);
    await setRoomPreferences(ctx.relay, 'eve', room, { notify: 'mentions', mutedUntil: FAR });
    await setRoomPreferences(ctx.relay, 'fay', room, { notify: 'all', mutedUntil: FAR });
    await setRoomPreferences(ctx.relay, 'gus', room, { notify: 'none' });
    const ana = await online(ctx.relay, 'ana', room);
    const post = (text: string, mentions?: string[]) => {
      const record: MessageRecord = { id: newMessageId(), author: 'ana', text, createdAt: Date.now(), ...(mentions ? { mentions } : {}) };
      ana.doc.getArray<MessageRecord>('messages').push([record]);
      return record;
    };
    const before = await considered(ctx.relay);
    post('nobody in particular');
    await settled(ctx.relay, before + 1);
    expect(service.received.filter((r) => members.some((m) => r.device === `${m}-1`))).toEqual([]);

    const mention = post('@dan @eve @fay @gus have a look', ['dan', 'eve', 'fay', 'gus']);
    await settled(ctx.relay, before + 2);
    await waitFor(() => service.to('dan-1').length === 1 && service.to('eve-1').length === 1, 5000, 'dan’s and eve’s pushes');
    for (const user of ['dan', 'eve']) {
      const [push] = service.to(`${user}-1`);
      expect(push!.payload, user).toMatchObject({ room, messageId: mention.id, mention: true, count: 1, title: 'Eng' });
      expect(push!.headers.urgency).toBe('high');
    }
    // fay: muted at level all (a mute silences all but mentions at level mentions); gus: none; hip: not mentioned.
    for (const user of ['fay', 'gus', 'hip']) expect(service.to(`${user}-1`), user).toEqual([]);
    ana.destroy();
  });
});
