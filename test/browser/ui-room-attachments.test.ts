// <chat-room> attachments in real Chromium against a real relay: photo and PDF between two users, viewer keys, paste and drop,
// offline attach + reload (preview still there) + delivery once, and 10,000 messages with images still virtualized.
import { expect } from '@esm-bundle/chai';
import * as Y from 'yjs';
import { newMessageId, type MessageRecord } from '../../shared/conversation.js';
import type { ChatAttachmentOpenDetail, ChatRoom } from '../../client/ui/chat-room/chat-room.js';
import { axeViolations } from './support/axe.js';
import { $, $$, messageWith, mountRoom, sendText, startRelay, stopRelay, uniqueRoom, uniqueUser, unmountAll, waitFor, whenSynced } from './ui-helpers.js';

const NO_RELAY = 'ws://127.0.0.1:9';

/** A real PNG drawn on a canvas. */
const photo = async (name: string, w: number, h: number, colour = '#ff8800'): Promise<File> => {
  const canvas = new OffscreenCanvas(w, h);
  const context = canvas.getContext('2d')!;
  context.fillStyle = colour;
  context.fillRect(0, 0, w, h);
  context.fillStyle = '#0044ff';
  context.fillRect(0, 0, w / 2, h / 2);
  return new File([await canvas.convertToBlob({ type: 'image/png' })], name, { type: 'image/png' });
};
const pdf = (): File => new File(['%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'], 'tickets.pdf', { type: 'application/pdf' });

/** Chooses files through the composer's file input, as the attach button's dialog would. */
const choose = async (el: ChatRoom, files: File[]): Promise<void> => {
  const input = $(el, '.file-input') as HTMLInputElement;
  const transfer = new DataTransfer();
  for (const file of files) transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
  await el.updateComplete;
};

const staged = (el: ChatRoom): string[] => $$(el, '.staged-file span').map((s) => s.textContent ?? '');

/** The message element that has attachments (the newest one). */
const withFiles = (el: ChatRoom): HTMLElement | undefined => $$(el, '.msg').filter((m) => m.querySelector('[part="attachments"]')).at(-1);

describe('ui: <chat-room> attachments', () => {
  afterEach(async () => {
    await unmountAll();
    await startRelay();
  });

  it('sends a photo and a PDF with a caption; the other side sees a sized preview, a file chip and a viewer with keys', async () => {
    const room = uniqueRoom('ui-files');
    const ada = await mountRoom({ room, user: uniqueUser('Ada'), attributes: { theme: 'light' } });
    // Bob's element is dark, so axe checks the attachments in both themes.
    const bob = await mountRoom({ room, user: uniqueUser('Bob'), attributes: { theme: 'dark' } });
    await whenSynced(ada);
    await whenSynced(bob);
    const sunset = await photo('sunset.png', 1200, 800);
    const beach = await photo('beach.png', 600, 900, '#22aa44');
    await choose(ada, [sunset, pdf()]);
    expect(staged(ada)).to.deep.equal(['sunset.png', 'tickets.pdf']);
    // Pasting a file stages it too.
    const paste = new DataTransfer();
    paste.items.add(beach);
    $(ada, '.input').dispatchEvent(new ClipboardEvent('paste', { clipboardData: paste, bubbles: true, composed: true, cancelable: true }));
    await ada.updateComplete;
    expect(staged(ada)).to.deep.equal(['sunset.png', 'tickets.pdf', 'beach.png']);
    expect(await axeViolations(ada), 'axe with staged files').to.deep.equal([]);
    await sendText(ada, 'our trip');
    expect(staged(ada)).to.deep.equal([]);

    const message = await waitFor(() => {
      const m = messageWith(bob, 'our trip');
      return m && m.querySelectorAll('[part="attachment-image"] img').length === 2 ? m : undefined;
    }, { what: 'bob sees the images', timeoutMs: 20_000 });
    const [first, second] = [...message.querySelectorAll<HTMLElement>('[part="attachment-image"]')];
    // Sized from the record before anything loads: 1200×800 and 600×900 fitted into 150 px boxes.
    expect([first!.style.width, first!.style.height]).to.deep.equal(['150px', '100px']);
    expect([second!.style.width, second!.style.height]).to.deep.equal(['100px', '150px']);
    const img = first!.querySelector('img')!;
    expect(img.getAttribute('loading')).to.equal('lazy');
    await waitFor(() => img.complete && img.naturalWidth > 0, { what: 'preview loaded' });
    expect(img.naturalWidth).to.equal(480);
    const chip = await waitFor(() => message.querySelector<HTMLAnchorElement>('a[part="attachment-file"]'), { what: 'file chip link' });
    expect(chip.textContent).to.contain('tickets.pdf');
    expect(chip.textContent).to.contain('PDF');
    expect(chip.getAttribute('download')).to.equal('tickets.pdf');
    const download = await fetch(chip.href);
    expect(download.headers.get('content-disposition')).to.match(/^attachment;/);
    expect((await download.text()).startsWith('%PDF')).to.equal(true);

    expect(await axeViolations(bob), 'axe with attachments').to.deep.equal([]);

    // Opening: the event first, then the viewer; Esc closes, arrows move between the images.
    const opened: ChatAttachmentOpenDetail[] = [];
    bob.addEventListener('chat-attachment-open', (e) => opened.push(e.detail));
    first!.click();
    await bob.updateComplete;
    expect(opened.map((d) => d.attachment.name)).to.deep.equal(['sunset.png']);
    const viewer = await waitFor(() => bob.shadowRoot!.querySelector<HTMLElement>('[part="attachment-viewer"]'), { what: 'viewer' });
    await waitFor(() => bob.shadowRoot!.activeElement === viewer, { what: 'viewer focused' });
    expect(viewer.getAttribute('aria-label')).to.equal('Image: sunset.png');
    const full = await waitFor(() => viewer.querySelector<HTMLImageElement>('.viewer-image'), { what: 'full image' });
    await waitFor(() => full.complete && full.naturalWidth === 1200, { what: 'original loaded' });
    expect(await axeViolations(bob), 'axe with the viewer open').to.deep.equal([]);
    viewer.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, composed: true, cancelable: true }));
    await bob.updateComplete;
    expect($(bob, '[part="attachment-viewer"]').getAttribute('aria-label')).to.equal('Image: beach.png');
    // Tab stays inside the dialog: from its last control back to its first.
    const controls = [...$(bob, '[part="attachment-viewer"]').querySelectorAll<HTMLElement>('button, a[href]')];
    controls.at(-1)!.focus();
    controls.at(-1)!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true, composed: true, cancelable: true }));
    expect(bob.shadowRoot!.activeElement).to.equal(controls[0]);
    $(bob, '[part="attachment-viewer"]').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true, cancelable: true }));
    await bob.updateComplete;
    expect(bob.shadowRoot!.querySelector('[part="attachment-viewer"]')).to.equal(null);

    // A page that handles the event itself keeps the built-in viewer closed.
    bob.addEventListener('chat-attachment-open', (e) => e.preventDefault(), { once: true });
    second!.click();
    await bob.updateComplete;
    expect(bob.shadowRoot!.querySelector('[part="attachment-viewer"]')).to.equal(null);
  });

  it('stages files dropped on the element', async () => {
    const el = await mountRoom({ room: uniqueRoom('ui-drop'), user: uniqueUser('Ada') });
    await whenSynced(el);
    const transfer = new DataTransfer();
    transfer.items.add(pdf());
    el.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    expect(el.hasAttribute('data-dropping')).to.equal(true);
    el.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    await el.updateComplete;
    expect(el.hasAttribute('data-dropping')).to.equal(false);
    expect(staged(el)).to.deep.equal(['tickets.pdf']);
  });

  it('attach offline, reload offline (the local preview is still there), go online: the other side gets it once', async () => {
    const room = uniqueRoom('ui-files-offline');
    const adaUser = uniqueUser('Ada');
    let ada = await mountRoom({ room, user: adaUser });
    const bob = await mountRoom({ room, user: uniqueUser('Bob') });
    await whenSynced(ada);
    await whenSynced(bob);
    await stopRelay();
    await waitFor(() => ada.status === 'offline', { what: 'ada offline' });
    await choose(ada, [await photo('offline.png', 800, 600)]);
    await sendText(ada, '');
    const local = await waitFor(() => withFiles(ada)?.querySelector<HTMLImageElement>('[part="attachment-image"] img'), { what: 'local preview' });
    expect(local.src.startsWith('blob:')).to.equal(true);
    expect(withFiles(ada)!.getAttribute('data-status')).to.equal('sending');

    // "Reload" with the relay still down: a new element, the same user, everything from IndexedDB.
    ada.remove();
    await ada.activeConversation?.close();
    ada = await mountRoom({ room, user: adaUser });
    const again = await waitFor(() => withFiles(ada)?.querySelector<HTMLImageElement>('[part="attachment-image"] img'), { what: 'preview after reload' });
    expect(again.src.startsWith('blob:')).to.equal(true);
    await waitFor(() => again.complete && again.naturalWidth > 0, { what: 'local preview decoded' });

    await startRelay();
    const received = await waitFor(() => withFiles(bob)?.querySelector<HTMLImageElement>('[part="attachment-image"] img'), { what: 'bob gets it', timeoutMs: 30_000 });
    expect(received.src.startsWith('http')).to.equal(true);
    await waitFor(() => withFiles(ada)?.getAttribute('data-status') !== 'sending', { what: 'ada sees it sent', timeoutMs: 20_000 });
    const records = bob.activeConversation!.doc.getArray<MessageRecord>('messages').toArray();
    expect(records.filter((r) => r.attachments?.length)).to.have.length(1);
    expect($$(bob, '[part="attachments"]')).to.have.length(1);
  });

  it('10,000 messages with images keep only the visible rows in the DOM, each image sized before it loads', async () => {
    const el = await mountRoom({ room: uniqueRoom('ui-files-history'), user: uniqueUser('Ada'), relayUrl: NO_RELAY });
    const conversation = await waitFor(() => (el.activeConversation?.getState().loaded ? el.activeConversation : undefined), { what: 'loaded' });
    const scratch = new Y.Doc();
    const start = Date.now() - 86_400_000;
    scratch.getArray<MessageRecord>('messages').push(Array.from({ length: 10_000 }, (_, i) => ({
      id: newMessageId(),
      author: 'zed-writer',
      text: `photo ${i}`,
      createdAt: start + i * 1000,
      attachments: [{ blob: (i % 16).toString(16).repeat(64), name: `p${i}.jpg`, type: 'image/jpeg', size: 1000, width: 400 + (i % 5) * 100, height: 300 }],
    })));
    Y.applyUpdate(conversation.doc, Y.encodeStateAsUpdate(scratch));
    await waitFor(() => $$(el, '.text').some((t) => t.textContent === 'photo 9999'), { what: 'latest shown' });
    expect($$(el, '.row').length).to.be.lessThan(60);
    const last = messageWith(el, 'photo 9999')!.querySelector<HTMLElement>('[part="attachment-image"]')!;
    // 400 + 4·100 = 800 × 300 fitted into 280: 280 × 105, before any byte arrives (there is no relay here).
    expect([last.style.width, last.style.height]).to.deep.equal(['280px', '105px']);
    expect(Math.round(last.getBoundingClientRect().height)).to.equal(105);
  });
});
