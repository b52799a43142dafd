// Reading blobs: members only, per conversation, signed URLs that expire and cannot be altered, hostile bytes never served as content.
import { describe, expect, it } from 'vitest';
import { PNG, call, sha256, tokenFor, upload } from './blob-helpers.js';
import { useTestRelay } from './helpers.js';
import { signBlob } from '../../relay/blobs/signed-url.js';

/** The relay's URL key is configured here so that the test can sign a link that has already expired. */
const KEY = new Uint8Array(32).fill(7);
const t = useTestRelay({ blobs: { urlTtlSeconds: 60 }, blobUrlSecret: KEY });

const HOSTILE = {
  html: Buffer.from('<!doctype html><html><body><script>parent.postMessage(document.cookie, "*")</script></body></html>'),
  svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'),
  script: Buffer.from('fetch("/rooms/x/export").then((r) => r.text()).then(alert)'),
};

const signed = async (room: string, token: string, blobs: { id: string; name?: string }[]) => {
  const answer = await call(t.relay, 'POST', `/blobs/${room}/urls`, token, { blobs });
  expect(answer.status).toBe(200);
  return answer.json as { urls: Record<string, string>; expiresAt: string };
};

describe('reading blobs', () => {
  it('a signed URL works without a header, for a limited time', async () => {
    const writer = await tokenFor('ada', { gallery: 'write' });
    const blob = await upload(t.relay, 'gallery', writer, PNG);
    const reader = await tokenFor('bob', { gallery: 'read' });
    const { urls, expiresAt } = await signed('gallery', reader, [{ id: blob.id, name: 'cat.png' }]);
    const expires = Date.parse(expiresAt);
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThanOrEqual(Date.now() + 61_000);
    const res = await fetch(`${t.relay.url}${urls[blob.id]}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    expect(res.headers.get('content-disposition')).toContain('filename="cat.png"');
  });

  it('an expired or altered signed URL is refused', async () => {
    const writer = await tokenFor('ada', { gallery: 'write' });
    const blob = await upload(t.relay, 'gallery', writer, PNG);
    const { urls } = await signed('gallery', writer, [{ id: blob.id, name: 'cat.png' }]);
    const url = new URL(`${t.relay.url}${urls[blob.id]}`);

    const later = new URL(url);
    later.searchParams.set('exp', String(Number(url.searchParams.get('exp')) + 3600));
    const extended = await call(t.relay, 'GET', later.pathname + later.search);
    expect([extended.status, extended.json.error.code]).toEqual([403, 'bad-signature']);

    const renamed = new URL(url);
    renamed.searchParams.set('name', 'cat.html');
    expect((await call(t.relay, 'GET', renamed.pathname + renamed.search)).json.error.code).toBe('bad-signature');

    const flipped = new URL(url);
    const sig = flipped.searchParams.get('sig')!;
    flipped.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    expect((await call(t.relay, 'GET', flipped.pathname + flipped.search)).status).toBe(403);

    // The same signature for another room's path (where a blob with that id also exists) is refused.
    const other = await tokenFor('ada', { other: 'write' });
    await upload(t.relay, 'other', other, PNG);
    expect((await call(t.relay, 'GET', url.pathname.replace('/gallery/', '/other/') + url.search)).json.error.code).toBe('bad-signature');

  });

  it('an expired signed URL is refused as expired', async () => {
    const writer = await tokenFor('ada', { gallery: 'write' });
    const blob = await upload(t.relay, 'gallery', writer, PNG);
    const exp = Math.floor(Date.now() / 1000) - 5;
    const res = await call(t.relay, 'GET', `/blobs/gallery/${blob.id}?exp=${exp}&sig=${signBlob(KEY, 'gallery', blob.id, exp)}`);
    expect([res.status, res.json.error.code]).toEqual([403, 'url-expired']);
    // The same link, valid for another minute, works: only the expiry differed.
    const fresh = Math.floor(Date.now() / 1000) + 60;
    expect((await call(t.relay, 'GET', `/blobs/gallery/${blob.id}?exp=${fresh}&sig=${signBlob(KEY, 'gallery', blob.id, fresh)}`)).status).toBe(200);
  });

  it('members only, and only the conversation the blob belongs to', async () => {
    const writer = await tokenFor('ada', { secret: 'write' });
    const blob = await upload(t.relay, 'secret', writer, Buffer.from('private notes, not an image at all'));
    const outsider = await tokenFor('eve', { public: 'write' });
    const denied = await call(t.relay, 'GET', `/blobs/secret/${blob.id}`, outsider);
    expect([denied.status, denied.json.error.code]).toEqual([403, 'not-a-member']);
    // Through her own conversation's path the blob does not exist.
    const elsewhere = await call(t.relay, 'GET', `/blobs/public/${blob.id}`, outsider);
    expect([elsewhere.status, elsewhere.json.error.code]).toEqual([404, 'no-such-blob']);
    // Nor can she have a URL signed for it there.
    expect((await call(t.relay, 'POST', '/blobs/public/urls', outsider, { blobs: [{ id: blob.id }] })).json.urls).toEqual({});
    expect((await call(t.relay, 'GET', `/blobs/secret/${blob.id}`)).status).toBe(401);
    expect((await call(t.relay, 'GET', `/blobs/secret/${'0'.repeat(64)}`, writer)).status).toBe(404);
  });

  it('HTML, SVG and script bytes claiming to be images are stored as downloads that cannot run', async () => {
    const writer = await tokenFor('mallory', { hostile: 'write' });
    for (const [kind, bytes] of Object.entries(HOSTILE)) {
      const blob = await upload(t.relay, 'hostile', writer, bytes);
      expect(blob, kind).toEqual({ id: sha256(bytes), size: bytes.length, type: 'application/octet-stream', inline: false });
      const { urls } = await signed('hostile', writer, [{ id: blob.id, name: `${kind}.png` }]);
      const res = await fetch(`${t.relay.url}${urls[blob.id]}`);
      expect(res.headers.get('content-type'), kind).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition'), kind).toMatch(/^attachment;/);
      expect(res.headers.get('x-content-type-options'), kind).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), kind).toBe("default-src 'none'; sandbox");
    }
  });
});
