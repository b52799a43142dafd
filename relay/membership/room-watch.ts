// Reacts to membership changes in a loaded conversation: closes removed users at once, records system entries, updates conversation lists.
import * as Y from 'yjs';
import type { Logger } from 'pino';
import { CloseEvents } from '../../shared/close-codes.js';
import { ROSTER, effectiveRole, getRoster, rosterRole, type RosterRole } from '../../shared/roster.js';
import type { Role } from '../../shared/protocol.js';
import type { SystemEvent } from '../../shared/system-events.js';
import type { Room, RoomPeer } from '../room.js';
import type { TransactionOrigin } from '../transaction-origin.js';
import { appendEvent, conversationEntry, relayWrite, type AccountWriter } from './relay-writes.js';

/** What the watcher needs: each peer's token grant (recorded when it connected) and the account writer. */
export interface WatchDeps {
  grantOf(peer: RoomPeer): Role | undefined;
  accounts: AccountWriter;
  log: Logger;
}

/** The system entry for a roster change of `target` made by `actor`. */
export function eventFor(actor: string, target: string, before: RosterRole | undefined, after: RosterRole | undefined, at: number): SystemEvent | undefined {
  if (before === after) return undefined;
  if (after === undefined) return { type: actor === target ? 'left' : 'removed', actor, target, at };
  if (after === 'banned') return { type: 'banned', actor, target, at };
  if (before === undefined || before === 'banned') return { type: 'joined', actor, target, role: after, at };
  return { type: 'role', actor, target, role: after, at };
}

/**
 * Closes the connections of `users` to `room` that their role no longer allows (4403, reason `removed from this
 * conversation` or `banned from this conversation`): a ban closes them whatever their token grants, a removal
 * closes those whose token grants nothing.
 */
export function closeRemoved(room: Room, users: ReadonlySet<string>, grantOf: (peer: RoomPeer) => Role | undefined): number {
  let closed = 0;
  // One pass over the peers whatever the number of changed members (an update may change many).
  for (const peer of [...room.peers]) {
    if (!users.has(peer.userId)) continue;
    const effective = effectiveRole(grantOf(peer), rosterRole(room.doc, peer.userId));
    if (effective !== undefined && effective !== 'banned') continue;
    const event = effective === 'banned' ? CloseEvents.banned : CloseEvents.removed;
    room.removePeer(peer);
    peer.close(event.code, event.reason);
    closed++;
  }
  return closed;
}

const watched = new WeakSet<Room>();

/**
 * Starts watching a conversation room (once per loaded room). A roster change, from a peer's accepted update or
 * from the relay itself, closes the connections it cuts off at once (synchronously, before the next update is
 * read) and updates the members' conversation lists; one from a peer also gets its system entry, written by the
 * relay after the accept path has finished (a write inside an observer would join the peer's transaction).
 * A title change by an admin is recorded (`renamed`) and carried to every member's list.
 */
export function watchRoom(room: Room, deps: WatchDeps): void {
  if (watched.has(room)) return;
  watched.add(room);
  const { doc } = room;
  doc.getMap(ROSTER).observe((event: Y.YMapEvent<unknown>) => {
    const origin = event.transaction.origin as TransactionOrigin | undefined;
    if (origin?.source === 'load') return;
    const at = Date.now();
    const events: SystemEvent[] = [];
    const lists: Array<{ user: string; role: RosterRole | undefined }> = [];
    closeRemoved(room, new Set(event.changes.keys.keys()), deps.grantOf);
    if (origin?.source === 'bus') return; // the instance that accepted it writes the rest
    for (const [user, change] of event.changes.keys) {
      const before = (change.oldValue as { role?: RosterRole } | undefined)?.role;
      const after = rosterRole(doc, user);
      lists.push({ user, role: after });
      if (origin?.source === 'connection') {
        const entry = eventFor(origin.peer.userId, user, before, after, at);
        if (entry) events.push(entry);
      }
    }
    if (events.length > 0) {
      queueMicrotask(() => {
        if (room.writable) relayWrite(room, (d) => events.forEach((e) => appendEvent(d, e)));
      });
    }
    for (const { user, role } of lists) {
      const entry = role === undefined || role === 'banned' ? undefined : conversationEntry(doc, role, at);
      deps.accounts.record(user, room.name, entry).catch((error: unknown) => deps.log.warn({ err: error, room: room.name }, 'updating a conversation list failed'));
    }
  });
  doc.getMap('meta').observe((event: Y.YMapEvent<unknown>, transaction) => {
    const origin = transaction.origin as TransactionOrigin | undefined;
    if (origin?.source === 'load' || origin?.source === 'bus' || !event.keysChanged.has('title')) return;
    const title = doc.getMap('meta').get('title');
    if (origin?.source === 'connection') {
      const entry: SystemEvent = { type: 'renamed', actor: origin.peer.userId, title: typeof title === 'string' ? title : '', at: Date.now() };
      queueMicrotask(() => {
        if (room.writable) relayWrite(room, (d) => appendEvent(d, entry));
      });
    }
    for (const [user, { role }] of getRoster(doc)) {
      if (role === 'banned') continue;
      deps.accounts.record(user, room.name, conversationEntry(doc, role, Date.now())).catch(() => {});
    }
  });
}
