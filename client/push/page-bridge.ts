// The page's side of the app's service-worker messages: says which conversation is on screen, opens one on a notification click.
import { OPEN_ROOM, SUBSCRIPTION_CHANGED, WHICH_ROOM, readOpenRoom, type RoomAnswer } from './sw-messages.js';

export interface PushBridgeOptions {
  /** The conversation this page shows now (the bridge itself checks that the page is visible). */
  shownRoom(): string | undefined;
  /** A notification for `room` was clicked: show it (at `messageId` when given). */
  openRoom(room: string, messageId?: string): void;
  /** The browser rotated the push subscription: register it with the relay again. */
  subscriptionChanged?(): void;
}

/**
 * Answers the service worker's questions (see sw-messages.ts) for as long as this page lives, or until the
 * returned function is called. A page without service workers gets a no-op.
 */
export function connectPushBridge(options: PushBridgeOptions): () => void {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return () => undefined;
  const container = navigator.serviceWorker;
  const onMessage = (event: MessageEvent): void => {
    const data: unknown = event.data;
    if (typeof data !== 'object' || data === null) return;
    const type = (data as { type?: unknown }).type;
    if (type === WHICH_ROOM) {
      const visible = document.visibilityState === 'visible';
      const room = visible ? options.shownRoom() : undefined;
      const answer: RoomAnswer = { app: true, visible, focused: document.hasFocus(), ...(room ? { room } : {}) };
      event.ports[0]?.postMessage(answer);
    } else if (type === OPEN_ROOM) {
      const request = readOpenRoom(data);
      if (request) options.openRoom(request.room, request.messageId);
    } else if (type === SUBSCRIPTION_CHANGED) {
      options.subscriptionChanged?.();
    }
  };
  container.addEventListener('message', onMessage);
  // Messages from the worker wait until the page says it listens (a page the worker does not control too).
  container.startMessages();
  return () => container.removeEventListener('message', onMessage);
}
