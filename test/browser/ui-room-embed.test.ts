// <chat-room> as an embed: theming through --parley-* and ::part, slots, events, keyboard-only use, axe-core clean (members panel, reactions, undo and counter included).
import { expect } from '@esm-bundle/chai';
import { sendKeys } from '@web/test-runner-commands';
import type { ChatSendDetail, ChatStatusDetail } from '../../client/ui/chat-room/chat-room.js';
import { axeViolations } from './support/axe.js';
import { $, messageWith, mountRoom, sendText, uniqueRoom, uniqueUser, unmountAll, waitFor, waitForMessage, whenSynced } from './ui-helpers.js';


describe('ui: <chat-room> embed API', () => {
  afterEach(unmountAll);

  it('takes colours from --parley-* custom properties and ::part() rules, and follows theme="dark"', async () => {
    const room = uniqueRoom('ui-theme');
    const style = document.createElement('style');
    style.textContent = `chat-room.themed { --parley-accent: rgb(1, 2, 3); --parley-bg: rgb(250, 240, 230); }
      chat-room.themed::part(header) { background-color: rgb(9, 8, 7); }`;
    document.head.append(style);
    try {
      const plain = await mountRoom({ room, user: uniqueUser('Ada') });
      const themed = await mountRoom({ room, user: uniqueUser('Bob') });
      themed.classList.add('themed');
      await themed.updateComplete;
      expect(getComputedStyle($(themed, '[part="send"]')).backgroundColor).to.equal('rgb(1, 2, 3)');
      expect(getComputedStyle(themed).backgroundColor).to.equal('rgb(250, 240, 230)');
      expect(getComputedStyle($(themed, '[part="header"]')).backgroundColor).to.equal('rgb(9, 8, 7)');
      expect(getComputedStyle($(plain, '[part="send"]')).backgroundColor).to.not.equal('rgb(1, 2, 3)');
      // Dark and light defaults differ; the attribute overrides prefers-color-scheme.
      plain.setAttribute('theme', 'light');
      const light = getComputedStyle(plain).backgroundColor;
      plain.setAttribute('theme', 'dark');
      const dark = getComputedStyle(plain).backgroundColor;
      expect(light).to.equal('rgb(255, 255, 255)');
      expect(dark).to.not.equal(light);
    } finally {
      style.remove();
    }
  });

  it('shows the header and empty slots, and fires chat-status, chat-send (cancelable) and chat-unread', async () => {
    const room = uniqueRoom('ui-slots');
    const user = uniqueUser('Ada');
    const statuses: ChatStatusDetail[] = [];
    const sends: ChatSendDetail[] = [];
    document.addEventListener('chat-status', (e) => statuses.push(e.detail));
    const el = await mountRoom({ room, user });
    el.innerHTML = '<b slot="header">Custom header</b><i slot="empty">Nothing here yet</i>';
    await whenSynced(el);
    const headerSlot = $(el, 'slot[name="header"]') as HTMLSlotElement;
    expect(headerSlot.assignedElements().map((e) => e.textContent)).to.deep.equal(['Custom header']);
    const emptySlot = $(el, 'slot[name="empty"]') as HTMLSlotElement;
    expect(emptySlot.assignedElements().map((e) => e.textContent)).to.deep.equal(['Nothing here yet']);
    // Events bubble out of the shadow root to the document.
    expect(statuses.map((s) => s.status)).to.include('connected');
    expect(statuses.at(-1)!.synced).to.equal(true);

    el.addEventListener('chat-send', (e) => {
      sends.push(e.detail);
      if (e.detail.text === 'blocked') e.preventDefault();
    });
    await sendText(el, 'blocked');
    await sendText(el, 'allowed');
    await waitForMessage(el, 'allowed');
    expect(sends.map((s) => s.text)).to.deep.equal(['blocked', 'allowed']);
    expect(el.activeConversation!.getState().messages.map((m) => m.text)).to.deep.equal(['allowed']);
  });

  it('is usable with the keyboard only: Tab to the composer, type, Enter sends, Shift+Enter adds a line', async () => {
    const room = uniqueRoom('ui-keys');
    const before = document.createElement('button');
    before.textContent = 'before';
    document.body.prepend(before);
    try {
      const el = await mountRoom({ room, user: uniqueUser('Ada') });
      await whenSynced(el);
      before.focus();
      // Tab until the composer has focus (the log and header come first).
      for (let i = 0; i < 10 && el.shadowRoot!.activeElement !== $(el, '[part="input"]'); i++) await sendKeys({ press: 'Tab' });
      expect(el.shadowRoot!.activeElement).to.equal($(el, '[part="input"]'));
      await sendKeys({ type: 'line one' });
      await sendKeys({ down: 'Shift' });
      await sendKeys({ press: 'Enter' });
      await sendKeys({ up: 'Shift' });
      await sendKeys({ type: 'line two' });
      await sendKeys({ press: 'Enter' });
      const sent = await waitForMessage(el, 'line one');
      expect(sent.querySelector('.text')!.textContent).to.equal('line one\nline two');
      // Arrow keys move through messages in the log; the focused message's actions join the tab order.
      const log = $(el, '[part="messages"]');
      log.focus();
      await sendKeys({ press: 'ArrowUp' });
      await el.updateComplete;
      expect(el.shadowRoot!.activeElement?.getAttribute('data-id')).to.equal(sent.getAttribute('data-id'));
      await sendKeys({ press: 'Tab' });
      expect(el.shadowRoot!.activeElement?.getAttribute('data-action')).to.equal('reply');
      // Up in the empty composer edits the last own message; Esc cancels.
      ($(el, '[part="input"]') as HTMLTextAreaElement).focus();
      await sendKeys({ press: 'ArrowUp' });
      await el.updateComplete;
      expect(($(el, '[part="input"]') as HTMLTextAreaElement).value).to.equal('line one\nline two');
      await sendKeys({ press: 'Escape' });
      await el.updateComplete;
      expect(($(el, '[part="input"]') as HTMLTextAreaElement).value).to.equal('');
    } finally {
      before.remove();
    }
  });

  it('has no axe-core violations, empty or with messages, in light and dark', async () => {
    const room = uniqueRoom('ui-axe');
    const ada = await mountRoom({ room, user: uniqueUser('Ada'), attributes: { theme: 'light' } });
    expect(await axeViolations(ada)).to.deep.equal([]);
    const bob = await mountRoom({ room, user: uniqueUser('Bob'), attributes: { theme: 'dark' } });
    await whenSynced(ada);
    await whenSynced(bob);
    await sendText(ada, 'hello https://example.com');
    await waitForMessage(bob, 'hello');
    await sendText(bob, 'hi there');
    await waitForMessage(ada, 'hi there');
    await waitFor(() => ada.shadowRoot!.querySelector('[part~="tick"][data-status="read"]'), { what: 'read tick' });
    for (const el of [ada, bob]) expect(await axeViolations(el)).to.deep.equal([]);
    // Open the members panel, show a reaction with who reacted, a delete waiting for undo and the counter.
    $(ada, '[part="presence"]').click();
    await bob.activeConversation!.react(messageWith(bob, 'hello')!.dataset.id!, '🎉');
    const reaction = await waitFor(() => messageWith(ada, 'hello')?.querySelector<HTMLElement>('[part="reaction"]'), { what: 'reaction' });
    reaction.focus();
    messageWith(ada, 'hello')!.querySelector<HTMLButtonElement>('[data-action="delete"]')!.click();
    const input = $(ada, '.input') as HTMLTextAreaElement;
    input.value = 'x'.repeat(7_300);
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    await ada.updateComplete;
    expect(ada.shadowRoot!.querySelector('[part="members"]')).to.not.equal(null);
    expect(ada.shadowRoot!.querySelector('[part="undo"]')).to.not.equal(null);
    expect(ada.shadowRoot!.querySelector('[part="counter"]')).to.not.equal(null);
    for (const theme of ['light', 'dark']) {
      ada.setAttribute('theme', theme);
      await ada.updateComplete;
      expect(await axeViolations(ada), theme).to.deep.equal([]);
    }
    ada.shadowRoot!.querySelector<HTMLButtonElement>('[part="undo"] button')!.click();
  });
});
