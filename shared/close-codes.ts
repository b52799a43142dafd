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
  /** An update built on data the relay does not have yet (another tab's, say): reconnect and resync. */
  tryAgainLater: event(1013, 'write refused: missing-dependency'),
  /** The room could not be loaded from storage: retry later (nothing is served empty). */
  roomUnavailable: event(1011, 'room unavailable'),
  /** Malformed request or frame. */
  badRequest: event(4400, 'malformed frame'),
  /** Token missing, invalid or expired (also when it expires during a session): refresh it and reconnect. */
  unauthorized: event(4401, 'token invalid or expired'),
  /** No access to the room, or a write the token's role or the room's rules forbid: do not retry. */
  forbidden: event(4403, 'no access to this room'),
  /** The room was deleted. */
  roomDeleted: event(4404, 'room deleted'),
  /** A frame was larger than the relay accepts. */
  frameTooLarge: event(4413, 'frame too large'),
  /** Too many updates or bytes, too many connections, or too slow a reader. */
  rateLimited: event(4429, 'rate limit exceeded'),
} as const satisfies Record<string, CloseEvent>;

export type CloseEventName = keyof typeof CloseEvents;

/** The numeric close codes by name (`CloseCode.forbidden === 4403`). */
export const CloseCode = Object.fromEntries(
  Object.entries(CloseEvents).map(([name, { code }]) => [name, code]),
) as { readonly [K in CloseEventName]: (typeof CloseEvents)[K]['code'] };
