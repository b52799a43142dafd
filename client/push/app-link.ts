// The app's link to a conversation, optionally at a message: `#/room/<room>` or `#/room/<room>/message/<id>`.
import { isValidRoomName } from '../../shared/ids.js';

/** The hash route of `room` (at `messageId`, when given). Room names have no `/`, so the two parts never mix. */
export function roomLink(room: string, messageId?: string): string {
  return `#/room/${encodeURIComponent(room)}${messageId ? `/message/${encodeURIComponent(messageId)}` : ''}`;
}

/** The room (and message) of a `#/room/…` hash, or undefined when it names none (or an invalid room). */
export function parseRoomLink(hash: string): { room: string; messageId?: string } | undefined {
  const match = /^#\/room\/([^/]+)(?:\/message\/([^/]+))?$/.exec(hash);
  if (!match) return undefined;
  try {
    const room = decodeURIComponent(match[1]!);
    if (!isValidRoomName(room)) return undefined;
    const messageId = match[2] !== undefined ? decodeURIComponent(match[2]) : undefined;
    return messageId ? { room, messageId } : { room };
  } catch {
    return undefined;
  }
}
