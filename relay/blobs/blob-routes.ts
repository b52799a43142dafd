// The blob HTTP API (mounted at /blobs): resumable uploads by writers, reads by members via bearer token or signed URL.
//
//   POST   /blobs/:room/uploads                 {size, sha256?} → 201 {upload:{id,offset,size}} | 200 {blob} (already stored)
//   GET    /blobs/:room/uploads/:upload         → 200 {offset,size} (+ Upload-Offset): where to resume
//   PATCH  /blobs/:room/uploads/:upload         Upload-Offset: n, body = the next bytes → 204 (+ Upload-Offset)
//   POST   /blobs/:room/uploads/:upload/finish  → 201 {blob:{id,size,type,inline}}
//   DELETE /blobs/:room/uploads/:upload         → 204 (cancelled)
//   POST   /blobs/:room/urls                    {blobs:[{id,name?}]} → {urls:{id:path}, expiresAt} (ids the room lacks left out)
//   GET    /blobs/:room/:id[?exp&sig[&name]]    → the bytes (Range, ETag, immutable caching); HEAD too
// Uploads need a Bearer token with write access to the room; reads a member's token or a signed URL.
// Errors are JSON `{error:{code,message}}` with 400/401/403/404/409/413/416/422/429.
import { Readable } from 'node:stream';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { Logger } from 'pino';
import { isBlobId, isInlineImage } from '../../shared/attachments.js';
import { roleForRoom } from '../../shared/grants.js';
import { isValidRoomName, type Role } from '../../shared/protocol.js';
import { TokenError, type Identity, type VerifyToken } from '../auth.js';
import { BlobHttpError } from './blob-http-error.js';
import type { BlobService } from './blob-service.js';
import { parseRange } from './byte-range.js';

export interface BlobRoutesDeps {
  blobs: BlobService;
  verifyToken: VerifyToken;
  log: Logger;
  /** Called with the code of every refused request (metrics: `parley_refusals_total{reason="blob-<code>"}`). */
  onRefusal?: (code: string) => void;
}

/** Headers of every blob response: nothing served here may ever run on the relay's origin. */
const SAFE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; sandbox",
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Referrer-Policy': 'no-referrer',
};

const MAX_URLS = 50;

/** `filename*=` per RFC 6266/5987 plus an ASCII fallback, from a name that was signed or is the blob id. */
const disposition = (kind: 'inline' | 'attachment', name: string): string => {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
};

const ROLE_RANK: Record<Role, number> = { read: 0, write: 1, admin: 2 };

export const createBlobRoutes = (deps: BlobRoutesDeps): Hono => {
  const { blobs, log } = deps;
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof BlobHttpError) {
      deps.onRefusal?.(error.code);
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json({ error: { code: error.code, message: error.message } }, error.status);
    }
    log.error({ err: error, path: c.req.path }, 'blob request failed');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });

  // Bearer tokens only, never cookies: any origin may call, and pages may read the resumable-upload headers.
  app.use('*', cors({
    origin: '*',
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'Upload-Offset', 'Range', 'If-None-Match'],
    exposeHeaders: ['Upload-Offset', 'Upload-Length', 'ETag', 'Content-Range', 'Content-Length', 'Content-Disposition', 'Accept-Ranges'],
    maxAge: 600,
  }));

  const roomOf = (c: Context): string => {
    const room = c.req.param('room') ?? '';
    if (!isValidRoomName(room)) throw new BlobHttpError(400, 'bad-room-name', 'invalid room name');
    return room;
  };

  /** The caller's identity, with at least role `min` in `room`. */
  const authenticate = async (c: Context, room: string, min: Role): Promise<Identity> => {
    const match = /^Bearer ([^\s]+)$/i.exec(c.req.header('authorization') ?? '');
    if (!match) throw new BlobHttpError(401, 'unauthorized', 'a Bearer token is required', { 'WWW-Authenticate': 'Bearer' });
    let identity: Identity;
    try {
      identity = await deps.verifyToken(match[1]!);
    } catch (error) {
      throw new BlobHttpError(401, 'unauthorized', error instanceof TokenError ? error.message : 'invalid token', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    const role = roleForRoom(identity.rooms, room);
    if (role === undefined) throw new BlobHttpError(403, 'not-a-member', 'this token gives no access to the room');
    if (ROLE_RANK[role] < ROLE_RANK[min]) throw new BlobHttpError(403, 'read-only', 'this token may only read the room');
    return identity;
  };

  const jsonBody = async (c: Context): Promise<Record<string, unknown>> => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new BlobHttpError(400, 'bad-json', 'body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BlobHttpError(400, 'bad-request', 'body must be a JSON object');
    return body as Record<string, unknown>;
  };
  const smallBody = bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.json({ error: { code: 'too-large', message: 'body too large' } }, 413) });

  app.post('/:room/uploads', smallBody, async (c) => {
    const room = roomOf(c);
    const user = await authenticate(c, room, 'write');
    const { size, sha256, ...rest } = await jsonBody(c);
    if (Object.keys(rest).length > 0) throw new BlobHttpError(400, 'bad-request', `unknown field: ${Object.keys(rest)[0]}`);
    if (!Number.isSafeInteger(size) || (size as number) < 0) throw new BlobHttpError(400, 'bad-request', 'size must be a whole number of bytes');
    if (sha256 !== undefined && !isBlobId(sha256)) throw new BlobHttpError(400, 'bad-request', 'sha256 must be 64 lower-case hex characters');
    const result = await blobs.createUpload(room, user.id, size as number, sha256 as string | undefined);
    if ('blob' in result) return c.json({ blob: result.blob }, 200);
    const { upload } = result;
    c.header('Upload-Offset', '0');
    c.header('Location', `/blobs/${room}/uploads/${upload.id}`);
    return c.json({ upload: { id: upload.id, offset: upload.offset, size: upload.size } }, 201);
  });

  app.get('/:room/uploads/:upload', async (c) => {
    const room = roomOf(c);
    const user = await authenticate(c, room, 'write');
    const session = blobs.session(room, user.id, c.req.param('upload'));
    c.header('Upload-Offset', String(session.offset));
    c.header('Upload-Length', String(session.size));
    c.header('Cache-Control', 'no-store');
    return c.json({ offset: session.offset, size: session.size });
  });

  app.patch('/:room/uploads/:upload', async (c) => {
    const room = roomOf(c);
    const user = await authenticate(c, room, 'write');
    const session = blobs.session(room, user.id, c.req.param('upload'));
    const offsetHeader = c.req.header('upload-offset') ?? '';
    if (!/^\d{1,15}$/.test(offsetHeader)) throw new BlobHttpError(400, 'bad-offset', 'send Upload-Offset: <bytes already uploaded>');
    const body = c.req.raw.body;
    if (body) await blobs.append(session, Number(offsetHeader), body as unknown as AsyncIterable<Uint8Array>);
    c.header('Upload-Offset', String(session.offset));
    return c.body(null, 204);
  });

  app.post('/:room/uploads/:upload/finish', async (c) => {
    const room = roomOf(c);
    const user = await authenticate(c, room, 'write');
    const blob = await blobs.finish(blobs.session(room, user.id, c.req.param('upload')));
    log.info({ user: user.id, room, blob: blob.id, size: blob.size, type: blob.type }, 'blob stored');
    return c.json({ blob }, 201);
  });

  app.delete('/:room/uploads/:upload', async (c) => {
    const room = roomOf(c);
    const user = await authenticate(c, room, 'write');
    await blobs.cancel(blobs.session(room, user.id, c.req.param('upload')));
    return c.body(null, 204);
  });

  app.post('/:room/urls', smallBody, async (c) => {
    const room = roomOf(c);
    await authenticate(c, room, 'read');
    const { blobs: wanted } = await jsonBody(c);
    if (!Array.isArray(wanted) || wanted.length === 0 || wanted.length > MAX_URLS) {
      throw new BlobHttpError(400, 'bad-request', `blobs must list 1 to ${MAX_URLS} entries { id, name? }`);
    }
    const urls: Record<string, string> = {};
    let expiresAt = 0;
    for (const entry of wanted as unknown[]) {
      const { id, name } = (entry ?? {}) as { id?: unknown; name?: unknown };
      if (!isBlobId(id)) throw new BlobHttpError(400, 'bad-request', 'each id must be a blob id');
      if (name !== undefined && (typeof name !== 'string' || name.length === 0 || name.length > 256)) {
        throw new BlobHttpError(400, 'bad-request', 'name must be 1 to 256 characters');
      }
      // A blob the room does not have (collected, or never here) is left out: the others still get links.
      if (!(await blobs.exists(room, id))) continue;
      const signed = blobs.signedPath(room, id, (name as string | undefined) ?? '');
      urls[id] = signed.path;
      expiresAt = signed.expiresAt;
    }
    return c.json({ urls, expiresAt: new Date(expiresAt).toISOString() });
  });

  app.get('/:room/:id', async (c) => {
    for (const [name, value] of Object.entries(SAFE_HEADERS)) c.header(name, value);
    const room = roomOf(c);
    const id = c.req.param('id');
    if (!isBlobId(id)) throw new BlobHttpError(404, 'no-such-blob', 'no such file');
    const sig = c.req.query('sig');
    const name = c.req.query('name');
    if (sig !== undefined) {
      const refusal = blobs.checkSigned(room, id, { exp: c.req.query('exp'), sig, name });
      if (refusal === 'expired') throw new BlobHttpError(403, 'url-expired', 'this link has expired; ask for a new one');
      if (refusal) throw new BlobHttpError(403, 'bad-signature', 'this link is not valid');
    } else {
      await authenticate(c, room, 'read');
    }
    const info = await blobs.stat(room, id);
    const etag = `"${info.id}"`;
    const inline = isInlineImage(info.type);
    c.header('ETag', etag);
    c.header('Cache-Control', 'private, max-age=31536000, immutable');
    c.header('Accept-Ranges', 'bytes');
    c.header('Content-Type', inline ? info.type : 'application/octet-stream');
    c.header('Content-Disposition', disposition(inline ? 'inline' : 'attachment', sig !== undefined && name ? name : info.id));
    if ((c.req.header('if-none-match') ?? '').split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) return c.body(null, 304);
    const range = parseRange(c.req.header('range'), info.size);
    if (range === 'unsatisfiable') {
      throw new BlobHttpError(416, 'bad-range', `this file has ${info.size} bytes`, { 'Content-Range': `bytes */${info.size}` });
    }
    if (c.req.method === 'HEAD') {
      c.header('Content-Length', String(range ? range.end - range.start + 1 : info.size));
      return c.body(null, range ? 206 : 200);
    }
    const stream = await blobs.read(room, id, range);
    c.header('Content-Length', String(range ? range.end - range.start + 1 : info.size));
    if (range) c.header('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    return c.body(Readable.toWeb(stream) as unknown as ReadableStream, range ? 206 : 200);
  });

  return app;
};
