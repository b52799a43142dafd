// Blobs and messages together on a real relay: the guard accepts only this conversation's blobs; collection, deletion and export.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { deleteMessage, getMessages, sendMessage, type Writer } from '../../shared/conversation.js';
import type { Attachment } from '../../shared/attachments.js';
import { PDF, PNG, call, randomBytesOf, tokenFor, upload } from './blob-helpers.js';
import { connectProvider, exportDoc, frames, mintToken, rawClient, startTestRelay, synced, tempDir, useTestRelay, waitFor } from './helpers.js';

const data = tempDir();
// A short grace period, so "never sent within the grace period" can be observed by polling.
const GRACE_MS = 1500;
const t = useTestRelay({ dataDir: data.dir, blobs: { unreferencedGraceMs: GRACE_MS } });

const ada: Writer = { userId: 'ada', role: 'write' };

const attachmentOf = (blob: { id: string; size: number; type: string }, name: string): Attachment => ({ blob: blob.id, name, type: blob.type, size: blob.size });

/** Sends `attachments` in a message from a raw client; resolves with how the relay closed it (or undefined if it stayed open and the message arrived). */
const sendRaw = async (room: string, user: string, attachments: Attachment[]) => {
  const token = await mintToken({ sub: user, rooms: { [room]: 'write' } });
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(await exportDoc(t.relay, room)));
  const client = rawClient(t.relay, room, { token });
  await client.opened;
  await waitFor(() => client.frames.length > 0, 5000, 'greeting');
  const before = Y.encodeStateVector(doc);
  sendMessage(doc, { userId: user, role: 'write' }, { text: 'look', attachments });
  client.send(frames.update(Y.encodeStateAsUpdate(doc, before), 2));
  return client;
};

/** Blob files on disk, all rooms. */
const blobFiles = (): string[] => {
  const root = join(data.dir, 'blobs', 'rooms');
  try {
    return readdirSync(root).flatMap((dir) => readdirSync(join(root, dir))).filter((f) => !f.endsWith('.json'));
  } catch {
    return [];
  }
};

describe('the guard and attachments', () => {
  it('accepts a message whose blobs are stored for this conversation', async () => {
    const token = await tokenFor('ada', { album: 'write' });
    const photo = await upload(t.relay, 'album', token, PNG);
    const pdf = await upload(t.relay, 'album', token, PDF);
    const provider = connectProvider(t.relay, 'album', token);
    await synced(provider);
    sendMessage(provider.doc, ada, { text: 'holiday', attachments: [{ ...attachmentOf(photo, 'beach.png'), width: 1, height: 1, preview: photo.id }, attachmentOf(pdf, 'tickets.pdf')] });
    await waitFor(async () => getMessages(await exportDoc(t.relay, 'album')).length === 1, 5000, 'message stored');
    expect(getMessages(await exportDoc(t.relay, 'album'))[0]!.attachments).toHaveLength(2);
    provider.destroy();
  });

  it('refuses with 4403 a message referring to a blob that does not exist', async () => {
    const client = await sendRaw('album', 'ada', [{ blob: 'f'.repeat(64), name: 'ghost.png', type: 'image/png', size: 10 }]);
    const closed = await client.closedWith();
    expect(closed.code).toBe(4403);
    expect(closed.reason).toContain('unknown-blob');
  });

  it('refuses with 4403 a message referring to a blob of another conversation', async () => {
    const token = await tokenFor('ada', { elsewhere: 'write' });
    const foreign = await upload(t.relay, 'elsewhere', token, randomBytesOf(1000, 42));
    const before = getMessages(await exportDoc(t.relay, 'album')).length;
    const client = await sendRaw('album', 'ada', [attachmentOf(foreign, 'stolen.bin')]);
    const closed = await client.closedWith();
    expect(closed.code).toBe(4403);
    expect(closed.reason).toContain('unknown-blob');
    // A preview from elsewhere is refused just the same.
    const photo = await upload(t.relay, 'album', await tokenFor('ada', { album: 'write' }), PNG);
    const withPreview = await sendRaw('album', 'ada', [{ ...attachmentOf(photo, 'p.png'), preview: foreign.id }]);
    expect((await withPreview.closedWith()).reason).toContain('unknown-blob');
    expect(getMessages(await exportDoc(t.relay, 'album')).length).toBe(before);
  });

  it('refuses with 4403 an attachment whose type or size is not what the relay stored, or whose preview is no image', async () => {
    const token = await tokenFor('ada', { album: 'write' });
    const html = await upload(t.relay, 'album', token, Buffer.from('<!doctype html><script>alert(1)</script>'));
    const pdf = await upload(t.relay, 'album', token, PDF);
    const before = getMessages(await exportDoc(t.relay, 'album')).length;
    const asImage = await sendRaw('album', 'ada', [{ ...attachmentOf(html, 'cat.png'), type: 'image/png', width: 10, height: 10 }]);
    expect(await asImage.closedWith()).toMatchObject({ code: 4403, reason: expect.stringContaining('attachment-mismatch') });
    const smaller = await sendRaw('album', 'ada', [{ ...attachmentOf(pdf, 'tickets.pdf'), size: 1 }]);
    expect((await smaller.closedWith()).reason).toContain('attachment-mismatch');
    const photo = await upload(t.relay, 'album', token, PNG);
    const pdfPreview = await sendRaw('album', 'ada', [{ ...attachmentOf(photo, 'p.png'), width: 1, height: 1, preview: pdf.id }]);
    expect((await pdfPreview.closedWith()).reason).toContain('attachment-mismatch');
    expect(getMessages(await exportDoc(t.relay, 'album')).length).toBe(before);
  });
});

describe('collection, deletion and export', () => {
  it('collects blobs never sent within the grace period and keeps referenced ones', async () => {
    const token = await tokenFor('ada', { gc: 'write' });
    const admin = await tokenFor('boss', { gc: 'admin' });
    const kept = await upload(t.relay, 'gc', token, randomBytesOf(5000, 1));
    const orphan = await upload(t.relay, 'gc', token, randomBytesOf(5000, 2));
    const provider = connectProvider(t.relay, 'gc', token);
    await synced(provider);
    const message = sendMessage(provider.doc, ada, { text: 'kept', attachments: [attachmentOf(kept, 'kept.bin')] });
    await waitFor(async () => getMessages(await exportDoc(t.relay, 'gc')).length === 1, 5000, 'message stored');

    // Once past the grace period, only the blob no message refers to goes (within it nothing does: blobs-upload.test.ts).
    await waitFor(async () => (await call(t.relay, 'POST', '/rooms/gc/blobs/gc', admin)).json.deleted === 1, 30_000, 'orphan collected');
    expect((await call(t.relay, 'GET', `/blobs/gc/${orphan.id}`, token)).status).toBe(404);
    expect((await call(t.relay, 'GET', `/blobs/gc/${kept.id}`, token)).status).toBe(200);

    // Deleting the message lets its blob go at the next run.
    deleteMessage(provider.doc, ada, message.id);
    await waitFor(async () => getMessages(await exportDoc(t.relay, 'gc'))[0]?.deleted === true, 5000, 'tombstone stored');
    expect((await call(t.relay, 'POST', '/rooms/gc/blobs/gc', admin)).json).toEqual({ deleted: 1, kept: 0 });
    expect((await call(t.relay, 'GET', `/blobs/gc/${kept.id}`, token)).status).toBe(404);
    provider.destroy();

    // Only admins trigger it.
    expect((await call(t.relay, 'POST', '/rooms/gc/blobs/gc', token)).status).toBe(403);
  });

  it('the tar export holds the room and every blob byte for byte', async () => {
    const token = await tokenFor('ada', { archived: 'write' });
    const admin = await tokenFor('boss', { archived: 'admin' });
    const big = randomBytesOf(300_000, 8);
    const blob = await upload(t.relay, 'archived', token, big);
    const provider = connectProvider(t.relay, 'archived', token);
    await synced(provider);
    sendMessage(provider.doc, ada, { text: 'archive me', attachments: [attachmentOf(blob, 'data.bin')] });
    await waitFor(async () => getMessages(await exportDoc(t.relay, 'archived')).length === 1, 5000, 'message stored');
    provider.destroy();
    const res = await fetch(`${t.relay.url}/rooms/archived/export?format=tar`, { headers: { authorization: `Bearer ${admin}` } });
    expect(res.headers.get('content-type')).toBe('application/x-tar');
    const out = tempDir();
    writeFileSync(join(out.dir, 'x.tar'), Buffer.from(await res.arrayBuffer()));
    execFileSync('tar', ['-xf', 'x.tar'], { cwd: out.dir });
    expect(readFileSync(join(out.dir, 'blobs', blob.id)).equals(big)).toBe(true);
    expect(JSON.parse(readFileSync(join(out.dir, 'blobs', `${blob.id}.json`), 'utf8'))).toMatchObject({ id: blob.id, size: big.length });
    expect(JSON.parse(readFileSync(join(out.dir, 'messages.json'), 'utf8')).messages[0].text).toBe('archive me');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, readFileSync(join(out.dir, 'room.yjs')));
    expect(getMessages(doc)[0]!.attachments![0]!.blob).toBe(blob.id);
    out.cleanup();
  });

  it('runs the collector periodically', async () => {
    const dir = tempDir();
    const relay = await startTestRelay({ dataDir: dir.dir, blobs: { unreferencedGraceMs: 1, gcIntervalMs: 100 } });
    try {
      const token = await tokenFor('ada', { periodic: 'write' });
      const blob = await upload(relay, 'periodic', token, randomBytesOf(2000, 5));
      await waitFor(async () => (await call(relay, 'GET', `/blobs/periodic/${blob.id}`, token)).status === 404, 20_000, 'collected by the timer');
    } finally {
      await relay.close();
      dir.cleanup();
    }
  });

  it('export lists the blobs, and deleting the room deletes them', async () => {
    const token = await tokenFor('ada', { doomed: 'write' });
    const admin = await tokenFor('boss', { doomed: 'admin' });
    const blob = await upload(t.relay, 'doomed', token, randomBytesOf(3000, 77));
    const exported = await call(t.relay, 'GET', '/rooms/doomed/export', admin);
    expect(exported.json.blobs).toMatchObject([{ id: blob.id, size: 3000, uploader: 'ada' }]);
    const filesBefore = blobFiles().length;
    expect((await call(t.relay, 'DELETE', '/rooms/doomed', admin)).status).toBe(200);
    expect((await call(t.relay, 'GET', `/blobs/doomed/${blob.id}`, token)).status).toBe(404);
    expect(blobFiles().length).toBe(filesBefore - 1);
    // The room's quota is free again: the same bytes upload anew.
    expect((await upload(t.relay, 'doomed', token, randomBytesOf(3000, 77))).id).toBe(blob.id);
  });
});
