// Pings every WebSocket on one timer and cuts those that leave `misses` pings in a row unanswered.
import type { WebSocket } from 'ws';
import type { RelaySocket } from './relay-socket.js';

/**
 * Why: a peer that vanished without a close (a laptop lid, a dropped Wi-Fi, a half-open TCP connection) or that
 * stops reading keeps its room loaded and its slot in the per-user limit for ever. Every `intervalMs` each open
 * socket that answered the previous ping is pinged again; one that did not counts a miss, and after `misses`
 * misses in a row it is terminated (no close handshake: nobody is listening). A peer that does not read its
 * socket cannot see the ping either, so this also closes readers that never drain a catch-up.
 */
export interface Heartbeat {
  stop(): void;
}

/** The one `pong` listener of every socket (`this` is the socket). */
export function onSocketPong(this: WebSocket): void {
  (this as RelaySocket).missedPongs = 0;
  (this as RelaySocket).awaitingPong = false;
}

/** Starts the heartbeat over the sockets `sockets()` yields; `onDead` runs for each socket cut. */
export const startHeartbeat = (
  sockets: () => Iterable<RelaySocket>,
  intervalMs: number,
  misses: number,
  onDead: (ws: RelaySocket) => void,
): Heartbeat => {
  const timer = setInterval(() => {
    for (const ws of sockets()) {
      if (ws.readyState !== ws.OPEN) continue;
      if (ws.awaitingPong) {
        ws.missedPongs++;
        if (ws.missedPongs >= misses) {
          onDead(ws);
          ws.terminate();
          continue;
        }
      }
      ws.awaitingPong = true;
      ws.ping();
    }
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};
