// Every WebSocket close the relay sends, as a named { code, reason } pair used by relay and client alike.

/** One way a connection (or, on the multiplexed endpoint, one document) is closed. */
export interface CloseEvent {
  readonly code: number;
  /** The default reason; some closes append a detail (`write refused: read-only`). */
  readonly reason: string;
}

const event = (code: number, reason: string): CloseEvent => ({ code, reason });

/**
 * The relay's close events. Codes follow RFC 6455 (1000–1015) and the 4000–4999 private range, mirroring HTTP
 * where one exists (4401 ≈ 401). The table in docs/protocol.md is checked against this module by a test.
 */
export const CloseEvents = {
  /** The relay is shutting down or restarting: reconnect later. */
  shuttingDown: event(1012, 'relay shutting down'),
  /** The room was unloaded while the connection was being set up or served: reconnect. */
  roomUnloaded: event(1012, 'room unloaded'),
  /** An update built on data the relay does not have yet (another tab's, say): reconnect and resync. */
  tryAgainLater: event(1013, 'write refused: missing-dependency'),
  /** The room could not be loaded from storage: retry later (nothing is served empty). */
  roomUnavailable: event(1011, 'room unavailable'),
  /** Storing the room's updates failed: the room is closed, and reloaded from disk on reconnect. */
  storageFailure: event(1011, 'storage failure'),
  /** Malformed request or frame. */
  badRequest: event(4400, 'malformed frame'),
  /** A text frame: the protocol is binary. */
  textFrame: event(4400, 'text frames are not part of the protocol'),
  /** The room name in the URL is not a valid room name. */
  invalidRoomName: event(4400, 'invalid room name'),
  /** Token missing, invalid or expired (also when it expires during a session): refresh it and reconnect. */
  unauthorized: event(4401, 'token invalid or expired'),
  /** No token in the request. */
  tokenRequired: event(4401, 'token required'),
  /** The token expired during the session: refresh it and reconnect. */
  tokenExpired: event(4401, 'token expired'),
  /** No access to the room, or a write the token's role or the room's rules forbid: do not retry. */
  forbidden: event(4403, 'no access to this room'),
  /** A write the token's role or the room's rules forbid; the reason names the rule (`write refused: read-only`). */
  writeRefused: event(4403, 'write refused'),
  /** The user was removed from the conversation's roster (and their token grants nothing): do not retry. */
  removed: event(4403, 'removed from this conversation'),
  /** The user is banned from the conversation, whatever their token grants: do not retry. */
  banned: event(4403, 'banned from this conversation'),
  /** Another user's account document (`~account.…`) was asked for: a client opens its own as `~account`. */
  notYourAccount: event(4403, 'account documents are reachable only as ~account'),
  /** The room was deleted. */
  roomDeleted: event(4404, 'room deleted'),
  /** A frame was larger than the relay accepts. */
  frameTooLarge: event(4413, 'frame too large'),
  /** Too many updates or bytes, too many connections, or too slow a reader. */
  rateLimited: event(4429, 'rate limit exceeded'),
  /** More sync requests (step 1) than the connection's budget. */
  tooManySyncRequests: event(4429, 'too many sync requests'),
  /** More connections than one user may hold. */
  tooManyConnections: event(4429, 'too many connections for this user'),
  /** A reader that does not keep up with what it is sent. */
  slowConsumer: event(4429, 'slow consumer: too much data waiting'),
  /** Multiplexed endpoint: a frame for a document that is not attached (the socket stays open). */
  notAttached: event(4400, 'not attached'),
  /** Multiplexed endpoint: attaching a document already attached (a client bug): it is detached. */
  alreadyAttached: event(4400, 'already attached'),
  /** Multiplexed endpoint: an in-band token for another user than the socket's: the socket is closed. */
  tokenForAnotherUser: event(4403, 'token is for another user'),
  /** Multiplexed endpoint: more documents attached than one socket may hold. */
  tooManyDocuments: event(4429, 'too many documents on this socket'),
  /** Multiplexed endpoint: attaching faster than the socket's attach budget. */
  tooManyAttaches: event(4429, 'too many attaches'),
} as const satisfies Record<string, CloseEvent>;

export type CloseEventName = keyof typeof CloseEvents;

/** The numeric close codes by name (`CloseCode.forbidden === 4403`). */
export const CloseCode = Object.fromEntries(
  Object.entries(CloseEvents).map(([name, { code }]) => [name, code]),
) as { readonly [K in CloseEventName]: (typeof CloseEvents)[K]['code'] };

/** The longest close reason a WebSocket close frame carries (RFC 6455: 123 bytes of UTF-8). */
const MAX_REASON_BYTES = 123;

/**
 * The reason to send for `closeEvent`, with an optional detail appended (`write refused: read-only`), cut to
 * fit a close frame.
 */
export function closeReason(closeEvent: CloseEvent, detail?: string): string {
  const reason = detail === undefined ? closeEvent.reason : `${closeEvent.reason}: ${detail}`;
  let bytes = 0;
  let cut = '';
  for (const char of reason) {
    const cp = char.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes > MAX_REASON_BYTES) return cut;
    cut += char;
  }
  return reason;
}
