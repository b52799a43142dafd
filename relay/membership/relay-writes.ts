// The relay's own writes to conversations and account documents: roster entries, system entries, invite records, conversation lists.
import type * as Y from 'yjs';
import { ACCOUNT_PREFIX, CONVERSATIONS, type ConversationEntry } from '../../shared/account.js';
import { conversationKind } from '../../shared/membership.js';
import { ROSTER, type RosterEntry, type RosterRole } from '../../shared/roster.js';
import { EVENTS, type SystemEvent } from '../../shared/system-events.js';
import type { Room } from '../room.js';
import type { RoomManager } from '../room-manager.js';
import { RELAY_ORIGIN } from '../transaction-origin.js';
import { accountRoomNameNow } from './account-room-name.js';

/**
 * Runs `write` on the room's document as the relay (its own transaction origin, so the guard never sees it and
 * the client-identity module keeps the relay's client id for the relay alone), then stores and broadcasts it.
 */
export function relayWrite(room: Room, write: (doc: Y.Doc) => void): void {
  const changes = room.apply(RELAY_ORIGIN, write);
  room.persist(changes, RELAY_ORIGIN);
  room.broadcast(changes, RELAY_ORIGIN);
}

/** Appends a system entry (inside a relay write). */
export function appendEvent(doc: Y.Doc, event: SystemEvent): void {
  doc.getArray<SystemEvent>(EVENTS).push([event]);
}

/** Sets a roster entry (inside a relay write); `role` undefined removes the member. */
export function setRosterEntry(doc: Y.Doc, user: string, role: RosterRole | undefined, by: string, at: number): void {
  const roster = doc.getMap<RosterEntry>(ROSTER);
  if (role === undefined) roster.delete(user);
  else roster.set(user, { role, by, at });
}

/** The conversation-list entry of `user` for the conversation in `doc`, with their role. */
export function conversationEntry(doc: Y.Doc, role: RosterRole, joinedAt: number): ConversationEntry {
  const title = doc.getMap<unknown>('meta').get('title');
  return { kind: conversationKind(doc) ?? 'group', title: typeof title === 'string' ? title : '', role, joinedAt };
}

/** Updates users' account documents (their conversation lists); loads each for the write and lets it unload later. */
export interface AccountWriter {
  /**
   * Sets (or, with `entry` undefined, removes) `room` in `user`'s conversation list. `keepJoinedAt` keeps an
   * existing entry's join time. Resolves once written (not yet durable).
   */
  record(user: string, room: string, entry: ConversationEntry | undefined, keepJoinedAt?: boolean): Promise<void>;
  /** Whether `room` is in `user`'s list (loads their account document). */
  has(user: string, room: string): Promise<boolean>;
}

/** Account documents loaded for writing at once: a burst of roster changes queues rather than loading them all together. */
const CONCURRENT_ACCOUNT_WRITES = 8;

export function createAccountWriter(rooms: RoomManager): AccountWriter {
  let running = 0;
  const waiting: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    if (running < CONCURRENT_ACCOUNT_WRITES) {
      running++;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const done = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  const withAccount = async <T>(user: string, use: (room: Room) => T): Promise<T> => {
    const name = accountRoomNameNow(user);
    if (!name.startsWith(ACCOUNT_PREFIX)) throw new Error('unexpected account room name');
    await slot();
    try {
      const room = await rooms.acquire(name);
      try {
        return use(room);
      } finally {
        rooms.release(room);
      }
    } finally {
      done();
    }
  };
  return {
    record: (user, conversation, entry, keepJoinedAt = true) =>
      withAccount(user, (room) => {
        const list = room.doc.getMap<ConversationEntry>(CONVERSATIONS);
        const current = list.get(conversation);
        if (entry === undefined) {
          if (current !== undefined) relayWrite(room, () => list.delete(conversation));
          return;
        }
        const next = keepJoinedAt && current !== undefined ? { ...entry, joinedAt: current.joinedAt } : entry;
        if (current && JSON.stringify(current) === JSON.stringify(next)) return;
        relayWrite(room, () => list.set(conversation, next));
      }),
    has: (user, conversation) => withAccount(user, (room) => room.doc.getMap(CONVERSATIONS).has(conversation)),
  };
}
