// Attachments through the client library in real Chromium against a real relay: photo and PDF between two users, offline and reload, refusal.
import { expect } from '@esm-bundle/chai';
import { AttachmentSender, BlobUrls, relayHttpBase } from '../../client/index.js';
import type { Conversation } from '../../client/index.js';
import { closeAll, mintToken, open, relayInfo, startRelay, stopRelay, uniqueRoom, uniqueUser, until, waitFor } from './support/helpers.js';

/** A real PNG photo of `w`×`h` pixels drawn on a canvas (large enough to get a preview). */
const photo = async (w = 1200, h = 800): Promise<File> => {
  const canvas = new OffscreenCanvas(w, h);
  const context = canvas.getContext('2d')!;
  const gradient = context.createLinearGradient(0, 0, w, h);
  gradient.addColorStop(0, '#ff8800');
  gradient.addColorStop(1, '#0044ff');
  context.fillStyle = gradient;
  context.fillRect(0, 0, w, h);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return new File([blob], 'sunset.png', { type: 'image/png' });
};
const pdf = (): File => new File(['%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'], 'tickets.pdf', { type: 'application/pdf' });

const senders: AttachmentSender[] = [];
const senderFor = async (conversation: Conversation, room: string, user: { id: string; name: string }): Promise<AttachmentSender> => {
  const { url } = await relayInfo();
  const sender = new AttachmentSender({ conversation, relayUrl: url, getToken: () => mintToken({ sub: user.id, rooms: { [room]: 'write' } }) });
  senders.push(sender);
  return sender;
};

const bytesOf = async (blob: Blob): Promise<string> => [...new Uint8Array(await blob.arrayBuffer())].join(',');

describe('client: attachments', () => {
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((s) => s.close()));
    await closeAll();
    await startRelay();
  });

  it('sends a photo and a PDF from one user to another', async () => {
    const room = uniqueRoom('files');
    const adaUser = uniqueUser('Ada');
    const bobUser = uniqueUser('Bob');
    const ada = await open(room, adaUser);
    const bob = await open(room, bobUser);
    await until(ada, (s) => s.connection.synced);
    await until(bob, (s) => s.connection.synced);
    const sender = await senderFor(ada, room, adaUser);
    const image = await photo();
    const sent = await sender.send('our trip', [image, pdf()]);
    expect(sent).to.include({ status: 'sending', queued: true });

    await until(bob, (s) => s.messages.some((m) => m.text === 'our trip'), 'bob receives it', 20_000);
    const message = bob.getState().messages.find((m) => m.text === 'our trip')!;
    const [png, doc] = message.attachments!;
    expect(png).to.include({ name: 'sunset.png', type: 'image/png', width: 1200, height: 800, size: image.size });
    expect(png!.preview).to.match(/^[0-9a-f]{64}$/);
    expect(doc).to.include({ name: 'tickets.pdf', type: 'application/pdf' });

    // Bob reads both through signed URLs (no header: what <img src> and a download link do).
    const { url } = await relayInfo();
    const urls = new BlobUrls({ relayUrl: url, room, getToken: () => mintToken({ sub: bobUser.id, rooms: { [room]: 'read' } }) });
    const [imageUrl, previewUrl, pdfUrl] = await Promise.all([urls.url(png!.blob), urls.url(png!.preview!), urls.url(doc!.blob, doc!.name)]);
    expect(imageUrl.startsWith(relayHttpBase(url))).to.equal(true);
    const got = await fetch(imageUrl);
    expect(got.headers.get('content-type')).to.equal('image/png');
    expect(await bytesOf(await got.blob())).to.equal(await bytesOf(image));
    const preview = await createImageBitmap(await (await fetch(previewUrl)).blob());
    expect(Math.max(preview.width, preview.height)).to.equal(480);
    const download = await fetch(pdfUrl);
    expect(download.headers.get('content-disposition')).to.match(/^attachment;.*tickets\.pdf/);
    await until(ada, (s) => s.messages.every((m) => !m.queued && m.status !== 'sending'), 'ada sees it sent', 20_000);
  });

  it('attach offline, reload offline (files still there), go online: the other side gets it once', async () => {
    const room = uniqueRoom('files-offline');
    const adaUser = uniqueUser('Ada');
    const ada = await open(room, adaUser);
    const bob = await open(room, uniqueUser('Bob'));
    await until(ada, (s) => s.connection.synced);
    await until(bob, (s) => s.connection.synced);
    await stopRelay();
    await until(ada, (s) => s.connection.status === 'offline', 'ada notices');
    const sender = await senderFor(ada, room, adaUser);
    const image = await photo(900, 600);
    const queued = await sender.send('', [image]);
    expect(queued.attachments![0]).to.include({ name: 'sunset.png', width: 900, height: 600 });
    expect((await sender.localFiles(queued.id))![0]!.preview).to.be.instanceOf(Blob);
    await sender.close();
    await ada.close();

    // "Reload" offline: the message and its files come back from IndexedDB.
    const reloaded = await open(room, adaUser);
    await reloaded.loaded;
    const again = await senderFor(reloaded, room, adaUser);
    expect(reloaded.getState().messages.map((m) => [m.id, m.status, m.queued])).to.deep.equal([[queued.id, 'sending', true]]);
    const files = (await again.localFiles(queued.id))!;
    expect(await bytesOf(files[0]!.file)).to.equal(await bytesOf(image));
    expect(files[0]!.preview!.size).to.be.greaterThan(0);

    await startRelay();
    await until(bob, (s) => s.messages.length === 1, 'bob receives it', 20_000);
    await until(reloaded, (s) => s.messages.every((m) => !m.queued && m.status !== 'sending'), 'sent', 20_000);
    expect(bob.getState().messages[0]!.attachments![0]).to.include({ type: 'image/png', width: 900, height: 600 });
    expect(bob.doc.getArray<{ id: string }>('messages').toArray().filter((r) => r.id === queued.id)).to.have.length(1);
    // The files leave IndexedDB once stored.
    await waitFor(async () => (await again.localFiles(queued.id)) === undefined, { what: 'files dropped' });
  });

  it('an upload the relay refuses fails the message with the reason; Retry keeps the files', async () => {
    const room = uniqueRoom('files-refused');
    const adaUser = uniqueUser('Ada');
    const ada = await open(room, adaUser);
    await until(ada, (s) => s.connection.synced);
    const sender = await senderFor(ada, room, adaUser);
    const huge = new File([new Uint8Array(25 * 1024 * 1024 + 1)], 'huge.bin');
    const sent = await sender.send('too big', [huge]);
    await until(ada, (s) => s.messages.find((m) => m.id === sent.id)?.status === 'failed', 'refused', 20_000);
    const failed = ada.getState().messages.find((m) => m.id === sent.id)!;
    expect(failed.error).to.match(/huge\.bin: files are limited to 26214400 bytes/);
    const retried = await sender.retry(failed);
    expect(retried.attachments![0]).to.include({ name: 'huge.bin', size: huge.size });
    expect((await sender.localFiles(retried.id))![0]!.file.size).to.equal(huge.size);
    expect(ada.getState().messages.some((m) => m.id === sent.id)).to.equal(false);
  });
});
