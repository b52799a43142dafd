// <chat-room> history: 10,000 messages virtualized, scroll position kept when history lands above, jump to latest, day separators.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import type { MessageRecord } from '../../shared/conversation.js';
import { newMessageId } from '../../shared/conversation.js';
import type { ChatRoom } from '../../client/ui/chat-room/chat-room.js';
import { openConversation } from '../../client/index.js';
import { $, $$, mountRoom, uniqueRoom, uniqueUser, unmountAll, waitFor } from './ui-helpers.js';

// Nothing listens there: this test is about rendering, so the conversation stays local (no relay frame limits).
const NO_RELAY = 'ws://127.0.0.1:9';
const DAY = 86_400_000;

const records = (count: number, label: string, start: number): MessageRecord[] =>
  Array.from({ length: count }, (_, i) => ({
    id: newMessageId(),
    author: i % 3 === 0 ? 'zed-writer' : 'amy-writer',
    // Some rows wrap over several lines, so heights vary and estimates are wrong on purpose.
    text: `${label} ${i}${i % 7 === 0 ? ' — a longer message that wraps over a few lines in a narrow element, to vary row heights'.repeat(2) : ''}`,
    createdAt: start + i * 60_000,
  }));

const rowIds = (el: ChatRoom): string[] => $$(el, '.row').map((r) => r.dataset.id!);
const firstVisibleRow = (el: ChatRoom): HTMLElement => {
  const top = $(el, '[part="messages"]').getBoundingClientRect().top;
  return $$(el, '.row').find((r) => r.getBoundingClientRect().bottom > top + 20)!;
};
/** A row's top relative to the top of the scrolling list. */
const topInLog = (el: ChatRoom, row: HTMLElement): number => row.getBoundingClientRect().top - $(el, '[part="messages"]').getBoundingClientRect().top;
const frame = (): Promise<void> => new Promise((resolve) => requestAnimationFrame(() => resolve()));

describe('ui: <chat-room> history', () => {
  afterEach(unmountAll);

  it('keeps only the visible window of 10,000 messages in the DOM and keeps the view steady when history lands above', async () => {
    const el = await mountRoom({ room: uniqueRoom('ui-history'), user: uniqueUser('Ada'), relayUrl: NO_RELAY });
    const conversation = await waitFor(() => (el.activeConversation?.getState().loaded ? el.activeConversation : undefined), { what: 'loaded' });
    const scratch = new Y.Doc();
    const start = Date.now() - 9 * DAY;
    scratch.getArray<MessageRecord>('messages').push(records(10_000, 'message', start));
    const t0 = performance.now();
    Y.applyUpdate(conversation.doc, Y.encodeStateAsUpdate(scratch));
    await waitFor(() => $$(el, '.text').some((t) => t.textContent === 'message 9999'), { what: 'latest message shown' });
    const firstPaint = performance.now() - t0;
    const rendered = $$(el, '.row').length;
    console.log(`10,000 messages: latest shown after ${firstPaint.toFixed(0)} ms with ${rendered} rows in the DOM`);
    expect(rendered).to.be.lessThan(60);

    // Scroll to the very top: the first message renders, still only a window of rows.
    const log = $(el, '[part="messages"]');
    const scrollTimes: number[] = [];
    for (let step = 1; step <= 20; step++) {
      const begin = performance.now();
      log.scrollTop = log.scrollHeight * (1 - step / 20);
      await frame();
      await el.updateComplete;
      scrollTimes.push(performance.now() - begin);
    }
    await waitFor(async () => {
      log.scrollTop = 0;
      await frame();
      await el.updateComplete;
      return $$(el, '.text').some((t) => t.textContent?.startsWith('message 0'));
    }, { what: 'first message shown' });
    expect($$(el, '.row')[0]!.querySelector('[part="day"]'), 'day separator above the first message').to.not.equal(null);
    console.log(`scrolling 10,000 messages: ${(scrollTimes.reduce((a, b) => a + b, 0) / scrollTimes.length).toFixed(1)} ms per step (scroll + frame + render)`);
    expect($$(el, '.row').length).to.be.lessThan(60);
    expect($(el, '[part="jump"]').textContent).to.contain('Latest');

    // Somewhere in the middle, 200 older messages land above (another replica's history): the view does not move.
    log.scrollTop = log.scrollHeight / 2;
    await waitFor(async () => {
      await frame();
      await el.updateComplete;
      return true;
    });
    const anchor = firstVisibleRow(el);
    const anchorId = anchor.dataset.id!;
    // Measured against the list, not the page: what sits above the list (the connection banner) is not the list's business.
    const anchorTop = topInLog(el, anchor);
    scratch.getArray<MessageRecord>('messages').insert(0, records(200, 'older', start - DAY));
    Y.applyUpdate(conversation.doc, Y.encodeStateAsUpdate(scratch));
    await waitFor(() => conversation.getState().messages.length === 10_200, { what: 'older history merged' });
    await el.updateComplete;
    await frame();
    await el.updateComplete;
    const after = $$(el, '.row').find((r) => r.dataset.id === anchorId);
    expect(after, 'anchor row still rendered').to.not.equal(undefined);
    expect(Math.abs(topInLog(el, after!) - anchorTop)).to.be.lessThan(2);

    // Jump to latest.
    $(el, '[part="jump"]').click();
    await waitFor(() => $$(el, '.text').some((t) => t.textContent === 'message 9999'), { what: 'back at the latest' });
    await waitFor(() => el.shadowRoot!.querySelector('[part="jump"]') === null, { what: 'jump button gone' });
    expect(rowIds(el).length).to.be.lessThan(60);
  });

  it('keeps the offline banner through reconnect attempts, so the list does not jump by a line at each attempt', async () => {
    // The relay cannot be reached: the connection goes offline, then retries (connecting) and fails again, over and over.
    const el = await mountRoom({ room: uniqueRoom('ui-banner'), user: uniqueUser('Ada'), relayUrl: NO_RELAY });
    await waitFor(() => el.status === 'offline', { what: 'offline' });
    await el.updateComplete;
    const logTop = (): number => $(el, '[part="messages"]').getBoundingClientRect().top;
    const top = logTop();
    const statuses: string[] = [];
    const banners = new Set<string>();
    const tops = new Set<number>();
    const look = async (): Promise<void> => {
      await el.updateComplete;
      banners.add($(el, '[part="banner"]').dataset.state!);
      tops.add(Math.round(logTop() - top));
    };
    el.addEventListener('chat-status', (event) => {
      statuses.push(event.detail.status);
      void look();
    });
    await waitFor(() => statuses.includes('connecting') && statuses.lastIndexOf('offline') > statuses.indexOf('connecting'), {
      what: 'a reconnect attempt that failed again',
      timeoutMs: 30_000,
    });
    await look();
    expect([...banners], 'banner states seen during the attempts').to.deep.equal(['offline']);
    expect([...tops], 'moves of the list').to.deep.equal([0]);
  });

  it('shows an unread divider above the first unread message', async () => {
    const user = uniqueUser('Ada');
    const room = uniqueRoom('ui-divider');
    // Another device of this user read up to message 4 of 10; the cache holds all ten when the element opens.
    const conversation = openConversation({ relayUrl: NO_RELAY, room, user, getToken: () => Promise.reject(new Error('offline')) });
    await conversation.loaded;
    const scratch = new Y.Doc();
    const list = records(10, 'note', Date.now() - 3_600_000);
    scratch.getArray<MessageRecord>('messages').push(list);
    scratch.getArray(`receipts:${user.id}`).push([{ delivered: list[4]!.id, read: list[4]!.id }]);
    Y.applyUpdate(conversation.doc, Y.encodeStateAsUpdate(scratch));
    await waitFor(() => conversation.getState().unread === 5, { what: 'five unread' });
    await conversation.close();
    const el = await mountRoom({ room, user, relayUrl: NO_RELAY });
    await waitFor(() => el.shadowRoot!.querySelector('[part="unread-divider"]'), { what: 'divider' });
    const divider = $(el, '[part="unread-divider"]');
    expect(divider.textContent).to.contain('New messages');
    expect(divider.closest('.row')!.querySelector('.text')!.textContent).to.equal('note 5');
  });
});
