// The user-facing connection status of a room (the element's status part and banner, the app's list): importable without registering <chat-room>.
import type { ConversationState } from '../../index.js';

/** The user-facing state of the connection, shown in the status part and the banner. */
export type RoomStatus = 'loading' | 'connecting' | 'syncing' | 'synced' | 'offline' | 'auth-expired' | 'forbidden' | 'deleted' | 'closed';

/** Short labels for the status part. */
export const STATUS_LABEL: Record<RoomStatus, string> = {
  loading: 'Loading…',
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  synced: 'Online',
  offline: 'Offline',
  'auth-expired': 'Sign-in expired',
  forbidden: 'No access',
  deleted: 'Room deleted',
  closed: 'Closed',
};

/**
 * The banner's sentence for each status that needs one: only when something is wrong. Connecting and
 * syncing are normal (the header shows the people, not the local connection).
 */
export const BANNER_TEXT: Partial<Record<RoomStatus, string>> = {
  offline: 'Offline: messages are kept on this device and sent when the connection is back.',
  'auth-expired': 'Your sign-in expired. Reconnecting…',
  forbidden: 'You have no access to this room.',
  deleted: 'This room was deleted.',
  closed: 'This conversation is closed.',
};

/** The element's status for a conversation state. */
export function roomStatus(state: ConversationState | undefined): RoomStatus {
  if (!state || !state.loaded) return 'loading';
  const { status, synced } = state.connection;
  if (status === 'connected') return synced ? 'synced' : 'syncing';
  return status;
}

/**
 * The status the banner shows, given the one it showed before. A problem (offline, sign-in expired) stays
 * on the banner through the reconnect attempts that follow (`connecting`, `syncing`) until the room is
 * synced again: otherwise each attempt swaps a two-line banner for a one-line one and the history below
 * jumps by a line every few seconds.
 */
export function bannerStatus(previous: RoomStatus | undefined, status: RoomStatus): RoomStatus {
  const problem = previous === 'offline' || previous === 'auth-expired';
  if (problem && (status === 'connecting' || status === 'syncing')) return previous;
  return status;
}
