// <chat-room>'s chat-message-received event in real Chromium: what a host page needs to notify on its own.
import { expect } from '@esm-bundle/chai';
import type { ChatMessageReceivedDetail } from '../../client/ui/chat-room/chat-room.js';
import { mountRoom, sendText, uniqueRoom, uniqueUser, unmountAll, waitFor, whenSynced } from './ui-helpers.js';

describe('ui: <chat-room> chat-message-received', () => {
  afterEach(unmountAll);

  it('carries room, message id, author, text, whether it mentions me and whether the room is visible', async () => {
    const room = uniqueRoom('ui-received');
    const adaUser = uniqueUser('Ada');
    const ada = await mountRoom({ room, user: adaUser });
    const bobUser = uniqueUser('Bob');
    const bob = await mountRoom({ room, user: bobUser });
    await whenSynced(ada);
    await whenSynced(bob);
    await waitFor(() => ada.activeConversation!.getState().profiles.size === 2, { what: 'both profiles (members to mention)' });
    const received: ChatMessageReceivedDetail[] = [];
    // Heard on the document: the event bubbles and is composed.
    const listener = (e: CustomEvent<ChatMessageReceivedDetail>) => {
      if (e.target === bob) received.push(e.detail);
    };
    document.addEventListener('chat-message-received', listener);
    try {
      await sendText(ada, 'first');
      await waitFor(() => received.length === 1, { what: 'the event for a visible room' });
      const id = ada.activeConversation!.getState().messages.find((m) => m.text === 'first')!.id;
      expect(received[0]).to.deep.equal({ room, messageId: id, author: adaUser.id, authorName: 'Ada', text: 'first', mentionsMe: false, visible: true });

      // A message that mentions Bob: mentionsMe (the same rule as `chat-mention`).
      await ada.activeConversation!.send('@Bob look', { mentions: [bobUser.id] });
      await waitFor(() => received.length === 2, { what: 'the event for a mention' });
      expect([received[1]!.text, received[1]!.mentionsMe]).to.deep.equal(['@Bob look', true]);

      // The host hides the element: the user cannot see the message, so the host would notify.
      bob.style.display = 'none';
      await sendText(ada, 'second');
      await waitFor(() => received.length === 3, { what: 'the event for a hidden room' });
      expect(received[2]!.text).to.equal('second');
      expect(received[2]!.visible).to.equal(false);
      expect(received[2]!.mentionsMe).to.equal(false);
    } finally {
      document.removeEventListener('chat-message-received', listener);
    }
  });
});
