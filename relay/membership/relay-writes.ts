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
import type { ListingJournal } from './listing-journal.js';

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

/**
 * The write that sets (or, with `entry` undefined, removes) `conversation` in a conversation list, to run inside
 * a relay write; undefined when the list already says so. `keepJoinedAt` keeps an existing entry's join time.
 */
export function listingWrite(list: Y.Map<ConversationEntry>, conversation: string, entry: ConversationEntry | undefined, keepJoinedAt: boolean): (() => void) | undefined {
  const current = list.get(conversation);
  if (entry === undefined) return current === undefined ? undefined : () => list.delete(conversation);
  const next = keepJoinedAt && current !== undefined ? { ...entry, joinedAt: current.joinedAt } : entry;
  if (current && JSON.stringify(current) === JSON.stringify(next)) return undefined;
  return () => list.set(conversation, next);
}

/**
 * Updates users' account documents (their conversation lists). A document in memory is written directly (its
 * clients see the change live); one that is not goes to the journal of pending listings when there is one
 * (disk mode: listing-journal.ts), applied when the document next loads; else it is loaded for the write and
 * unloads later.
 */
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

export function createAccountWriter(rooms: RoomManager, journal?: ListingJournal): AccountWriter {
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
  const nameOf = (user: string): string => {
    const name = accountRoomNameNow(user);
    if (!name.startsWith(ACCOUNT_PREFIX)) throw new Error('unexpected account room name');
    return name;
  };
  const withAccount = async <T>(name: string, use: (room: Room) => T): Promise<T> => {
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
    record: async (user, conversation, entry, keepJoinedAt = true) => {
      const name = nameOf(user);
      const direct = () =>
        withAccount(name, (room) => {
          const write = listingWrite(room.doc.getMap<ConversationEntry>(CONVERSATIONS), conversation, entry, keepJoinedAt);
          if (write) relayWrite(room, write);
        });
      // Loading or loaded: the document is (about to be) in memory, with every pending listing applied.
      if (journal && !rooms.isPresent(name)) {
        // A failed append took the record out of the journal's index (and stops the journal): write it directly,
        // after the account's earlier pending records, which loading the document applies first.
        const journaled = journal.add(name, conversation, entry, keepJoinedAt)?.catch(direct);
        if (journaled) return journaled;
      }
      return direct();
    },
    has: async (user, conversation) => withAccount(nameOf(user), (room) => room.doc.getMap(CONVERSATIONS).has(conversation)),
  };
}
