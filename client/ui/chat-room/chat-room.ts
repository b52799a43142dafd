// Registers <chat-room> (the entry of dist/chat-room.js) and declares its tag and events to TypeScript.
import { ChatRoom } from './chat-room.component.js';
import type { ChatRoomEventMap } from './chat-room.events.js';

export { ChatRoom } from './chat-room.component.js';
export type { ChatAttachmentOpenDetail, ChatErrorDetail, ChatMessageDetail, ChatMessageReceivedDetail, ChatRoomEventMap, ChatRoomEvents, ChatSendDetail, ChatStatusDetail, ChatUnreadDetail } from './chat-room.events.js';
export { roomStatus, type RoomStatus } from './room-status.js';
export type { TokenProvider } from './conversation-controller.js';

// A page may load the bundle twice (two widgets, two script tags): the second definition is skipped, not an error.
if (!customElements.get('chat-room')) customElements.define('chat-room', ChatRoom);

declare global {
  interface HTMLElementTagNameMap {
    'chat-room': ChatRoom;
  }
  /** The element's events bubble and are composed, so ancestors and the document hear them too. */
  interface HTMLElementEventMap extends ChatRoomEventMap {}
  interface DocumentEventMap extends ChatRoomEventMap {}
}
