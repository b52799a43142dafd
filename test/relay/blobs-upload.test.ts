// Blob uploads against a real relay: happy path, resume after a dropped connection, and every refused upload of issue 15.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlobUploadError } from '../../client/attachments/blob-upload.js';
import { PDF, PNG, call, randomBytesOf, sha256, startPatch, tokenFor, upload } from './blob-helpers.js';
import { metric, mintToken, tempDir, useTestRelay, waitFor } from './helpers.js';

const data = tempDir();
const MAX = 256 * 1024;
const t = useTestRelay({ dataDir: data.dir, blobs: { maxFileBytes: MAX, userQuotaBytes: 700 * 1024, roomQuotaBytes: 1024 * 1024, uploadsPerUser: 4 } });

/** Blob files stored on disk for all rooms (names only). */
const storedFiles = (): string[] => {
  const root = join(data.dir, 'blobs', 'rooms');
  try {
    return readdirSync(root).flatMap((room) => readdirSync(join(root, room)));
  } catch {
    return [];
  }
};

const refusedWith = async (promise: Promise<unknown>): Promise<BlobUploadError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BlobUploadError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('uploading blobs', () => {
  it('stores a file under its SHA-256, sniffs its type, and serves it to members', async () => {
    const token = await tokenFor('ada', { photos: 'write' });
    const blob = await upload(t.relay, 'photos', token, PNG);
    expect(blob).toEqual({ id: sha256(PNG), size: PNG.length, type: 'image/png', inline: true });
    const pdf = await upload(t.relay, 'photos', token, PDF);
    expect(pdf).toMatchObject({ type: 'application/pdf', inline: false });

    const reader = await tokenFor('bob', { photos: 'read' });
    const got = await fetch(`${t.relay.url}/blobs/photos/${blob.id}`, { headers: { authorization: `Bearer ${reader}` } });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).toBe(true);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(got.headers.get('etag')).toBe(`"${blob.id}"`);
    expect(got.headers.get('cache-control')).toContain('immutable');

    const download = await fetch(`${t.relay.url}/blobs/photos/${pdf.id}`, { headers: { authorization: `Bearer ${reader}` } });
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
  });

  it('answers a claim for a blob the room already has without any bytes', async () => {
    const token = await tokenFor('ada', { photos: 'write' });
    const first = await upload(t.relay, 'photos', token, PNG);
    const claim = await call(t.relay, 'POST', '/blobs/photos/uploads', token, { size: PNG.length, sha256: first.id });
    expect(claim.status).toBe(200);
    expect(claim.json.blob.id).toBe(first.id);
  });

  it('continues an upload begun before a reload, from where the relay stands', async () => {
    const token = await tokenFor('reloader', { reload: 'write' });
    const bytes = randomBytesOf(200_000, 31);
    const { uploadBlob } = await import('../../client/attachments/blob-upload.js');
    let started: string | undefined;
    let patches = 0;
    // The page "reloads" after two chunks: every request from then on fails.
    const dying: typeof fetch = async (input, init) => {
      if (init?.method === 'PATCH' && ++patches > 2) throw new TypeError('page unloaded');
      return fetch(input, init);
    };
    const first = uploadBlob({ relayUrl: t.relay.url, room: 'reload', getToken: async () => token, file: new Blob([new Uint8Array(bytes)]), chunkBytes: 64 * 1024, attempts: 0, fetch: dying, onStarted: (id) => (started = id) });
    await expect(first).rejects.toThrow('page unloaded');
    expect(started).toMatch(/^[0-9a-f]{32}$/);
    const progress: number[] = [];
    const blob = await uploadBlob({ relayUrl: t.relay.url, room: 'reload', getToken: async () => token, file: new Blob([new Uint8Array(bytes)]), chunkBytes: 64 * 1024, resume: started!, onProgress: (sent) => progress.push(sent) });
    expect(progress[0]).toBe(2 * 64 * 1024);
    expect(blob.id).toBe(sha256(bytes));
    // An upload the relay no longer has (finished here) is simply started again.
    const again = await uploadBlob({ relayUrl: t.relay.url, room: 'reload', getToken: async () => token, file: new Blob([new Uint8Array(bytes)]), resume: started! });
    expect(again.id).toBe(blob.id);
  });

  it('refreshes an expired token once and carries on', async () => {
    const fresh = await tokenFor('fresher', { refresh: 'write' });
    const expired = await mintToken({ sub: 'fresher', rooms: { refresh: 'write' }, ttl: -60 });
    const asked: boolean[] = [];
    const { uploadBlob } = await import('../../client/attachments/blob-upload.js');
    const blob = await uploadBlob({
      relayUrl: t.relay.url, room: 'refresh', file: new Blob([new Uint8Array(PNG)]),
      getToken: async (forceRefresh) => {
        asked.push(forceRefresh);
        return forceRefresh ? fresh : expired;
      },
    });
    expect(blob.id).toBe(sha256(PNG));
    expect(asked.slice(0, 2)).toEqual([false, true]);
  });

  it('the same bytes finishing twice at once are stored once', async () => {
    const token = await tokenFor('twin', { twice: 'write' });
    const bytes = randomBytesOf(120_000, 21);
    const [a, b] = await Promise.all([upload(t.relay, 'twice', token, bytes, { sha256: sha256(bytes) }), upload(t.relay, 'twice', token, bytes)]);
    expect(a.id).toBe(b.id);
    expect(storedFiles().filter((f) => f === a.id)).toHaveLength(1);
  });

  it('collects nothing within the grace period (a day by default)', async () => {
    const token = await tokenFor('ada', { young: 'write' });
    await upload(t.relay, 'young', token, randomBytesOf(1000, 99));
    const admin = await tokenFor('boss', { young: 'admin' });
    expect((await call(t.relay, 'POST', '/rooms/young/blobs/gc', admin)).json).toEqual({ deleted: 0, kept: 1 });
  });

  it('serves byte ranges and 304 for a known ETag', async () => {
    const token = await tokenFor('rangy', { ranges: 'write' });
    const bytes = randomBytesOf(100_000, 7);
    const blob = await upload(t.relay, 'ranges', token, bytes);
    const ranged = await fetch(`${t.relay.url}/blobs/ranges/${blob.id}`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=1000-1999' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 1000-1999/100000');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);
    const suffix = await fetch(`${t.relay.url}/blobs/ranges/${blob.id}`, { headers: { authorization: `Bearer ${token}`, range: 'bytes=-10' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(-10))).toBe(true);
    const beyond = await call(t.relay, 'GET', `/blobs/ranges/${blob.id}`, token, undefined, { range: 'bytes=200000-' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */100000');
    const cached = await fetch(`${t.relay.url}/blobs/ranges/${blob.id}`, { headers: { authorization: `Bearer ${token}`, 'if-none-match': `"${blob.id}"` } });
    expect(cached.status).toBe(304);
  });

  it('resumes after a dropped connection: the relay keeps what arrived', async () => {
    const token = await tokenFor('resumer', { resume: 'write' });
    const bytes = randomBytesOf(200_000, 3);
    const created = await call(t.relay, 'POST', '/blobs/resume/uploads', token, { size: bytes.length, sha256: sha256(bytes) });
    expect(created.status).toBe(201);
    const path = `/blobs/resume/uploads/${created.json.upload.id}`;
    const patch = await startPatch(t.relay, path, token, 0, bytes.subarray(0, 70_000), bytes.length);
    await waitFor(async () => (await call(t.relay, 'GET', path, token)).json.offset === 70_000, 10_000, 'relay to have the first bytes');
    // While that request is still open, a second one may not write into the same upload.
    const busy = await call(t.relay, 'PATCH', path, token, bytes.subarray(70_000, 70_010), { 'upload-offset': '70000' });
    expect([busy.status, busy.json.error.code]).toEqual([409, 'upload-busy']);
    await patch.drop();
    // The relay notices the drop on its own time: poll until the upload is free again.
    await waitFor(async () => (await call(t.relay, 'PATCH', path, token, bytes.subarray(0, 10), { 'upload-offset': '0' })).json.error.code === 'offset-mismatch', 10_000, 'drop noticed');
    // Finishing now is refused: the upload is truncated and stays resumable.
    const early = await call(t.relay, 'POST', `${path}/finish`, token);
    expect(early.status).toBe(409);
    expect(early.json.error.code).toBe('incomplete');
    expect(early.headers.get('upload-offset')).toBe('70000');
    // Resuming at a wrong offset is refused with the right one.
    const wrong = await call(t.relay, 'PATCH', path, token, bytes.subarray(0, 10), { 'upload-offset': '0' });
    expect(wrong.status).toBe(409);
    expect(wrong.headers.get('upload-offset')).toBe('70000');
    const rest = await call(t.relay, 'PATCH', path, token, bytes.subarray(70_000), { 'upload-offset': '70000' });
    expect(rest.status).toBe(204);
    const done = await call(t.relay, 'POST', `${path}/finish`, token);
    expect(done.status).toBe(201);
    expect(done.json.blob.id).toBe(sha256(bytes));
    const got = await fetch(`${t.relay.url}/blobs/resume/${sha256(bytes)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('the client library resumes by itself when a chunk fails', async () => {
    const token = await tokenFor('flaker', { flaky: 'write' });
    const bytes = randomBytesOf(150_000, 9);
    let failures = 0;
    // A fetch that loses the first PATCH after sending half of it (the relay keeps that half).
    const flaky: typeof fetch = async (input, init) => {
      if (init?.method === 'PATCH' && failures === 0) {
        failures++;
        const body = new Uint8Array(await (init.body as Blob).arrayBuffer());
        const url = new URL(String(input));
        const patch = await startPatch(t.relay, url.pathname, token, Number((init.headers as Record<string, string>)['upload-offset']), body.subarray(0, 20_000), body.length);
        await waitFor(async () => (await call(t.relay, 'GET', url.pathname, token)).json.offset >= 20_000, 10_000, 'partial chunk');
        await patch.drop();
        throw new TypeError('network connection lost');
      }
      return fetch(input, init);
    };
    const progress: number[] = [];
    const { uploadBlob } = await import('../../client/attachments/blob-upload.js');
    const blob = await uploadBlob({ relayUrl: t.relay.url, room: 'flaky', getToken: async () => token, file: new Blob([new Uint8Array(bytes)]), chunkBytes: 64 * 1024, fetch: flaky, onProgress: (sent) => progress.push(sent) });
    expect(failures).toBe(1);
    expect(blob.id).toBe(sha256(bytes));
    expect(progress).toContain(20_000);
    expect(progress.at(-1)).toBe(bytes.length);
  });
});

describe('refused uploads store nothing', () => {
  it('an oversized file: 413 before any byte is sent', async () => {
    const token = await tokenFor('ada', { big: 'write' });
    const before = storedFiles().length;
    const error = await refusedWith(upload(t.relay, 'big', token, randomBytesOf(MAX + 1)));
    expect(error.status).toBe(413);
    expect(error.code).toBe('too-large');
    expect(error.retryable).toBe(false);
    expect(storedFiles().length).toBe(before);
    const text = await (await fetch(`${t.relay.url}/metrics`)).text();
    expect(text).toMatch(/parley_refusals_total\{reason="blob-too-large"\} [1-9]/);
    expect(await metric(t.relay, 'parley_blob_bytes')).toBeGreaterThan(0);
  });

  it('a body longer than declared: 413', async () => {
    const token = await tokenFor('ada', { big: 'write' });
    const created = await call(t.relay, 'POST', '/blobs/big/uploads', token, { size: 10 });
    const sent = await call(t.relay, 'PATCH', `/blobs/big/uploads/${created.json.upload.id}`, token, randomBytesOf(20), { 'upload-offset': '0' });
    expect(sent.status).toBe(413);
    expect(sent.json.error.code).toBe('exceeds-declared-size');
  });

  it('quota exceeded: 429 per user (across rooms) and per room', async () => {
    const token = await tokenFor('hoarder', { 'q-*': 'write' });
    await upload(t.relay, 'q-1', token, randomBytesOf(MAX, 11));
    await upload(t.relay, 'q-2', token, randomBytesOf(MAX, 12));
    const before = storedFiles().length;
    const user = await refusedWith(upload(t.relay, 'q-3', token, randomBytesOf(MAX, 13)));
    expect(user.status).toBe(429);
    expect(user.code).toBe('quota-exceeded');
    expect(user.message).toMatch(/your files/);
    expect(storedFiles().length).toBe(before);

    // The room quota (1 MiB) counts every member's files.
    const members = await Promise.all(['m1', 'm2', 'm3', 'm4', 'm5'].map((sub) => tokenFor(sub, { shared: 'write' })));
    for (const [i, member] of members.slice(0, 4).entries()) await upload(t.relay, 'shared', member, randomBytesOf(MAX, 20 + i));
    const room = await refusedWith(upload(t.relay, 'shared', members[4]!, randomBytesOf(1000, 30)));
    expect(room.status).toBe(429);
    expect(room.message).toMatch(/conversation/);
  });

  it('too many uploads at once: 429', async () => {
    const token = await tokenFor('eager', { eager: 'write' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await call(t.relay, 'POST', '/blobs/eager/uploads', token, { size: 10 })).json.upload.id);
    const fifth = await call(t.relay, 'POST', '/blobs/eager/uploads', token, { size: 10 });
    expect(fifth.status).toBe(429);
    expect(fifth.json.error.code).toBe('too-many-uploads');
    for (const id of ids) expect((await call(t.relay, 'DELETE', `/blobs/eager/uploads/${id}`, token)).status).toBe(204);
    expect((await call(t.relay, 'POST', '/blobs/eager/uploads', token, { size: 10 })).status).toBe(201);
  });

  it('a wrong claimed hash: 422, the upload discarded', async () => {
    const token = await tokenFor('ada', { hashes: 'write' });
    const before = storedFiles().length;
    const error = await refusedWith(upload(t.relay, 'hashes', token, PNG, { sha256: sha256(PDF) }));
    expect(error.status).toBe(422);
    expect(error.code).toBe('hash-mismatch');
    expect(storedFiles().length).toBe(before);
    // Claiming an existing blob's hash while sending other bytes is refused too (the bytes are hashed anyway).
    const real = await upload(t.relay, 'hashes', token, PDF);
    const forged = await refusedWith(upload(t.relay, 'hashes', token, randomBytesOf(PDF.length + 1, 5), { sha256: real.id }));
    expect(forged.code).toBe('hash-mismatch');
  });

  it('a truncated upload is never stored', async () => {
    const token = await tokenFor('ada', { trunc: 'write' });
    const before = storedFiles().length;
    const created = await call(t.relay, 'POST', '/blobs/trunc/uploads', token, { size: 1000 });
    await call(t.relay, 'PATCH', `/blobs/trunc/uploads/${created.json.upload.id}`, token, randomBytesOf(600), { 'upload-offset': '0' });
    const finish = await call(t.relay, 'POST', `/blobs/trunc/uploads/${created.json.upload.id}/finish`, token);
    expect(finish.status).toBe(409);
    expect(finish.json.error.code).toBe('incomplete');
    expect(storedFiles().length).toBe(before);
  });

  it('an upload by a read-only member, a non-member or without a token', async () => {
    const reader = await tokenFor('rita', { guarded: 'read' });
    const stranger = await tokenFor('sam', { elsewhere: 'write' });
    const readOnly = await refusedWith(upload(t.relay, 'guarded', reader, PNG));
    expect([readOnly.status, readOnly.code]).toEqual([403, 'read-only']);
    const outsider = await refusedWith(upload(t.relay, 'guarded', stranger, PNG));
    expect([outsider.status, outsider.code]).toEqual([403, 'not-a-member']);
    const anonymous = await call(t.relay, 'POST', '/blobs/guarded/uploads', undefined, { size: 10 });
    expect(anonymous.status).toBe(401);
    // Someone else's upload session is not found, even with write access to the room.
    const writer = await tokenFor('wes', { guarded: 'write' });
    const other = await tokenFor('olga', { guarded: 'write' });
    const created = await call(t.relay, 'POST', '/blobs/guarded/uploads', writer, { size: 10 });
    const hijack = await call(t.relay, 'PATCH', `/blobs/guarded/uploads/${created.json.upload.id}`, other, randomBytesOf(10), { 'upload-offset': '0' });
    expect(hijack.status).toBe(404);
  });

  it('bad requests: invalid room name, size and hash', async () => {
    const token = await tokenFor('ada', { '*': 'write' });
    expect((await call(t.relay, 'POST', '/blobs/..%2Fx/uploads', token, { size: 1 })).status).toBe(400);
    expect((await call(t.relay, 'POST', '/blobs/ok/uploads', token, { size: -1 })).json.error.code).toBe('bad-request');
    expect((await call(t.relay, 'POST', '/blobs/ok/uploads', token, { size: 1, sha256: '../../x' })).status).toBe(400);
    expect((await call(t.relay, 'POST', '/blobs/ok/uploads', token, { size: 1, extra: 1 })).status).toBe(400);
  });
});
