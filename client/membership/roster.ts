// Membership operations on an open conversation: members with roles, add / change role / remove / ban, leave, rename, removed state.
import { CloseEvents } from '../../shared/close-codes.js';
import { checkMeta } from '../../shared/rules.js';
import { conversationKind, leaveConversation, removeMember, roleIn, setMemberRole } from '../../shared/membership.js';
import { getRoster, type RosterEntry, type RosterRole } from '../../shared/roster.js';
import { getSystemEvents, type SystemEvent } from '../../shared/system-events.js';
import type { RoomKind } from '../../shared/schema.js';
import type { Conversation, ConversationState } from '../conversation/types.js';

/** One member as the members panel shows them. */
export interface MemberView extends RosterEntry {
  userId: string;
  /** Display name from their profile, if they wrote one. */
  name?: string;
  lastSeen?: number;
}

const actorOf = (conversation: Conversation) => ({ userId: conversation.user.id, grant: conversation.getState().role });

/** The conversation's roster, owners first, then admins, members, readers, banned; by name within a role. */
export function membersOf(conversation: Conversation): MemberView[] {
  const profiles = conversation.getState().profiles;
  const order: RosterRole[] = ['owner', 'admin', 'member', 'reader', 'banned'];
  return [...getRoster(conversation.doc)]
    .map(([userId, entry]) => {
      const profile = profiles.get(userId);
      return { userId, ...entry, ...(profile ? { name: profile.name, ...(profile.lastSeen ? { lastSeen: profile.lastSeen } : {}) } : {}) };
    })
    .sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role) || (a.name ?? a.userId).localeCompare(b.name ?? b.userId));
}

/** This user's effective role in the conversation (token grant or roster, banned refusing). */
export const myRole = (conversation: Conversation): RosterRole | undefined => roleIn(conversation.doc, actorOf(conversation));

/** The conversation's kind (`direct`, `group`, `channel`), if set. */
export const kindOf = (conversation: Conversation): RoomKind | undefined => conversationKind(conversation.doc);

/**
 * Gives `userId` a role (adds them when absent; `banned` bans them). Checked with the shared roster rules first
 * (a `RuleError` and nothing written when forbidden); written to the document, so it works offline and syncs later.
 */
export function setRole(conversation: Conversation, userId: string, role: RosterRole): void {
  setMemberRole(conversation.doc, actorOf(conversation), userId, role);
}

/** Adds a member (role `member` unless given). */
export const addMember = (conversation: Conversation, userId: string, role: RosterRole = 'member'): void => setRole(conversation, userId, role);

/** Bans a user: their connections close at once and their token no longer lets them in. */
export const ban = (conversation: Conversation, userId: string): void => setRole(conversation, userId, 'banned');

/** Removes a member (an unban, for a banned user). */
export function remove(conversation: Conversation, userId: string): void {
  removeMember(conversation.doc, actorOf(conversation), userId);
}

/** Leaves the conversation (the last owner must hand over first: `RuleError` `last-owner`). */
export function leave(conversation: Conversation): void {
  leaveConversation(conversation.doc, actorOf(conversation));
}

/** Renames the conversation (owners and admins). */
export function rename(conversation: Conversation, title: string): void {
  const role = myRole(conversation);
  checkMeta('title', title, { userId: conversation.user.id, role: role === 'owner' || role === 'admin' ? 'admin' : 'write' });
  conversation.doc.getMap('meta').set('title', title);
}

/** The conversation's system entries (joined, left, removed, banned, role changed, renamed), oldest first. */
export const systemEventsOf = (conversation: Conversation): SystemEvent[] => getSystemEvents(conversation.doc);

/**
 * Whether the relay removed or banned this user: then the conversation stays open read-only with the history it
 * had, its queued messages have failed with the reason, and `message` is what to show.
 */
export function removalOf(state: Pick<ConversationState, 'connection'>): { kind: 'removed' | 'banned'; message: string } | undefined {
  const { status, reason } = state.connection;
  if (status !== 'forbidden') return undefined;
  if (reason === CloseEvents.banned.reason) return { kind: 'banned', message: 'You were banned from this conversation' };
  if (reason === CloseEvents.removed.reason) return { kind: 'removed', message: 'You were removed from this conversation' };
  return undefined;
}
