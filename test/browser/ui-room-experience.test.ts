// <chat-room> as people expect a chat to look and behave (issue 14): day order, bottom anchoring, actions beside the message, icons, ticks, undo, counter, header, members, rename.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import type { MessageRecord } from '../../shared/conversation.js';
import { newMessageId } from '../../shared/conversation.js';
import type { ChatRoom } from '../../client/ui/chat-room/chat-room.js';
import { $, $$, messageWith, mountPair, mountRoom, sendText, uniqueRoom, uniqueUser, unmountAll, waitFor, waitForMessage, whenSynced } from './ui-helpers.js';

const NO_RELAY = 'ws://127.0.0.1:9';

/** Adds messages to a conversation's document directly, as another replica's history would arrive. */
async function seed(el: ChatRoom, list: MessageRecord[]): Promise<void> {
  const conversation = await waitFor(() => (el.activeConversation?.getState().loaded ? el.activeConversation : undefined), { what: 'loaded' });
  const scratch = new Y.Doc();
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(conversation.doc));
  scratch.getArray<MessageRecord>('messages').push(list);
  Y.applyUpdate(conversation.doc, Y.encodeStateAsUpdate(scratch));
  await waitFor(() => conversation.getState().messages.length >= list.length, { what: 'seeded' });
  await el.updateComplete;
}

const record = (text: string, createdAt: number, author = 'zed-writer'): MessageRecord => ({ id: newMessageId(), author, text, createdAt });

/** WCAG relative luminance contrast of two computed `rgb()` colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string): number => {
    const [r, g, bl] = c.match(/[\d.]+/g)!.slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}
const transparent = (c: string): boolean => c === 'rgba(0, 0, 0, 0)' || c === 'transparent';

describe('ui: <chat-room> experience', () => {
  afterEach(unmountAll);

  it('never puts a day separator that goes back in time: a late message stays where it landed, with its real day', async () => {
    const el = await mountRoom({ room: uniqueRoom('ui-days'), relayUrl: NO_RELAY });
    const today = new Date();
    today.setHours(0, 0, 0, 0);
    const start = today.getTime();
    await seed(el, [record('this morning', start + 60_000), record('a bit later', start + 120_000), record('written offline yesterday', start - 6 * 3_600_000)]);
    await waitFor(() => messageWith(el, 'written offline yesterday'), { what: 'late message shown' });
    expect($$(el, '[part="day"]').map((d) => d.textContent)).to.deep.equal(['Today']);
    const late = messageWith(el, 'written offline yesterday')!;
    expect(late.querySelector('time')!.textContent).to.contain('Yesterday');
    expect(messageWith(el, 'a bit later')!.querySelector('time')!.textContent).to.not.contain('Today');
  });

  it('anchors a short conversation to the bottom, next to the composer', async () => {
    const el = await mountRoom({ room: uniqueRoom('ui-short'), relayUrl: NO_RELAY });
    await seed(el, [record('one', Date.now() - 60_000), record('two', Date.now() - 30_000)]);
    await waitFor(() => messageWith(el, 'two'), { what: 'messages shown' });
    const log = $(el, '[part="messages"]').getBoundingClientRect();
    const last = messageWith(el, 'two')!.getBoundingClientRect();
    const first = messageWith(el, 'one')!.getBoundingClientRect();
    expect(log.bottom - last.bottom, 'last message at the bottom').to.be.lessThan(16);
    expect(first.top - log.top, 'empty space above').to.be.greaterThan(150);
  });

  it('shows message actions beside the message they act on, highlights the message being edited, and separates delete', async () => {
    const room = uniqueRoom('ui-actions-place');
    const { ada, bob } = await mountPair(room, { style: 'height: 420px; width: 520px; display: inline-flex;' });
    await sendText(bob, 'from bob');
    await waitForMessage(ada, 'from bob');
    await sendText(ada, 'from ada');
    await waitForMessage(ada, 'from ada');
    for (const [text, mine] of [['from bob', false], ['from ada', true]] as const) {
      const msg = messageWith(ada, text)!;
      msg.focus();
      await ada.updateComplete;
      const actions = msg.querySelector<HTMLElement>('[part="actions"]')!;
      expect(getComputedStyle(actions).visibility).to.equal('visible');
      const a = actions.getBoundingClientRect();
      const b = msg.querySelector('.bubble')!.getBoundingClientRect();
      const gap = mine ? b.left - a.right : a.left - b.right;
      expect(gap, `actions beside the bubble of "${text}"`).to.be.within(0, 24);
      expect(a.top, 'actions do not rise over the row above').to.be.at.least(msg.getBoundingClientRect().top - 1);
    }
    const own = messageWith(ada, 'from ada')!;
    expect(own.querySelector('[data-action="edit"] + .separator + [data-action="delete"]'), 'a separator between edit and delete').to.not.equal(null);
    // On a phone-sized element the focused message's actions go under its bubble, never over its text.
    ada.style.width = '340px';
    await waitFor(() => getComputedStyle(messageWith(ada, 'from bob')!.querySelector('.actions')!).display === 'none', { what: 'narrow layout' });
    const narrow = messageWith(ada, 'from bob')!;
    narrow.focus();
    await ada.updateComplete;
    const below = narrow.querySelector<HTMLElement>('[part="actions"]')!.getBoundingClientRect();
    expect(below.top, 'actions under the bubble').to.be.at.least(narrow.querySelector('.bubble')!.getBoundingClientRect().bottom - 1);
    ada.style.width = '520px';
    own.querySelector<HTMLButtonElement>('[data-action="edit"]')!.click();
    await ada.updateComplete;
    expect(messageWith(ada, 'from ada')!.hasAttribute('data-editing')).to.equal(true);
  });

  it('draws UI glyphs as labelled SVG icons (no emoji font needed) and ticks read apart from delivered with AA contrast in both themes', async () => {
    const room = uniqueRoom('ui-ticks');
    const ada = await mountRoom({ room, user: uniqueUser('Ada') });
    // Bob's element is there but not shown: his device gets the message (delivered) but does not read it.
    const bob = await mountRoom({ room, user: uniqueUser('Bob'), style: 'display: none; height: 420px; width: 420px;' });
    await whenSynced(ada);
    await waitFor(() => ada.activeConversation!.getState().profiles.size === 2, { what: 'both members' });
    await sendText(ada, 'tick me');
    const tickOf = (): HTMLElement | null | undefined => messageWith(ada, 'tick me')?.querySelector<HTMLElement>('[part~="tick"]');
    await waitFor(() => tickOf()?.dataset.status === 'delivered', { what: 'delivered tick', timeoutMs: 20_000 });
    const emoji = /\p{Extended_Pictographic}/u;
    // Every control's glyph is an SVG (emoji stay for reactions and their picker only).
    const controls = $$(ada, 'button').filter((b) => !b.closest('.reactions, .picker'));
    expect(controls.some((b) => b.matches('[part="attach-button"]')), 'the attach button is among them').to.equal(true);
    for (const button of controls) expect(button.textContent ?? '', `no emoji in ${button.getAttribute('aria-label') ?? button.className}`).to.not.match(emoji);
    expect(tickOf()!.querySelector('svg')).to.not.equal(null);
    expect(tickOf()!.getAttribute('aria-label')).to.equal('Delivered');
    const look = (): { color: string; background: string; bubble: string } => {
      const tick = tickOf()!;
      return { color: getComputedStyle(tick).color, background: getComputedStyle(tick).backgroundColor, bubble: getComputedStyle(tick.closest('.bubble')!).backgroundColor };
    };
    const delivered: Record<string, ReturnType<typeof look>> = {};
    for (const theme of ['light', 'dark']) {
      ada.setAttribute('theme', theme);
      await ada.updateComplete;
      delivered[theme] = look();
      expect(transparent(delivered[theme]!.background)).to.equal(true);
      expect(contrast(delivered[theme]!.color, delivered[theme]!.bubble), `delivered tick contrast (${theme})`).to.be.at.least(4.5);
    }
    bob.style.display = 'inline-flex';
    await waitFor(() => tickOf()?.dataset.status === 'read', { what: 'read tick', timeoutMs: 20_000 });
    for (const theme of ['light', 'dark']) {
      ada.setAttribute('theme', theme);
      await ada.updateComplete;
      const read = look();
      expect(transparent(read.background), `read tick is a filled badge (${theme})`).to.equal(false);
      expect(contrast(read.background, read.bubble), `read badge against the bubble (${theme})`).to.be.at.least(3);
      expect(contrast(read.color, read.background), `read tick on its badge (${theme})`).to.be.at.least(4.5);
      expect(read.background).to.not.equal(delivered[theme]!.background);
    }
  });

  it('deletes only after 5 s, with an Undo meanwhile', async () => {
    const el = await mountRoom({ room: uniqueRoom('ui-undo') });
    await whenSynced(el);
    await sendText(el, 'keep me');
    await sendText(el, 'delete me');
    const conversation = el.activeConversation!;
    await waitFor(() => messageWith(el, 'keep me')?.querySelector('[data-action="delete"]'), { what: 'delete button' });
    messageWith(el, 'keep me')!.querySelector<HTMLButtonElement>('[data-action="delete"]')!.click();
    await el.updateComplete;
    const undo = messageWith(el, 'keep me')!.querySelector<HTMLElement>('[part="undo"]')!;
    expect(undo.textContent).to.contain('Undo');
    undo.querySelector('button')!.click();
    await el.updateComplete;
    expect(messageWith(el, 'keep me')!.querySelector('[part="undo"]')).to.equal(null);
    messageWith(el, 'delete me')!.querySelector<HTMLButtonElement>('[data-action="delete"]')!.click();
    const started = Date.now();
    await waitFor(() => conversation.getState().messages.find((m) => m.text === 'delete me' || m.deleted)?.deleted, { what: 'deleted after the undo time', timeoutMs: 30_000 });
    expect(Date.now() - started, 'not before the undo time').to.be.at.least(4_900);
    expect(conversation.getState().messages.filter((m) => !m.deleted).map((m) => m.text)).to.deep.equal(['keep me']);
  });

  it('counts characters as a message nears the 8,000 limit and blocks sending past it', async () => {
    const el = await mountRoom({ room: uniqueRoom('ui-counter'), relayUrl: NO_RELAY });
    await waitFor(() => el.activeConversation?.getState().loaded, { what: 'loaded' });
    const input = $(el, '.input') as HTMLTextAreaElement;
    const type = async (text: string): Promise<void> => {
      input.value = text;
      input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
      await el.updateComplete;
    };
    await type('short');
    expect(el.shadowRoot!.querySelector('[part="counter"]')).to.equal(null);
    await type('x'.repeat(7_500));
    expect($(el, '[part="counter"]').textContent).to.match(/7,?500 \/ 8,?000/);
    await type('x'.repeat(8_010));
    expect($(el, '[part="counter"]').textContent).to.contain('10 characters too long');
    expect(($(el, '[part="send"]') as HTMLButtonElement).disabled).to.equal(true);
  });

  it('shows the other person in the header (presence, custom status, last seen), the group size, a members panel, and who reacted without hovering', async () => {
    const room = uniqueRoom('ui-header');
    const { ada, bob } = await mountPair(room);
    const subtitle = (): string => $(ada, '[part="subtitle"]').textContent?.trim() ?? '';
    await waitFor(() => /^(Online|Away)$/.test(subtitle()), { what: 'Bob online in the header' });
    bob.activeConversation!.setPresence('busy', 'In a meeting');
    await waitFor(() => subtitle() === 'Busy · In a meeting', { what: 'custom status in the header' });
    // Members panel: everyone with presence and status, no hover needed.
    $(ada, '[part="presence"]').click();
    await ada.updateComplete;
    const panel = $(ada, '[part="members"]');
    expect(panel.textContent).to.contain('Bob');
    expect(panel.textContent).to.contain('In a meeting');
    // Who reacted: visible when the reaction is focused (keyboard, or a tap on touch screens).
    await sendText(ada, 'react to me');
    const mine = await waitForMessage(bob, 'react to me');
    await bob.activeConversation!.react(mine.dataset.id!, '🎉');
    const reaction = await waitFor(() => messageWith(ada, 'react to me')?.querySelector<HTMLButtonElement>('[part="reaction"]'), { what: 'reaction' });
    reaction.focus();
    const who = reaction.querySelector<HTMLElement>('[part="reaction-who"]')!;
    expect(getComputedStyle(who).display).to.not.equal('none');
    expect(who.textContent).to.equal('Bob');
    expect(ada.shadowRoot!.getElementById(reaction.getAttribute('aria-describedby')!)?.textContent, 'who reacted describes the button').to.equal('Bob');
    // A third person makes it a group.
    const carol = await mountRoom({ room, user: uniqueUser('Carol') });
    await whenSynced(carol);
    await waitFor(() => subtitle() === '3 members · 3 here', { what: 'group summary' });
    // Bob leaves: Carol sees the group shrink to 2 here, and in the panel when Bob was last seen.
    const bobs = bob.activeConversation!;
    bob.remove();
    await bobs.close();
    await waitFor(() => subtitle() === '3 members · 2 here', { what: 'Bob gone', timeoutMs: 40_000 });
    await waitFor(() => /last seen|Offline/.test([...$(ada, '[part="members"]').querySelectorAll('.member')].find((m) => m.textContent?.includes('Bob'))?.textContent ?? ''), {
      what: 'Bob last seen',
    });
  });

  it('shows no connection banner while connecting and syncing normally (only when something is wrong)', async () => {
    const el = document.createElement('chat-room');
    const banners: string[] = [];
    el.addEventListener('chat-status', () => {
      void el.updateComplete.then(() => {
        const banner = el.shadowRoot!.querySelector<HTMLElement>('[part="banner"]');
        if (banner) banners.push(banner.dataset.state!);
      });
    });
    const mounted = await mountRoom({ room: uniqueRoom('ui-quiet-banner'), element: el });
    await whenSynced(mounted);
    await mounted.updateComplete;
    expect(banners).to.deep.equal([]);
    expect(mounted.shadowRoot!.querySelector('[part="banner"]')).to.equal(null);
  });

  it('shows a rename in typing and presence at once, not only on messages', async () => {
    const room = uniqueRoom('ui-rename');
    const { ada, bob } = await mountPair(room);
    bob.activeConversation!.setProfile({ name: 'Bobby Tables' });
    await waitFor(() => ada.activeConversation!.getState().profiles.get(bob.activeConversation!.getState().userId)?.name === 'Bobby Tables', { what: 'profile renamed' });
    const input = $(bob, '.input') as HTMLTextAreaElement;
    input.value = 'hel';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    await waitFor(() => $(ada, '[part="typing"]').textContent?.trim() === 'Bobby Tables is typing…', { what: 'typing under the new name' });
    expect($(ada, '[part="presence"]').textContent).to.contain('Bobby Tables');
    expect($(ada, '[part="presence"]').textContent).to.not.match(/\bBob \(/);
  });
});
