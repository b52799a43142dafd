// <chat-app> sends files too: the room it shows gets the relay and the session's tokens, so a PDF reaches another client.
import { expect } from '@esm-bundle/chai';
import '../../client/ui/chat-app/chat-app.js';
import type { ChatApp } from '../../client/ui/chat-app/chat-app.js';
import { closeAll, open, until } from './support/helpers.js';
import { mintToken, relayInfo, uniqueRoom, uniqueUser, waitFor, whenSynced } from './ui-helpers.js';

describe('ui: <chat-app> attachments', () => {
  let app: ChatApp | undefined;
  afterEach(async () => {
    app?.remove();
    app = undefined;
    await closeAll();
  });

  it('attaches a file in the app and another client receives it', async () => {
    localStorage.removeItem('parley:session');
    const { url } = await relayInfo();
    app = document.createElement('chat-app');
    app.relay = url;
    app.mintToken = ({ name, sub }) => mintToken({ sub, name, rooms: { '*': 'write' } });
    app.style.cssText = 'display: block; height: 600px; width: 900px;';
    document.body.append(app);
    await app.updateComplete;
    const signIn = await waitFor(() => app!.shadowRoot!.querySelector<HTMLFormElement>('.signin form'), { what: 'sign-in form' });
    signIn.querySelector<HTMLInputElement>('[name="name"]')!.value = 'Ada';
    signIn.requestSubmit();
    const join = await waitFor(() => app!.shadowRoot!.querySelector<HTMLFormElement>('.join'), { what: 'signed in' });
    const room = uniqueRoom('app-files');
    join.querySelector<HTMLInputElement>('[name="room"]')!.value = room;
    join.requestSubmit();
    const chat = await waitFor(() => app!.shadowRoot!.querySelector('chat-room'), { what: 'room view' });
    await whenSynced(chat);

    const input = await waitFor(() => chat.shadowRoot!.querySelector<HTMLInputElement>('.file-input'), { what: 'attach input' });
    expect(chat.shadowRoot!.querySelector('[part="attach-button"]')).to.not.equal(null);
    const transfer = new DataTransfer();
    transfer.items.add(new File(['%PDF-1.4\n%%EOF\n'], 'menu.pdf', { type: 'application/pdf' }));
    input.files = transfer.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    await chat.updateComplete;
    chat.shadowRoot!.querySelector<HTMLFormElement>('.composer')!.requestSubmit();

    const bob = await open(room, uniqueUser('Bob'));
    await until(bob, (s) => s.messages.some((m) => m.attachments?.[0]?.name === 'menu.pdf'), 'bob receives the file', 20_000);
    expect(bob.getState().messages.at(-1)!.attachments![0]).to.include({ type: 'application/pdf', size: 15 });
  });
});
