// The events <chat-room> fires, declared once: their detail types, which are cancelable, and a typed emit checked against them.
import type { ConversationState, MessageView } from '../../index.js';
import type { Attachment } from '../../../shared/attachments.js';

/** `detail` of `chat-send` (cancelable: `preventDefault()` keeps the message from being sent). */
export interface ChatSendDetail {
  text: string;
  /** Files sent with the message (attach button, paste or drop). */
  files?: File[];
  replyTo?: string;
  /** User ids the message mentions (chosen in the @ picker, their `@Name` still in the text). */
  mentions?: string[];
  /** Set when the user saves an edit of this message instead of sending a new one. */
  edit?: string;
}
/** `detail` of `chat-message`: a new message from someone else arrived. */
export interface ChatMessageDetail {
  message: MessageView;
  authorName: string;
}
/**
 * `detail` of `chat-mention`: a new message from someone else that mentions the current user arrived (fired
 * after its `chat-message`), so the page can notify in its own way. Thread replies count too.
 */
export interface ChatMentionDetail {
  message: MessageView;
  authorName: string;
}
/** `detail` of `chat-status`: the connection changed (`synced` = caught up with the relay). */
export interface ChatStatusDetail {
  status: ConversationState['connection']['status'];
  synced: boolean;
  reason?: string;
}
/** `detail` of `chat-unread`. */
export interface ChatUnreadDetail {
  unread: number;
}
/** `detail` of `chat-error`: an operation failed (`code` from the client core or the model's rules, when known). */
export interface ChatErrorDetail {
  message: string;
  code?: string;
  error: unknown;
}

/**
 * `detail` of `chat-attachment-open` (cancelable: `preventDefault()` keeps the built-in viewer closed, so the
 * page can show the file its own way). `url` is a short-lived signed link when one is at hand.
 */
export interface ChatAttachmentOpenDetail {
  message: MessageView;
  attachment: Attachment;
  index: number;
  url?: string;
}

/** Every event of the element by name, with its detail type. */
export interface ChatRoomEvents {
  'chat-send': ChatSendDetail;
  'chat-message': ChatMessageDetail;
  'chat-mention': ChatMentionDetail;
  'chat-status': ChatStatusDetail;
  'chat-unread': ChatUnreadDetail;
  'chat-error': ChatErrorDetail;
  'chat-attachment-open': ChatAttachmentOpenDetail;
}

/** Which events the page may cancel (a `Record`, so adding an event without deciding this does not compile). */
const CANCELABLE: Record<keyof ChatRoomEvents, boolean> = {
  'chat-send': true,
  'chat-message': false,
  'chat-mention': false,
  'chat-status': false,
  'chat-unread': false,
  'chat-error': false,
  'chat-attachment-open': true,
};

/** The events as `addEventListener` sees them (merged into `HTMLElementEventMap` by `chat-room.ts`). */
export type ChatRoomEventMap = { [K in keyof ChatRoomEvents]: CustomEvent<ChatRoomEvents[K]> };

/**
 * Fires `type` from `target`, bubbling and composed so ancestors and the document hear it. Returns false when
 * a listener cancelled it (only cancelable events can be cancelled).
 */
export function emit<K extends keyof ChatRoomEvents>(target: EventTarget, type: K, detail: ChatRoomEvents[K]): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: CANCELABLE[type] }));
}
