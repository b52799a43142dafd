// Membership in the relay: access at connect, the room watcher, conversation lists in account documents, and the HTTP endpoints.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { ACCOUNT_PREFIX, isAccountRoom } from '../../shared/account.js';
import type { Role } from '../../shared/protocol.js';
import { getRoster, type RosterRole } from '../../shared/roster.js';
import type { VerifyToken } from '../auth.js';
import type { Room, RoomPeer } from '../room.js';
import type { RoomManager } from '../room-manager.js';
import { conversationEntry, createAccountWriter, type AccountWriter } from './relay-writes.js';
import { watchRoom } from './room-watch.js';
import type { ListingJournal, ListingJournalOptions } from './listing-journal.js';
import { membershipRoutes, type CreationPolicy } from './http-routes.js';

export type { CreationPolicy } from './http-routes.js';
export { effectiveRole, resolveRoomName, type RoomAccess } from './access.js';

/** Membership options of the relay. */
export interface MembershipOptions {
  /** Who may create conversations: `open` (any signed-in user) or `claims` (only rooms the token grants). Default: `open` in dev mode, else `claims`. */
  creation?: CreationPolicy;
  /** Secret (≥ 32 bytes) that signs invite links. Default: `invite-secret` in the data directory, created on first start. */
  inviteSecret?: string | Uint8Array;
  /** Disk mode: tuning of the journal of pending conversation listings (listing-journal.ts); defaults suit production. */
  pendingListings?: ListingJournalOptions;
}

/** What the rest of the relay calls. */
export interface Membership {
  /** A peer joined `room` with `grant` (its token's role there, undefined when the roster let it in). */
  connected(room: Room, peer: RoomPeer, grant: Role | undefined, role: RosterRole): void;
  /** Deletes a conversation and takes it off its members' conversation lists. */
  deleteRoom(name: string): Promise<void>;
  /** HTTP endpoints, mounted at `/`. */
  routes: Hono;
  accounts: AccountWriter;
}

/** Most (user, room) pairs remembered as already listed in the user's account document before the memory is reset. */
const MAX_KNOWN_LISTED = 100_000;

/** Reads or creates the invite secret file (mode 0600) in `dataDir`. */
export function loadInviteSecret(dataDir: string): Uint8Array {
  const path = join(dataDir, 'invite-secret');
  try {
    const text = readFileSync(path, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, 'hex');
  } catch {
    // first start: create it below
  }
  const secret = randomBytes(32);
  writeFileSync(path, `${secret.toString('hex')}\n`, { mode: 0o600 });
  return secret;
}

export function createMembership(deps: {
  rooms: RoomManager;
  verifyToken: VerifyToken;
  log: Logger;
  creation: CreationPolicy;
  inviteSecret: Uint8Array;
  /** Disk mode: the journal of pending listings (else account documents are loaded for each listing). */
  listings?: ListingJournal;
}): Membership {
  const grants = new WeakMap<RoomPeer, Role | undefined>();
  const accounts = createAccountWriter(deps.rooms, deps.listings);
  const watchDeps = { grantOf: (peer: RoomPeer) => grants.get(peer), accounts, log: deps.log };
  const watch = (room: Room) => {
    if (!isAccountRoom(room.name)) watchRoom(room, watchDeps);
  };
  const listed = new Set<string>();
  return {
    connected(room, peer, grant, role) {
      grants.set(peer, grant);
      watch(room);
      if (grant === undefined || isAccountRoom(room.name)) return;
      // A room the token grants appears in the user's conversation list on first connect.
      const key = `${peer.userId} ${room.name}`;
      if (listed.has(key)) return;
      if (listed.size >= MAX_KNOWN_LISTED) listed.clear();
      listed.add(key);
      const entry = conversationEntry(room.doc, role, Date.now());
      accounts.record(peer.userId, room.name, entry).catch((error: unknown) => {
        listed.delete(key);
        deps.log.warn({ err: error, room: room.name }, 'listing a conversation in an account failed');
      });
    },
    async deleteRoom(name) {
      let members: string[] = [];
      // A deleted account document forgets its pending listings too (they would fill a fresh one).
      if (name.startsWith(ACCOUNT_PREFIX)) await deps.listings?.forget(name);
      if (!isAccountRoom(name)) {
        const room = await deps.rooms.acquire(name);
        members = [...getRoster(room.doc).keys()];
        deps.rooms.release(room);
      }
      await deps.rooms.delete(name);
      await Promise.all(members.map((user) => accounts.record(user, name, undefined).catch(() => undefined)));
    },
    routes: membershipRoutes({ ...deps, watch }),
    accounts,
  };
}
