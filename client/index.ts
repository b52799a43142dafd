// Parley's client library: offline-first conversations over Yjs, the inbox, local search and logout. No UI code here.
export { openConversation } from './conversation/open-conversation.js';
export type {
  Conversation, ConversationState, ConversationUser, MessageStatusName, MessageView, OpenConversationOptions, SendOptions,
} from './conversation/types.js';
export type { ConnectionState, ConnectionStats, ConnectionStatus, GetToken } from './connection/connection-state.js';
export { TokenRefusedError } from './connection/token-refused-error.js';
export { ProviderShapeError } from './connection/y-websocket-internals.js';
export type { BackoffOptions } from './backoff.js';
export type { Presence, PresenceEntry, PresenceOptions } from './presence.js';
export type { InboxEntry, OutboxEntry, StorageState, StorageStatus } from './local-store.js';
export { listInbox, watchInbox } from './inbox.js';
export { logout } from './logout.js';
export { ClientError, type ClientErrorCode } from './errors.js';
export { decodeToken, type TokenClaims } from './token.js';
export { RuleError, type RuleCode } from '../shared/errors.js';
export { groupReactions, reactionsSummary, type ReactionGroup } from '../shared/reactions.js';
export * from './attachments/index.js';
export { LocalSearch, openLocalSearch, type LiveSearch, type LocalSearchOptions } from './search/local-search.js';
export type { IndexStats, SearchHit, SearchRequest, SearchResponse } from './search/search-types.js';
export { parseSearchInput } from './search/query-syntax.js';
export type { PinnedMessage, ThreadSummary } from '../shared/conversation.js';
export * from './membership/index.js';
export * from './push/index.js';
