// Who gets a push for a new message: members without a live connection to the conversation, with subscriptions, whose level allows it.
import { getRoster } from '../../shared/roster.js';
import { shouldNotify } from '../../shared/push.js';
import { mentionsUser } from '../../shared/mentions.js';
import type { MessageRecord, RoomKind } from '../../shared/schema.js';
import type * as Y from 'yjs';
import { settingsFor, type UserNotifyPreferences } from './notify-preferences.js';

/** What the decision reads of a room: its document and who is connected to it on this relay. */
export interface DecisionRoom {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly peers: ReadonlySet<{ readonly userId: string }>;
}

/**
 * The members who might be notified of `message`: everyone on the roster except the author and banned users,
 * who has a push subscription and no live connection to the room here (/rooms or /sync). Subscriptions are
 * asked first: they are a hash lookup, and most members of a large channel have none.
 */
export function pushCandidates(room: DecisionRoom, author: string, hasSubscription: (user: string) => boolean): string[] {
  const candidates: string[] = [];
  for (const [user, entry] of getRoster(room.doc)) {
    if (user === author || entry.role === 'banned' || !hasSubscription(user)) continue;
    candidates.push(user);
  }
  if (candidates.length === 0) return candidates;
  const live = new Set<string>();
  for (const peer of room.peers) live.add(peer.userId);
  return live.size === 0 ? candidates : candidates.filter((user) => !live.has(user));
}

/** Whether `record` mentions `user` (shared/mentions.ts; the guard validated the field). */
export const mentions = (record: Pick<MessageRecord, 'author' | 'mentions'>, user: string): boolean => mentionsUser(record, user);

/** Whether a candidate's preferences let `record` notify them now. */
export function wantsPush(prefs: UserNotifyPreferences, room: string, kind: RoomKind, record: Pick<MessageRecord, 'author' | 'mentions'>, user: string, now: number): boolean {
  return shouldNotify(settingsFor(prefs, room, kind), kind, mentions(record, user), now);
}
