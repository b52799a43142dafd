// What a push shows: the payload read defensively, and the notification's title, body, tag and data.
import { isValidRoomName } from '../../shared/ids.js';
import { notificationTag, type PushPayload } from '../../shared/push.js';
import { ROOM_KINDS } from '../../shared/schema.js';

/** What the worker passes to `registration.showNotification`. */
export interface NotificationContent {
  title: string;
  options: {
    tag: string;
    renotify: boolean;
    body: string;
    timestamp?: number;
    data: NotificationData;
  };
}

/** The notification's `data`: where a click takes the user (absent for a push the worker could not read). */
export interface NotificationData {
  room?: string;
  messageId?: string;
}

/** The tag of the notification shown for a push that could not be read (one at a time, replaced by the next). */
export const GENERIC_TAG = 'parley:new-message';
const MAX_TITLE = 120;
const MAX_TEXT = 400;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalText = (value: unknown): boolean => value === undefined || typeof value === 'string';

/** The payload of a push (its text, as `event.data.text()` gives it), or undefined when it is not a `PushPayload` v1. */
export function parsePushPayload(text: string | undefined): PushPayload | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.v !== 1) return undefined;
  const { room, messageId, title, kind, mention, count, at, sender, senderName, preview } = value;
  if (typeof room !== 'string' || !isValidRoomName(room)) return undefined;
  if (typeof messageId !== 'string' || messageId.length === 0 || messageId.length > 200) return undefined;
  if (typeof title !== 'string' || !(ROOM_KINDS as readonly unknown[]).includes(kind) || typeof mention !== 'boolean') return undefined;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || typeof at !== 'number' || !Number.isFinite(at)) return undefined;
  if (!optionalText(sender) || !optionalText(senderName) || !optionalText(preview)) return undefined;
  return value as unknown as PushPayload;
}

const clip = (text: string, max: number): string => ([...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text);

/**
 * The notification for a payload: titled with the conversation, tagged per conversation (a newer push replaces
 * it and alerts again), its body `Sender: preview` — or only how many messages, when the user hides message
 * text (the payload then has no sender nor preview).
 */
export function notificationFor(payload: PushPayload): NotificationContent {
  const more = payload.count > 1 ? ` (${payload.count} new messages)` : '';
  let body: string;
  if (payload.senderName !== undefined && payload.preview !== undefined) {
    const who = clip(payload.senderName, 80);
    const text = clip(payload.preview, MAX_TEXT);
    body = payload.mention ? `${who} mentioned you: ${text}` : text ? `${who}: ${text}` : `${who} sent a message`;
    body += more;
  } else {
    const count = payload.count > 1 ? `${payload.count} new messages` : 'New message';
    body = payload.mention ? `${count}: mentioned you` : count;
  }
  return {
    title: clip(payload.title || payload.room, MAX_TITLE),
    options: {
      tag: notificationTag(payload.room),
      renotify: true,
      body,
      timestamp: payload.at,
      data: { room: payload.room, messageId: payload.messageId },
    },
  };
}

/** The notification for a push whose data could not be read: something arrived, and a click opens the app. */
export function genericNotification(): NotificationContent {
  return { title: 'Parley', options: { tag: GENERIC_TAG, renotify: true, body: 'New message', data: {} } };
}

/** The notification's data as the click handler may trust it (a room name it can open, a message id). */
export function readNotificationData(data: unknown): NotificationData {
  if (!isRecord(data) || typeof data.room !== 'string' || !isValidRoomName(data.room)) return {};
  return { room: data.room, ...(typeof data.messageId === 'string' && data.messageId.length <= 200 ? { messageId: data.messageId } : {}) };
}
