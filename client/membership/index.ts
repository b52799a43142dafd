// Membership in the client: conversation list from the account document, creation, direct conversations, invites, roster operations.
export { openAccount, type Account, type ListOptions, type OpenAccountOptions } from './account.js';
export { membershipApi, MembershipError, type CreateConversationInput, type InviteView, type MembershipApi } from './api.js';
export { openDirect } from './direct.js';
export {
  addMember, ban, kindOf, leave, membersOf, myRole, removalOf, remove, rename, setRole, systemEventsOf, type MemberView,
} from './roster.js';
export type { AccountSettings, ConversationListItem, ConversationPreferences, NotifyLevel } from '../../shared/account.js';
export { defaultNotifyLevel } from '../../shared/account.js';
export type { RosterRole } from '../../shared/roster.js';
export type { SystemEvent } from '../../shared/system-events.js';
export { describeSystemEvent, timeline, type TimelineEntry } from '../../shared/system-events.js';
