// Builds the PushPayload of a conversation's collapsed notification, and its Topic header.
import { createHash } from 'node:crypto';
import type * as Y from 'yjs';
import { PUSH_PREVIEW_LENGTH, type PushPayload } from '../../shared/push.js';
import type { MessageRecord, ProfileEntry, RoomKind } from '../../shared/schema.js';
import { userEntries } from '../../shared/user-entries.js';

/** The author's display name from their profile in the conversation (`members:<userId>`), else their id. */
export function senderNameOf(doc: Y.Doc, author: string): string {
  const profiles = userEntries<ProfileEntry>(doc, 'members', author);
  const name = profiles[profiles.length - 1]?.name;
  return typeof name === 'string' && name.trim() !== '' ? name : author;
}

/** The first PUSH_PREVIEW_LENGTH code points of a text (without reading past them). */
export function previewOf(text: string): string {
  let out = '';
  let points = 0;
  for (const char of text) {
    if (points++ >= PUSH_PREVIEW_LENGTH) break;
    out += char;
  }
  return out;
}

/** The conversation's title: its `meta.title`, else (direct, text shown) the sender's name, else its room name. */
export function conversationTitle(doc: Y.Doc, room: string, kind: RoomKind, senderName: string | undefined): string {
  const title = doc.getMap<unknown>('meta').get('title');
  if (typeof title === 'string' && title.trim() !== '') return title;
  if (kind === 'direct') return senderName ?? 'Direct message';
  return room;
}

/** What one collapsed notification stands for. */
export interface NotificationContent {
  room: string;
  kind: RoomKind;
  title: string;
  /** The newest message. */
  record: Pick<MessageRecord, 'id' | 'author' | 'text' | 'createdAt' | 'attachments'>;
  senderName: string;
  mention: boolean;
  count: number;
  hideMessageText: boolean;
}

/** The payload (PushPayload v1); sender, name and preview only when the user shows message text. */
export function buildPayload(content: NotificationContent): PushPayload {
  const { room, kind, title, record, senderName, mention, count, hideMessageText } = content;
  const payload: PushPayload = { v: 1, room, messageId: record.id, title, kind, mention, count, at: record.createdAt };
  if (!hideMessageText) {
    payload.sender = record.author;
    payload.senderName = senderName;
    const text = typeof record.text === 'string' ? previewOf(record.text) : '';
    payload.preview = text === '' && Array.isArray(record.attachments) && record.attachments.length > 0 ? '📎' : text;
  }
  return payload;
}

/** The Topic header for a room: 32 base64url characters of SHA-256(room), so no room name reaches the push service. */
export const topicOf = (room: string): string => createHash('sha256').update(room).digest('base64url').slice(0, 32);
