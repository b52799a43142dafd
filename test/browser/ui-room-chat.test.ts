// <chat-room> in real Chromium against a real relay: two elements chat, typing, receipt ticks, reply, reactions, edit, delete, safe text.
import { expect } from '@esm-bundle/chai';
import type { ChatMessageDetail } from '../../client/ui/chat-room/chat-room.js';
import { $, $$, bubbleTexts, messageWith, mountRoom, sendText, uniqueRoom, uniqueUser, unmountAll, waitFor, waitForMessage, whenSynced } from './ui-helpers.js';

describe('ui: <chat-room> two users chat through the relay', () => {
  afterEach(unmountAll);

  it('sends and receives, fires chat-message, announces in the light-DOM live region, and ticks up to read', async () => {
    const room = uniqueRoom('ui-chat');
    const ada = await mountRoom({ room, user: uniqueUser('Ada') });
    const bob = await mountRoom({ room, user: uniqueUser('Bob') });
    await whenSynced(ada);
    await whenSynced(bob);
    // Both must be members (profiles written on sync) for Ada's message to have a recipient.
    await waitFor(() => ada.activeConversation!.getState().profiles.size === 2, { what: 'both profiles' });
    const received: ChatMessageDetail[] = [];
    bob.addEventListener('chat-message', (e) => received.push(e.detail));

    await sendText(ada, 'hello bob');
    const mine = await waitForMessage(ada, 'hello bob');
    expect(mine.classList.contains('mine')).to.equal(true);
    expect(($(ada, '.input') as HTMLTextAreaElement).value).to.equal('');
    await waitForMessage(bob, 'hello bob');
    await waitFor(() => received.length === 1, { what: 'chat-message event' });
    expect(received[0]!.authorName).to.equal('Ada');
    expect(received[0]!.message.text).to.equal('hello bob');
    // The live region is a light-DOM child of the element, slotted into a visually hidden slot.
    const region = bob.querySelector('[aria-live="polite"]')!;
    expect(region.getAttribute('slot')).to.equal('announcer');
    await waitFor(() => region.textContent === 'Ada: hello bob', { what: 'announcement' });
    // Bob's element is visible: the message is read, and Ada's tick shows it.
    await waitFor(() => messageWith(ada, 'hello bob')?.querySelector('[part~="tick"]')?.getAttribute('data-status') === 'read', { what: 'read tick' });
    expect(messageWith(ada, 'hello bob')!.querySelector('[part~="tick"]')!.getAttribute('aria-label')).to.equal('Read');
    // Never a tick on someone else's message.
    expect(messageWith(bob, 'hello bob')!.querySelector('[part~="tick"]') === null).to.equal(true);
  });

  it('shows the typing indicator and clears it on send', async () => {
    const room = uniqueRoom('ui-typing');
    const ada = await mountRoom({ room, user: uniqueUser('Ada') });
    const bob = await mountRoom({ room, user: uniqueUser('Bob') });
    await whenSynced(ada);
    await whenSynced(bob);
    const input = $(bob, '.input') as HTMLTextAreaElement;
    input.value = 'hel';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    await waitFor(() => $(ada, '[part="typing"]').textContent?.trim() === 'Bob is typing…', { what: 'typing shown' });
    await sendText(bob, 'hello');
    await waitForMessage(ada, 'hello');
    await waitFor(() => $(ada, '[part="typing"]').textContent?.trim() === '', { what: 'typing cleared' });
  });

  it('replies with a quote, reacts, edits ("edited") and deletes ("Message deleted") through the message actions', async () => {
    const room = uniqueRoom('ui-actions');
    const ada = await mountRoom({ room, user: uniqueUser('Ada') });
    const bob = await mountRoom({ room, user: uniqueUser('Bob') });
    await whenSynced(ada);
    await whenSynced(bob);
    await sendText(ada, 'first from ada');
    const original = await waitForMessage(bob, 'first from ada');

    // Bob replies: the reply shows a quote of the original on both sides.
    (original.querySelector('[data-action="reply"]') as HTMLButtonElement).click();
    await bob.updateComplete;
    expect($(bob, '[part="composer-context"]').textContent).to.contain('Replying to Ada');
    await sendText(bob, 'a reply');
    const reply = await waitForMessage(ada, 'a reply');
    expect(reply.querySelector('[part="quote"]')!.textContent).to.contain('first from ada');

    // Bob reacts with 👍 through the picker; Ada sees the reaction count.
    (messageWith(bob, 'first from ada')!.querySelector('[data-action="react"]') as HTMLButtonElement).click();
    await bob.updateComplete;
    (messageWith(bob, 'first from ada')!.querySelector('.picker button[data-emoji="👍"]') as HTMLButtonElement).click();
    await waitFor(() => messageWith(ada, 'first from ada')?.querySelector('[part="reaction"] > span')?.textContent?.trim() === '👍 1', { what: 'reaction shown' });
    expect(messageWith(bob, 'first from ada')!.querySelector('[part="reaction"]')!.getAttribute('aria-pressed')).to.equal('true');

    // Ada edits her message: Esc cancels the first attempt, the second is saved.
    (messageWith(ada, 'first from ada')!.querySelector('[data-action="edit"]') as HTMLButtonElement).click();
    await ada.updateComplete;
    const input = $(ada, '.input') as HTMLTextAreaElement;
    expect(input.value).to.equal('first from ada');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await ada.updateComplete;
    expect(input.value).to.equal('');
    expect(ada.shadowRoot!.querySelector('[part="composer-context"]') === null).to.equal(true);
    (messageWith(ada, 'first from ada')!.querySelector('[data-action="edit"]') as HTMLButtonElement).click();
    await ada.updateComplete;
    await sendText(ada, 'first from ada, edited');
    const edited = await waitForMessage(bob, 'first from ada, edited');
    expect(edited.querySelector('[part="edited"]')!.textContent).to.contain('edited');
    // Only one's own messages can be edited or deleted.
    expect(edited.querySelector('[data-action="edit"]') === null).to.equal(true);

    (messageWith(ada, 'first from ada, edited')!.querySelector('[data-action="delete"]') as HTMLButtonElement).click();
    // The delete waits out its undo time (5 s) before it reaches Bob.
    await waitFor(() => bubbleTexts(bob).includes('Message deleted'), { what: 'deleted placeholder', timeoutMs: 30_000 });
    expect(bubbleTexts(bob)).to.deep.equal(['Message deleted', 'a reply']);
    // The reply's quote now says the original was deleted.
    expect(messageWith(bob, 'a reply')!.querySelector('[part="quote"]')!.textContent).to.contain('Message deleted');
  });

  it('renders HTML and script as text, runs nothing, and links only http(s) URLs', async () => {
    const room = uniqueRoom('ui-safe');
    const ada = await mountRoom({ room, user: uniqueUser('Ada') });
    const bob = await mountRoom({ room, user: uniqueUser('Bob') });
    await whenSynced(ada);
    await whenSynced(bob);
    const w = window as unknown as { __pwned?: number };
    delete w.__pwned;
    const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
    await sendText(ada, evil);
    const shown = await waitForMessage(bob, '<img');
    expect(shown.querySelector('.text')!.textContent).to.equal(evil);
    expect(shown.querySelector('img, script, b') === null).to.equal(true);
    await sendText(ada, 'see https://example.com/a?b=1. and javascript:alert(1) and http://x.test/(y)');
    const links = await waitFor(() => {
      const m = messageWith(bob, 'see https');
      return m && m.querySelectorAll('a').length === 2 ? [...m.querySelectorAll('a')] : undefined;
    }, { what: 'links' });
    expect(links.map((a) => a.getAttribute('href'))).to.deep.equal(['https://example.com/a?b=1', 'http://x.test/(y)']);
    for (const a of links) {
      expect(a.getAttribute('rel')).to.equal('noopener noreferrer');
      expect(a.getAttribute('target')).to.equal('_blank');
    }
    // A long unbroken string wraps inside the bubble instead of widening the element.
    await sendText(ada, 'x'.repeat(3000));
    const long = await waitForMessage(bob, 'xxxxxxxxxx');
    expect(long.querySelector('.bubble')!.getBoundingClientRect().width).to.be.at.most(bob.getBoundingClientRect().width);
    expect($(bob, '[part="messages"]').scrollWidth).to.be.at.most($(bob, '[part="messages"]').clientWidth + 1);
    expect(w.__pwned).to.equal(undefined);
    expect($$(bob, 'script')).to.have.length(0);
  });
});
