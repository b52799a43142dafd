// The messages between the app's pages and its service worker about notifications (both sides import this module).

/**
 * The service worker runs when no page does and has no DOM, so it asks the pages what it cannot know:
 *
 *   worker → page   { type: 'parley:which-room' }  with a MessagePort (event.ports[0])
 *   page   → port   { app: true, room?: string, visible: boolean, focused: boolean }
 *                   `room`: the conversation this page shows on screen right now (absent when none or hidden)
 *   worker → page   { type: 'parley:open-room', room, messageId? }   after a notification click: show it
 *   worker → page   { type: 'parley:subscription-changed' }          the push subscription rotated: register it again
 *
 * Only pages running the app's bridge (client/push/page-bridge.ts) answer, so pages of the origin that are not
 * the app are never taken for one. Answers are awaited briefly (`ASK_TIMEOUT_MS`): a page that does not answer
 * in time is taken as not showing the conversation, so at worst a notification shows that was not needed.
 */
export const WHICH_ROOM = 'parley:which-room';
export const OPEN_ROOM = 'parley:open-room';
export const SUBSCRIPTION_CHANGED = 'parley:subscription-changed';

/** How long the worker waits for pages to answer `which-room`. */
export const ASK_TIMEOUT_MS = 1_000;

/** A page's answer to `which-room`. */
export interface RoomAnswer {
  app: true;
  room?: string;
  visible: boolean;
  focused: boolean;
}

/** The request to open a conversation, at a message when known. */
export interface OpenRoomMessage {
  type: typeof OPEN_ROOM;
  room: string;
  messageId?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** A well-formed `which-room` answer, or undefined. */
export function readRoomAnswer(value: unknown): RoomAnswer | undefined {
  if (!isRecord(value) || value.app !== true) return undefined;
  return {
    app: true,
    ...(typeof value.room === 'string' ? { room: value.room } : {}),
    visible: value.visible === true,
    focused: value.focused === true,
  };
}

/** A well-formed `open-room` request, or undefined. */
export function readOpenRoom(value: unknown): OpenRoomMessage | undefined {
  if (!isRecord(value) || value.type !== OPEN_ROOM || typeof value.room !== 'string') return undefined;
  return { type: OPEN_ROOM, room: value.room, ...(typeof value.messageId === 'string' ? { messageId: value.messageId } : {}) };
}
