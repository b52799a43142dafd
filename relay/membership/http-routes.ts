// HTTP endpoints for membership: create a conversation, manage invite links, accept one, join a public channel.
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { Logger } from 'pino';
import { isAccountRoom } from '../../shared/account.js';
import { roleForRoom } from '../../shared/grants.js';
import { isUserId, isValidRoomName } from '../../shared/ids.js';
import { INVITES, getInvites, inviteStatus, mayInvite, parseInviteRequest, type InviteRecord } from '../../shared/invites.js';
import { conversationKind } from '../../shared/membership.js';
import { RuleError } from '../../shared/errors.js';
import { checkMeta } from '../../shared/rules.js';
import { LIMITS } from '../../shared/schema.js';
import { compareRoles, directRoomName, getRoster, rosterRole, type RosterRole } from '../../shared/roster.js';
import { TokenError, type Identity, type VerifyToken } from '../auth.js';
import { readJsonObject } from '../json-body.js';
import type { Room } from '../room.js';
import type { RoomManager } from '../room-manager.js';
import { effectiveRole } from './access.js';
import { decodeInviteCode, encodeInviteCode, newInviteId } from './invite-codes.js';
import { appendEvent, relayWrite, setRosterEntry } from './relay-writes.js';

/** Who may create conversations: any signed-in user (`open`), or only for room names the token grants (`claims`). */
export type CreationPolicy = 'open' | 'claims';

export interface MembershipRoutesDeps {
  verifyToken: VerifyToken;
  rooms: RoomManager;
  log: Logger;
  creation: CreationPolicy;
  inviteSecret: Uint8Array;
  /** Starts watching a conversation room (system entries, removals, conversation lists). */
  watch(room: Room): void;
}

/** A request failure with its HTTP status and JSON error code; turned into `{ error: { code, message } }` once. */
export class MembershipHttpError extends Error {
  override name = 'MembershipHttpError';
  constructor(readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 503, readonly code: string, message: string) {
    super(message);
  }
}

const fail = (status: MembershipHttpError['status'], code: string, message: string): never => {
  throw new MembershipHttpError(status, code, message);
};

const KINDS = ['direct', 'group', 'channel'] as const;
const MAX_MEMBERS = 256;

/** Whether a room holds anything at all (a conversation exists there). */
const exists = (room: Room): boolean => room.doc.store.clients.size > 0;

const jsonBody = (c: Context): Promise<Record<string, unknown>> => readJsonObject(c, fail);

/** Builds the membership routes (mounted on the relay's Hono app). */
export function membershipRoutes(deps: MembershipRoutesDeps): Hono {
  const { rooms, log } = deps;
  const app = new Hono();
  app.use('*', cors({ origin: '*', allowMethods: ['GET', 'POST', 'DELETE'], allowHeaders: ['Authorization', 'Content-Type'] }));
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: () => fail(413, 'too-large', 'body too large') }));

  const identify = async (c: Context): Promise<Identity> => {
    const match = /^Bearer ([^\s]+)$/i.exec(c.req.header('authorization') ?? '');
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer');
      fail(401, 'unauthorized', 'a Bearer token is required');
    }
    try {
      return await deps.verifyToken(match![1]!);
    } catch (error) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return fail(401, 'unauthorized', error instanceof TokenError ? error.message : 'invalid token');
    }
  };

  /** Runs `use` with the loaded room; a room that cannot be loaded is a 503 (thrown to onError). */
  const withRoom = async <T>(name: string, use: (room: Room) => T | Promise<T>): Promise<T> => {
    if (!isValidRoomName(name) || isAccountRoom(name)) fail(400, 'bad-room-name', 'invalid conversation name');
    let room: Room;
    try {
      room = await rooms.acquire(name);
    } catch {
      return fail(503, 'room-unavailable', 'the conversation could not be loaded; try again later');
    }
    try {
      deps.watch(room);
      return await use(room);
    } finally {
      rooms.release(room);
    }
  };

  const roleOf = (identity: Identity, room: Room): RosterRole | undefined => effectiveRole(identity, room, undefined).role;

  const inviteView = (room: string, id: string, record: InviteRecord) => ({
    id,
    code: encodeInviteCode(deps.inviteSecret, room, id),
    role: record.role,
    expiresAt: new Date(record.expiresAt).toISOString(),
    maxUses: record.maxUses,
    uses: record.uses,
    status: inviteStatus(record),
  });

  app.post('/conversations', async (c) => {
    const identity = await identify(c);
    const body = await jsonBody(c);
    const { kind, title = '', members = [], public: isPublic = false, room: requested, ...rest } = body;
    if (Object.keys(rest).length > 0) fail(400, 'bad-request', `unknown field: ${Object.keys(rest)[0]}`);
    if (!(KINDS as readonly unknown[]).includes(kind)) fail(400, 'bad-request', `kind must be one of ${KINDS.join(', ')}`);
    if (!Array.isArray(members) || members.length > MAX_MEMBERS || !members.every(isUserId)) {
      fail(400, 'bad-request', `members must be a list of at most ${MAX_MEMBERS} user ids`);
    }
    if (typeof isPublic !== 'boolean' || (isPublic && kind !== 'channel')) fail(400, 'bad-request', 'public is true or false, and only for channels');
    try {
      checkMeta('title', title, { userId: identity.id, role: 'admin' });
    } catch (error) {
      fail(400, 'bad-request', (error as RuleError).message);
    }
    const others = [...new Set(members as string[])].filter((m) => m !== identity.id);
    let name: string;
    if (kind === 'direct') {
      if ((members as string[]).length !== 1 || others.length !== 1) {
        fail(400, 'direct-pair', 'a direct conversation is between you and exactly one other user: give one member who is not you');
      }
      if (requested !== undefined) fail(400, 'bad-request', 'a direct conversation’s name is derived from its two members');
      name = await directRoomName(identity.id, others[0]!);
    } else if (requested !== undefined) {
      if (typeof requested !== 'string' || !isValidRoomName(requested) || requested.startsWith('~') || requested.startsWith('dm.')) {
        fail(400, 'bad-room-name', 'room: 1–128 characters of [A-Za-z0-9._-], not starting with ~ or dm.');
      }
      name = requested as string;
    } else {
      name = `c.${randomBytes(16).toString('base64url')}`;
    }
    if (deps.creation === 'claims') {
      const grant = roleForRoom(identity.rooms, name);
      if (grant !== 'write' && grant !== 'admin') fail(403, 'creation-restricted', 'this relay creates only conversations your token grants');
    }
    return withRoom(name, (room) => {
      if (exists(room)) {
        const roster = getRoster(room.doc);
        if (kind === 'direct' && roster.has(identity.id) && roster.has(others[0]!)) {
          // Both sides may start the same direct conversation (offline too): the second gets the first's room.
          return c.json({ room: name, kind, title: '', created: false }, 200);
        }
        return fail(409, 'exists', 'a conversation with this name exists');
      }
      const at = Date.now();
      relayWrite(room, (doc) => {
        const meta = doc.getMap('meta');
        meta.set('kind', kind);
        if (title !== '') meta.set('title', title);
        if (isPublic) meta.set('public', true);
        setRosterEntry(doc, identity.id, kind === 'direct' ? 'member' : 'owner', identity.id, at);
        appendEvent(doc, { type: 'created', actor: identity.id, ...(title !== '' ? { title: title as string } : {}), at });
        for (const member of others) {
          setRosterEntry(doc, member, 'member', identity.id, at);
          appendEvent(doc, { type: 'joined', actor: identity.id, target: member, role: 'member', at });
        }
      });
      log.info({ user: identity.id, room: name, kind }, 'conversation created');
      return c.json({ room: name, kind, title, created: true }, 201);
    });
  });

  app.post('/conversations/:room/invites', async (c) => {
    const identity = await identify(c);
    const request = parseInviteRequest(await jsonBody(c));
    if ('error' in request) return fail(400, 'bad-request', request.error);
    const name = c.req.param('room');
    return withRoom(name, (room) => {
      if (!exists(room)) fail(404, 'conversation-not-found', 'no such conversation');
      if (conversationKind(room.doc) === 'direct') fail(400, 'direct-fixed', 'a direct conversation takes no invites');
      if (!mayInvite(roleOf(identity, room), request.role)) fail(403, 'not-roster-admin', `you may not invite ${request.role}s to this conversation`);
      if (getInvites(room.doc).size >= 100) fail(409, 'too-many-invites', 'revoke some invites first (at most 100 per conversation)');
      const id = newInviteId();
      const at = Date.now();
      const record: InviteRecord = { role: request.role, expiresAt: at + request.ttlSeconds * 1000, maxUses: request.maxUses, uses: 0, by: identity.id, at };
      relayWrite(room, (doc) => doc.getMap<InviteRecord>(INVITES).set(id, record));
      return c.json(inviteView(name, id, record), 201);
    });
  });

  app.get('/conversations/:room/invites', async (c) => {
    const identity = await identify(c);
    const name = c.req.param('room');
    return withRoom(name, (room) => {
      if (!exists(room)) fail(404, 'conversation-not-found', 'no such conversation');
      const role = roleOf(identity, room);
      if (role !== 'owner' && role !== 'admin') fail(403, 'not-roster-admin', 'only owners and admins see invites');
      return c.json({ invites: [...getInvites(room.doc)].map(([id, record]) => inviteView(name, id, record)) });
    });
  });

  app.delete('/conversations/:room/invites/:id', async (c) => {
    const identity = await identify(c);
    const name = c.req.param('room');
    const id = c.req.param('id');
    return withRoom(name, (room) => {
      if (!exists(room)) fail(404, 'conversation-not-found', 'no such conversation');
      const role = roleOf(identity, room);
      if (role !== 'owner' && role !== 'admin') fail(403, 'not-roster-admin', 'only owners and admins revoke invites');
      const record = getInvites(room.doc).get(id);
      if (!record) return fail(404, 'invite-not-found', 'no such invite');
      if (!record.revoked) relayWrite(room, (doc) => doc.getMap<InviteRecord>(INVITES).set(id, { ...record, revoked: true }));
      return c.json(inviteView(name, id, { ...record, revoked: true }));
    });
  });

  /** Adds `identity` to the roster as `role` (a relay write with its system entry); returns false when already at least that. */
  const admit = (room: Room, user: string, role: RosterRole, onWrite?: (doc: Room['doc']) => void): boolean => {
    const current = rosterRole(room.doc, user);
    if (current === 'banned') fail(403, 'banned', 'you are banned from this conversation');
    if (current !== undefined && compareRoles(current, role) >= 0) return false;
    const at = Date.now();
    relayWrite(room, (doc) => {
      setRosterEntry(doc, user, role, user, at);
      appendEvent(doc, { type: 'joined', actor: user, target: user, role, at });
      onWrite?.(doc);
    });
    return true;
  };

  app.post('/invites/accept', async (c) => {
    const identity = await identify(c);
    const { code } = await jsonBody(c);
    const invite = decodeInviteCode(deps.inviteSecret, code);
    if (!invite) return fail(400, 'invite-invalid', 'this invite link is not valid (mistyped or tampered with)');
    return withRoom(invite.room, (room) => {
      if (!exists(room) || getRoster(room.doc).size === 0) fail(404, 'conversation-not-found', 'the conversation of this invite no longer exists');
      const record = getInvites(room.doc).get(invite.id);
      if (!record) return fail(404, 'invite-not-found', 'this invite does not exist any more');
      const status = inviteStatus(record);
      if (status !== 'usable') {
        const messages = { expired: 'this invite has expired', revoked: 'this invite was revoked', 'used-up': 'this invite has been used up' };
        return fail(410, `invite-${status}`, messages[status]);
      }
      const joined = admit(room, identity.id, record.role, (doc) => doc.getMap<InviteRecord>(INVITES).set(invite.id, { ...record, uses: record.uses + 1 }));
      const meta = room.doc.getMap<unknown>('meta');
      return c.json({ room: invite.room, role: rosterRole(room.doc, identity.id), joined, kind: conversationKind(room.doc) ?? 'group', title: meta.get('title') ?? '' });
    });
  });

  app.post('/conversations/:room/join', async (c) => {
    const identity = await identify(c);
    const name = c.req.param('room');
    return withRoom(name, (room) => {
      if (!exists(room)) fail(404, 'conversation-not-found', 'no such conversation');
      if (conversationKind(room.doc) !== 'channel' || room.doc.getMap('meta').get('public') !== true) {
        fail(403, 'not-public', 'only public channels can be joined without an invite');
      }
      const joined = admit(room, identity.id, 'member');
      return c.json({ room: name, role: rosterRole(room.doc, identity.id), joined });
    });
  });

  app.onError((error, c) => {
    if (error instanceof MembershipHttpError) return c.json({ error: { code: error.code, message: error.message } }, error.status);
    log.error({ err: error, path: c.req.path }, 'membership request failed');
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });
  return app;
}
