// Unit tests of the UI's pure parts: the height index, day order, people lines, room names, key navigation, banner status.
import { expect } from '@esm-bundle/chai';
import type { ConversationState, MessageView } from '../../client/index.js';
import { HeightIndex } from '../../client/ui/chat-room/height-index.js';
import { separatorTimes } from '../../client/ui/chat-room/day-order.js';
import { ago, people, peopleSummary, personLine } from '../../client/ui/chat-room/people.js';
import { navigate } from '../../client/ui/chat-room/message-navigation.js';
import { bannerStatus } from '../../client/ui/chat-room/room-status.js';
import { roomNameFrom } from '../../client/ui/chat-app/room-name.js';

describe('ui parts', () => {
  it('HeightIndex: windows by prefix sums, measured heights win over the estimate, reset keeps the average', () => {
    const index = new HeightIndex(10);
    index.setIds(['a', 'b', 'c', 'd']);
    expect(index.total).to.equal(40);
    expect(index.measure('b', 30)).to.equal(true);
    expect(index.measure('b', 30)).to.equal(false);
    expect(index.offsetOf(2)).to.equal(40);
    expect(index.indexAt(39)).to.equal(1);
    expect(index.window(40, 10, 0)).to.deep.equal({ start: 2, end: 4, before: 40, after: 0 });
    index.reset();
    expect(index.total).to.equal(120);
  });

  it('separatorTimes: the running latest time, so a late message keeps the section it landed in', () => {
    const m = (createdAt: number): MessageView => ({ createdAt }) as MessageView;
    expect([...separatorTimes([m(5), m(9), m(2), m(12)])]).to.deep.equal([5, 9, 9, 12]);
  });

  it('people: the other person in a conversation of two, the group size otherwise, last seen for those away', () => {
    const now = Date.UTC(2026, 0, 10, 12);
    const state = {
      userId: 'me',
      profiles: new Map([
        ['me', { name: 'Me' }],
        ['bob', { name: 'Bob', lastSeen: now - 5 * 60_000 }],
      ]),
      presence: [{ id: 'me', name: 'Me', presence: 'online', typing: false, self: true }],
    } as unknown as ConversationState;
    const list = people(state, (id) => state.profiles.get(id)?.name ?? id);
    expect(list.map((p) => p.id)).to.deep.equal(['me', 'bob']);
    expect(peopleSummary(list, now)).to.equal('last seen 5 min ago');
    expect(personLine({ ...list[1]!, here: true, presence: 'busy', status: 'Lunch' })).to.equal('Busy · Lunch');
    expect(peopleSummary([list[0]!, list[1]!, { ...list[1]!, id: 'cy', here: true }], now)).to.equal('3 members · 2 here');
    expect(peopleSummary([list[0]!], now)).to.equal('Only you so far');
    expect(ago(now - 30_000, now)).to.equal('just now');
    expect(ago(now - 3 * 3_600_000, now)).to.equal('3 h ago');
  });

  it('roomNameFrom: valid names unchanged, typed names made valid, nothing usable refused', () => {
    expect(roomNameFrom('team.room_1~x')).to.equal('team.room_1~x');
    expect(roomNameFrom('  my team room ')).to.equal('my-team-room');
    expect(roomNameFrom('Café crème!')).to.equal('Cafe-creme');
    expect(roomNameFrom('!!! ???')).to.equal(undefined);
    expect(roomNameFrom('')).to.equal(undefined);
    expect(roomNameFrom('a b'.repeat(100))!.length).to.be.at.most(128);
  });

  it('navigate: arrows move by one within bounds, Home/End jump, other keys do nothing', () => {
    expect(navigate('ArrowUp', 3, 10)).to.equal(2);
    expect(navigate('ArrowUp', 0, 10)).to.equal(0);
    expect(navigate('ArrowDown', 9, 10)).to.equal(9);
    expect(navigate('ArrowUp', -1, 10)).to.equal(9);
    expect(navigate('Home', 5, 10)).to.equal(0);
    expect(navigate('End', 5, 10)).to.equal(9);
    expect(navigate('a', 5, 10)).to.equal(undefined);
    expect(navigate('ArrowUp', -1, 0)).to.equal(undefined);
  });

  it('bannerStatus: a problem stays through reconnect attempts until synced', () => {
    expect(bannerStatus('offline', 'connecting')).to.equal('offline');
    expect(bannerStatus('offline', 'syncing')).to.equal('offline');
    expect(bannerStatus('auth-expired', 'connecting')).to.equal('auth-expired');
    expect(bannerStatus('offline', 'synced')).to.equal('synced');
    expect(bannerStatus(undefined, 'connecting')).to.equal('connecting');
    expect(bannerStatus('offline', 'forbidden')).to.equal('forbidden');
  });
});
