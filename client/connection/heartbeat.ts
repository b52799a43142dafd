// When a socket is taken as dead: never opened in time, or silent too long (half-open); when to probe it.

/** Idle time before a probe, silence after which an open socket is dead, and how long a socket may take to open. */
export interface Heartbeat {
  idleMs: number;
  deadMs: number;
  openTimeoutMs: number;
}

/**
 * 4 s, 10 s, 10 s: a half-open socket (lost Wi-Fi, a sleeping laptop, a NAT that forgot us) is noticed within
 * about 10 s, where y-websocket's own watchdog takes 30 s and a browser's TCP stack minutes.
 */
export const DEFAULT_HEARTBEAT: Heartbeat = { idleMs: 4_000, deadMs: 10_000, openTimeoutMs: 10_000 };

/** How often a connection checks its socket against the heartbeat. */
export const heartbeatInterval = (heartbeat: Heartbeat): number => Math.min(1_000, heartbeat.idleMs / 2);

/**
 * What to do with a socket now: `drop` it (not open after `openTimeoutMs`, or nothing received for `deadMs`),
 * `probe` it (nothing received for `idleMs`: send something the relay always answers), or nothing.
 */
export function checkSocket(
  socket: { open: boolean; since: number; lastMessageAt: number },
  heartbeat: Heartbeat,
  now = Date.now(),
): 'drop' | 'probe' | 'none' {
  if (!socket.open) return now - socket.since >= heartbeat.openTimeoutMs ? 'drop' : 'none';
  const silent = now - socket.lastMessageAt;
  if (silent >= heartbeat.deadMs) return 'drop';
  return silent >= heartbeat.idleMs ? 'probe' : 'none';
}
