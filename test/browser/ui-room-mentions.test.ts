// @mentions in <chat-room>: the picker (keyboard, mouse, ARIA, axe), the record's ids, the highlight and chat-mention at the other user.
import { expect } from '@esm-bundle/chai';
import { sendKeys } from '@web/test-runner-commands';
import type { ChatRoom } from '../../client/ui/chat-room/chat-room.js';
import '../../client/ui/chat-thread/chat-thread.js';
import { axeViolations } from './support/axe.js';
import { closeAll, open, until } from './support/helpers.js';
import type { ChatMentionDetail } from '../../client/ui/chat-room/chat-room.events.js';
import { $, $$, messageWith, mountRoom, uniqueRoom, uniqueUser, unmountAll, waitFor, waitForMessage, whenSynced } from './ui-helpers.js';


/** Ada, Bob and Cleo in one room, each element synced and Ada knowing the others' profiles (who the picker offers). */
async function trio(): Promise<{ ada: ChatRoom; bob: ChatRoom; cleo: ChatRoom; ids: { ada: string; bob: string; cleo: string } }> {
  const room = uniqueRoom('ui-mentions');
  const users = { ada: uniqueUser('Ada'), bob: uniqueUser('Bob'), cleo: uniqueUser('Cleo') };
  const ada = await mountRoom({ room, user: users.ada, attributes: { theme: 'light' } });
  const bob = await mountRoom({ room, user: users.bob });
  const cleo = await mountRoom({ room, user: users.cleo });
  for (const el of [ada, bob, cleo]) await whenSynced(el);
  await waitFor(() => {
    const profiles = ada.activeConversation?.getState().profiles;
    return profiles?.has(users.bob.id) && profiles.has(users.cleo.id);
  }, { what: 'profiles of Bob and Cleo at Ada' });
  return { ada, bob, cleo, ids: { ada: users.ada.id, bob: users.bob.id, cleo: users.cleo.id } };
}

const input = (el: ChatRoom): HTMLTextAreaElement => $(el, '[part="input"]') as HTMLTextAreaElement;
const options = (el: ChatRoom): HTMLElement[] => $$(el, '[role="option"]');
const record = (el: ChatRoom, text: string) => el.activeConversation!.getState().messages.find((m) => m.text.includes(text));

describe('ui: @mentions in <chat-room>', () => {
  afterEach(unmountAll);

  it('opens on @, filters as one types, moves with the keyboard, inserts @Name and sends the id', async () => {
    const { ada, bob, ids } = await trio();
    const mentions: ChatMentionDetail[] = [];
    bob.addEventListener('chat-mention', (e) => mentions.push(e.detail));
    input(ada).focus();
    await sendKeys({ type: 'hi @' });
    await waitFor(() => options(ada).length === 2, { what: 'Bob and Cleo offered' });
    expect(options(ada).map((o) => o.dataset.user)).to.deep.equal([ids.bob, ids.cleo]);
    // The combobox pattern on a native textbox: pointing at its listbox and the active option, with a live count.
    const box = input(ada);
    expect(box.getAttribute('aria-autocomplete')).to.equal('list');
    expect(ada.shadowRoot!.getElementById(box.getAttribute('aria-controls')!)!.getAttribute('role')).to.equal('listbox');
    expect(box.getAttribute('aria-activedescendant')).to.equal(options(ada)[0]!.id);
    expect($(ada, '[role="status"][aria-live="polite"]').textContent).to.contain('2 people');
    await sendKeys({ press: 'ArrowDown' });
    await ada.updateComplete;
    expect(box.getAttribute('aria-activedescendant')).to.equal(options(ada)[1]!.id);
    expect(options(ada)[1]!.getAttribute('aria-selected')).to.equal('true');
    await sendKeys({ press: 'ArrowUp' });
    // Typing filters: only Bob is left.
    await sendKeys({ type: 'Bo' });
    await waitFor(() => options(ada).length === 1, { what: 'only Bob' });
    await sendKeys({ press: 'Enter' });
    await ada.updateComplete;
    expect(box.value).to.equal('hi @Bob ');
    expect(box.hasAttribute('aria-activedescendant')).to.equal(false);
    expect(options(ada)).to.have.length(0);
    await sendKeys({ type: 'look' });
    await sendKeys({ press: 'Enter' });
    await waitFor(() => record(ada, 'look'), { what: 'sent' });
    expect(record(ada, 'look')!.mentions).to.deep.equal([ids.bob]);

    // Bob sees his mention highlighted (the stronger style) and the element fired chat-mention.
    const row = await waitForMessage(bob, 'look');
    const mark = await waitFor(() => row.querySelector<HTMLElement>('mark.mention'), { what: 'the highlight at Bob' });
    expect(mark.textContent).to.equal('@Bob');
    expect(mark.hasAttribute('data-self')).to.equal(true);
    await waitFor(() => mentions.length === 1, { what: 'chat-mention' });
    expect(mentions[0]!.message.text).to.equal('hi @Bob look');
    expect(mentions[0]!.authorName).to.equal('Ada');
    // At Ada's it is highlighted too, as someone else's.
    const own = messageWith(ada, 'look')!.querySelector<HTMLElement>('mark.mention')!;
    expect(own.hasAttribute('data-self')).to.equal(false);
    const [self, other] = [getComputedStyle(mark).backgroundColor, getComputedStyle(own).backgroundColor];
    expect(self).to.not.equal(other);
  });

  it('Escape closes, Tab and a click choose, and only names still in the text are sent', async () => {
    const { ada, ids } = await trio();
    const box = input(ada);
    box.focus();
    await sendKeys({ type: '@C' });
    await waitFor(() => options(ada).length === 1, { what: 'Cleo offered' });
    await sendKeys({ press: 'Escape' });
    await ada.updateComplete;
    expect(options(ada)).to.have.length(0);
    expect(box.value).to.equal('@C');
    // Nobody matches: no list.
    await sendKeys({ type: 'zz' });
    await ada.updateComplete;
    expect(options(ada)).to.have.length(0);
    box.select();
    await sendKeys({ type: '@Cl' });
    await waitFor(() => options(ada).length === 1, { what: 'Cleo again' });
    await sendKeys({ press: 'Tab' });
    await ada.updateComplete;
    expect(box.value).to.equal('@Cleo ');
    await sendKeys({ type: 'and @' });
    await waitFor(() => options(ada).length === 2, { what: 'both offered' });
    options(ada).find((o) => o.dataset.user === ids.bob)!.click();
    await ada.updateComplete;
    expect(box.value).to.equal('@Cleo and @Bob ');
    // Bob's name is taken out of the text before sending: only Cleo is mentioned.
    box.value = '@Cleo and nobody else';
    box.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    await ada.updateComplete;
    await sendKeys({ press: 'Enter' });
    await waitFor(() => record(ada, 'nobody else'), { what: 'sent' });
    expect(record(ada, 'nobody else')!.mentions).to.deep.equal([ids.cleo]);
  });

  it('is axe-clean with the picker open', async () => {
    const { ada } = await trio();
    input(ada).focus();
    await sendKeys({ type: '@' });
    await waitFor(() => options(ada).length === 2, { what: 'picker open' });
    expect(await axeViolations(ada)).to.deep.equal([]);
  });

  it('works the same in a thread: picker, the reply’s ids, the highlight, and an unread mention for the mentioned user', async () => {
    const room = uniqueRoom('ui-mentions-thread');
    const [adaUser, bobUser] = [uniqueUser('Ada'), uniqueUser('Bob')];
    const ada = await open(room, adaUser);
    const bob = await open(room, bobUser);
    await until(ada, (s) => s.connection.synced && s.profiles.has(bobUser.id), 'Bob’s profile at Ada');
    await until(bob, (s) => s.connection.synced, 'bob synced');
    const root = await ada.send('thread root');
    const panel = document.createElement('chat-thread');
    panel.conversation = ada;
    panel.root = root.id;
    document.body.append(panel);
    try {
      await panel.updateComplete;
      const shadow = panel.shadowRoot!;
      const textarea = await waitFor(() => shadow.querySelector('textarea'), { what: 'thread composer' });
      textarea.focus();
      await sendKeys({ type: '@Bo' });
      await waitFor(() => shadow.querySelectorAll('[role="option"]').length === 1, { what: 'Bob offered in the thread' });
      expect(textarea.getAttribute('aria-activedescendant')).to.equal(shadow.querySelector('[role="option"]')!.id);
      await sendKeys({ press: 'Enter' });
      await sendKeys({ type: 'see this' });
      await sendKeys({ press: 'Enter' });
      await until(bob, (s) => s.messages.some((m) => m.threadRoot === root.id && m.mentions?.[0] === bobUser.id), 'the reply with Bob’s id at Bob');
      // A thread reply Bob has not read counts as an unread mention for him (not for Ada, its author).
      await until(bob, (s) => s.unreadMentions === 1, 'one unread mention for Bob');
      expect(ada.getState().unreadMentions).to.equal(0);
      const mark = await waitFor(() => shadow.querySelector<HTMLElement>('.msg.reply mark.mention'), { what: 'the highlight in the thread' });
      expect(mark.textContent).to.equal('@Bob');
    } finally {
      panel.remove();
      await closeAll();
    }
  });
});
