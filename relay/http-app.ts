// The relay's HTTP side (Hono): health, readiness, metrics, dev tokens, the admin API and the web app.
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { serveStatic } from '@hono/node-server/serve-static';
import * as Y from 'yjs';
import type { Logger } from 'pino';
import { isDevUserId, isValidRoomName } from '../shared/ids.js';
import { getMessages } from '../shared/conversation.js';
import { parseRoomGrants, roleForRoom } from '../shared/grants.js';
import { TokenError, signToken, type VerifyToken } from './auth.js';
import type { RoomManager } from './room-manager.js';
import type { Metrics } from './metrics.js';
import type { JwtOptions } from './options.js';
import type { BlobService } from './blobs/blob-service.js';
import { createBlobRoutes } from './blobs/blob-routes.js';
import { roomArchive } from './blobs/room-archive.js';
import { Readable } from 'node:stream';

export interface HttpAppDeps {
  verifyToken: VerifyToken;
  rooms: RoomManager;
  metrics: Metrics;
  log: Logger;
  jwt: JwtOptions;
  /** The dev secret when dev mode is on; undefined otherwise (then /dev/token does not exist). */
  devSecret: Uint8Array | undefined;
  /** Attachments: mounted at /blobs, deleted with their room, listed in exports. */
  blobs?: BlobService;
  staticDir: string | undefined;
  ready: () => boolean;
  /** Deletes a room (default: `rooms.delete`); membership's version also updates its members' conversation lists. */
  deleteRoom?: (name: string) => Promise<void>;
  /** Membership endpoints (`/conversations…`, `/invites/accept`), mounted before the web app. */
  membershipRoutes?: Hono;
  /** Web Push endpoints (`/push/…`), mounted before the web app. */
  pushRoutes?: Hono;
}

/** A JSON error body: `{ "error": { "code": "...", "message": "..." } }`. */
const fail = (c: Context, status: 400 | 401 | 403 | 404 | 413 | 415 | 500 | 503, code: string, message: string) =>
  c.json({ error: { code, message } }, status);

const DEV_TTL_DEFAULT = 8 * 3600;
const DEV_TTL_MAX = 7 * 24 * 3600;

/** Validates a `POST /dev/token` body; returns an error message or the request. */
const parseDevTokenBody = (
  body: unknown,
): { error: string } | { name: string; sub: string; rooms: ReturnType<typeof parseRoomGrants> & object; ttlSeconds: number } => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'body must be a JSON object' };
  const { name, rooms, sub, ttlSeconds, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return { error: `unknown field: ${unknown[0]}` };
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > 64) {
    return { error: 'name must be a non-empty string of at most 64 characters' };
  }
  const grants = rooms === undefined ? parseRoomGrants({ '*': 'write' }) : parseRoomGrants(rooms);
  if (grants === undefined) {
    return { error: 'rooms must map room names or prefix patterns ending in * to read, write or admin' };
  }
  if (sub !== undefined && (typeof sub !== 'string' || !isDevUserId(sub))) {
    return { error: 'sub must be 1–128 characters of [A-Za-z0-9._~:@-]' };
  }
  if (ttlSeconds !== undefined && (!Number.isSafeInteger(ttlSeconds) || (ttlSeconds as number) < 1 || (ttlSeconds as number) > DEV_TTL_MAX)) {
    return { error: `ttlSeconds must be an integer between 1 and ${DEV_TTL_MAX}` };
  }
  return {
    name: name.trim(),
    sub: (sub as string | undefined) ?? `dev-${randomUUID()}`,
    rooms: grants,
    ttlSeconds: (ttlSeconds as number | undefined) ?? DEV_TTL_DEFAULT,
  };
};

/** Builds the Hono app. WebSocket upgrades are handled beside it (upgrade.ts), not through it. */
export const createHttpApp = (deps: HttpAppDeps): Hono => {
  const { rooms, metrics, log } = deps;
  const app = new Hono();

  app.onError((error, c) => {
    log.error({ err: error, path: c.req.path }, 'request failed');
    return fail(c, 500, 'internal', 'internal error');
  });
  app.notFound((c) => fail(c, 404, 'not-found', 'no such endpoint'));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => (deps.ready() ? c.json({ status: 'ready' }) : c.json({ status: 'not-ready' }, 503)));
  app.get('/metrics', (c) => c.body(metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));

  if (deps.devSecret !== undefined) {
    const secret = deps.devSecret;
    app.use('/dev/*', cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['Content-Type'] }));
    app.post(
      '/dev/token',
      bodyLimit({ maxSize: 16 * 1024, onError: (c) => fail(c, 413, 'too-large', 'body too large') }),
      async (c) => {
        if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
          return fail(c, 415, 'unsupported-media-type', 'send a JSON body with Content-Type: application/json');
        }
        let body: unknown;
        try {
          body = await c.req.json();
        } catch {
          return fail(c, 400, 'bad-json', 'body is not valid JSON');
        }
        const request = parseDevTokenBody(body);
        if ('error' in request) return fail(c, 400, 'bad-request', request.error);
        const { token, exp } = await signToken(secret, {
          ...request,
          issuer: deps.jwt.issuer,
          audience: deps.jwt.audience,
        });
        log.info({ user: request.sub, name: request.name }, 'dev token minted');
        return c.json({ token, user: { id: request.sub, name: request.name }, expiresAt: new Date(exp * 1000).toISOString() });
      },
    );
  }

  if (deps.blobs) {
    const onRefusal = (code: string) => metrics.refusals.inc({ reason: `blob-${code}` });
    app.route('/blobs', createBlobRoutes({ blobs: deps.blobs, verifyToken: deps.verifyToken, log, onRefusal }));
  }

  // Admin API: Bearer token with the `admin` role on the room. No cookies are involved, so any origin may call it.
  app.use('/rooms/*', cors({ origin: '*', allowMethods: ['GET', 'POST', 'DELETE'], allowHeaders: ['Authorization'] }));
  const requireAdmin = async (c: Context): Promise<Response | undefined> => {
    const room = c.req.param('room') ?? '';
    if (!isValidRoomName(room)) return fail(c, 400, 'bad-room-name', 'invalid room name');
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer');
      return fail(c, 401, 'unauthorized', 'an admin Bearer token is required');
    }
    try {
      const identity = await deps.verifyToken(match[1]!);
      if (roleForRoom(identity.rooms, room) !== 'admin') {
        metrics.refusals.inc({ reason: 'admin-forbidden' });
        return fail(c, 403, 'forbidden', 'this token is not an admin of the room');
      }
      log.info({ user: identity.id, room, method: c.req.method }, 'admin request');
      return undefined;
    } catch (error) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return fail(c, 401, 'unauthorized', error instanceof TokenError ? error.message : 'invalid token');
    }
  };

  app.get('/rooms/:room/export', async (c) => {
    const denied = await requireAdmin(c);
    if (denied) return denied;
    const name = c.req.param('room');
    let room;
    try {
      room = await rooms.acquire(name);
    } catch {
      return fail(c, 503, 'room-unavailable', 'the room could not be loaded');
    }
    try {
      if (c.req.query('format') === 'tar' && deps.blobs) {
        const archive = roomArchive(name, Y.encodeStateAsUpdate(room.doc), getMessages(room.doc), deps.blobs);
        return c.body(Readable.toWeb(archive) as unknown as ReadableStream, 200, {
          'Content-Type': 'application/x-tar',
          'Content-Disposition': `attachment; filename="${name}.tar"`,
        });
      }
      if (c.req.query('format') === 'yjs') {
        const state = new Uint8Array(Y.encodeStateAsUpdate(room.doc));
        return c.body(state, 200, {
          'Content-Type': 'application/octet-stream',
          'Content-Disposition': `attachment; filename="${name}.yjs"`,
        });
      }
      return c.json({ room: name, messages: getMessages(room.doc), ...(deps.blobs ? { blobs: await deps.blobs.list(name) } : {}) });
    } finally {
      rooms.release(room);
    }
  });

  app.post('/rooms/:room/blobs/gc', async (c) => {
    const denied = await requireAdmin(c);
    if (denied) return denied;
    if (!deps.blobs) return fail(c, 404, 'not-found', 'this relay stores no files');
    return c.json(await deps.blobs.collect(c.req.param('room')));
  });

  app.delete('/rooms/:room', async (c) => {
    const denied = await requireAdmin(c);
    if (denied) return denied;
    const name = c.req.param('room');
    // With membership, also takes the room off its members' conversation lists.
    await (deps.deleteRoom ?? rooms.delete)(name);
    await deps.blobs?.deleteRoom(name);
    log.warn({ room: name }, 'room deleted');
    return c.json({ deleted: name });
  });

  if (deps.pushRoutes !== undefined) app.route('/', deps.pushRoutes);
  if (deps.membershipRoutes !== undefined) app.route('/', deps.membershipRoutes);

  if (deps.staticDir !== undefined) {
    const root = deps.staticDir;
    // The web app may not be built yet: serve it only when its directory exists at request time.
    let files: MiddlewareHandler | undefined;
    app.use('/*', async (c, next) => {
      if (!existsSync(root)) return next();
      files ??= serveStatic({ root });
      return files(c, next);
    });
  }

  return app;
};
