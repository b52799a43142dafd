// <chat-search> in real Chromium: results stream in as the user types, highlights, filters typed as words, keyboard selection.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { sendMessage, type Writer } from '../../shared/conversation.js';
import '../../client/ui/chat-search/chat-search.js';
import type { ChatSearch, ChatSearchSelectDetail } from '../../client/ui/chat-search/chat-search.js';
import { openLocalSearch, type LocalSearch } from '../../client/search/local-search.js';
import { parseSearchInput } from '../../client/search/query-syntax.js';
import { uniqueRoom, uniqueUser, waitFor } from './support/helpers.js';

const ada: Writer = { userId: 'ada', role: 'write' };
const bob: Writer = { userId: 'bob', role: 'write' };

const type = async (el: ChatSearch, text: string): Promise<void> => {
  const input = el.shadowRoot!.querySelector('input')!;
  input.focus();
  for (let i = 1; i <= text.length; i++) {
    input.value = text.slice(0, i);
    input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
  }
  await el.updateComplete;
};
const key = (el: ChatSearch, name: string): void => {
  el.shadowRoot!.querySelector('input')!.dispatchEvent(new KeyboardEvent('keydown', { key: name, bubbles: true, composed: true }));
};
const rows = (el: ChatSearch): HTMLLIElement[] => [...el.shadowRoot!.querySelectorAll('li')];
const status = (el: ChatSearch): string => el.shadowRoot!.querySelector('.status')?.textContent?.trim() ?? '';

describe('search syntax', () => {
  it('reads filters and leaves unreadable ones as words', () => {
    const request = parseSearchInput('budget from:Ada has:file after:2025-01-31 before:2025-03-01 in:team q3', {
      resolveAuthor: (name) => (name === 'Ada' ? 'ada-id' : undefined),
    });
    expect(request.text).to.equal('budget q3');
    expect(request.author).to.equal('ada-id');
    expect(request.room).to.equal('team');
    expect(request.hasAttachment).to.equal(true);
    expect(request.from).to.equal(new Date(2025, 1, 1).getTime());
    expect(request.to).to.equal(new Date(2025, 2, 1).getTime());
    const on = parseSearchInput('on:2025-03-30 x');
    expect(on.to! - on.from!).to.be.within(23 * 3600_000, 25 * 3600_000);
    expect(parseSearchInput('after:2025-02-30 has:cake from:').text).to.equal('after:2025-02-30 has:cake from:');
  });
});

describe('<chat-search>', () => {
  let search: LocalSearch;
  let el: ChatSearch;
  const room = uniqueRoom('search-ui');
  const other = uniqueRoom('search-ui-other');
  const doc = new Y.Doc();
  const otherDoc = new Y.Doc();
  const first = sendMessage(doc, ada, { text: 'The Ünicorn meeting moved to Friday' });
  const second = sendMessage(doc, bob, { text: 'unicorns everywhere, a unicorn parade' });
  const third = sendMessage(otherDoc, ada, { text: 'unicorn sticker order' });

  before(async () => {
    search = openLocalSearch({ userId: uniqueUser('Ui').id });
    search.watch(room, doc);
    search.watch(other, otherDoc);
    await waitFor(async () => (await search.search({ text: 'unicorn' })).total === 3);
  });
  after(async () => {
    await search.close();
  });
  afterEach(() => el?.remove());

  async function mount(attributes: Record<string, string> = {}): Promise<ChatSearch> {
    el = document.createElement('chat-search');
    for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
    el.search = search;
    el.nameOf = (id) => ({ ada: 'Ada Lovelace', bob: 'Bob' })[id] ?? id;
    el.roomTitle = (r) => (r === room ? 'Team' : 'Other');
    document.body.append(el);
    await el.updateComplete;
    return el;
  }

  it('streams results while typing, highlights the matched words and shows author, conversation and time', async () => {
    await mount();
    const totals: number[] = [];
    el.addEventListener('chat-search-results', (e) => totals.push(e.detail.total));
    await type(el, 'unic');
    await waitFor(() => rows(el).length === 3, { what: 'three results' });
    expect(totals.at(-1)).to.equal(3);
    const marks = [...el.shadowRoot!.querySelectorAll('mark')].map((m) => m.textContent);
    expect(marks).to.include('Ünicorn');
    expect(marks).to.include('unicorns');
    const row = rows(el).find((r) => r.dataset['message'] === first.id)!;
    expect(row.textContent).to.contain('Ada Lovelace');
    expect(row.textContent).to.contain('Team');
    expect(row.querySelector('time')!.getAttribute('datetime')).to.equal(new Date(first.createdAt).toISOString());
    expect(status(el)).to.match(/^3 messages/);
  });

  it('searches one conversation when room is set, and filters typed as words', async () => {
    await mount({ room });
    await type(el, 'unicorn');
    await waitFor(() => rows(el).length === 2);
    expect(rows(el).map((r) => r.dataset['message']).sort()).to.deep.equal([first.id, second.id].sort());
    expect(rows(el)[0]!.textContent).not.to.contain('Team');
    el.setQuery('unicorn from:bob');
    await waitFor(() => rows(el).length === 1 && rows(el)[0]!.dataset['message'] === second.id);
  });

  it('selects with the keyboard and says when only common words were typed', async () => {
    await mount();
    await type(el, 'sticker');
    await waitFor(() => rows(el).length === 1);
    const selected = new Promise<ChatSearchSelectDetail>((resolve) => el.addEventListener('chat-search-select', (e) => resolve(e.detail)));
    key(el, 'ArrowDown');
    key(el, 'Enter');
    expect(await selected).to.deep.equal({ room: other, messageId: third.id });
    el.setQuery('the and of');
    await el.updateComplete;
    // Only common words: nothing to search (no request), and no stale rows left.
    await waitFor(() => rows(el).length === 0);
    el.setQuery('the unicorn of');
    await waitFor(() => rows(el).length === 3);
    const closed = new Promise((resolve) => el.addEventListener('chat-search-close', resolve));
    key(el, 'Escape');
    await closed;
  });
});
