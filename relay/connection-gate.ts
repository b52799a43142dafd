// Counts TCP connections as they arrive and refuses, at once and with a 503, those over the global or pre-header cap.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Metrics } from './metrics.js';
import type { RelayLimits } from './options.js';

/*
 * Before a request's headers are complete nothing is authenticated, so what an anonymous client can hold is
 * capped here: all open connections (`maxConnections`, HTTP and WebSocket alike, so file descriptors are never
 * exhausted) and those still sending headers (`maxPendingSockets`, which slowloris clients fill). Node's own
 * `headersTimeout` (set by the relay, checked every second) closes a socket whose headers take too long. A
 * refused socket gets a complete HTTP 503 with a JSON reason and is closed as soon as that is written.
 */

/** Set on a socket until its first request's headers are complete. */
const PENDING = Symbol('parley.pendingHeaders');

type GatedSocket = Socket & { [PENDING]?: boolean };

/** What the gate reports. */
export interface ConnectionGate {
  /** Open TCP connections. */
  readonly open: number;
  /** Connections that have not finished their first request's headers. */
  readonly pending: number;
}

const refusal = (code: string, message: string): string => {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nRetry-After: 5\r\n\r\n${body}`;
};

const TOO_MANY = refusal('too-many-connections', 'the relay is at its connection limit; retry later');
const TOO_MANY_PENDING = refusal('too-many-pending-sockets', 'too many connections are still sending their headers; retry later');

/** Installs the gate on `server` (before it listens). */
export const gateConnections = (server: Server, limits: RelayLimits, metrics: Metrics): ConnectionGate => {
  let open = 0;
  let pending = 0;

  const refuse = (socket: Socket, response: string, reason: string) => {
    metrics.refusals.inc({ reason });
    socket.on('error', () => socket.destroy());
    socket.end(response);
    // Do not wait for the client to close its side (the server allows half-open sockets).
    socket.once('finish', () => socket.destroy());
  };

  /** Shared listeners (`this` is the socket), so that a connection costs no closure. */
  function onClose(this: GatedSocket): void {
    open--;
    if (this[PENDING] === true) pending--;
  }
  const headersDone = (socket: GatedSocket) => {
    if (socket[PENDING] !== true) return;
    socket[PENDING] = false;
    pending--;
  };

  server.on('connection', (socket: GatedSocket) => {
    if (open >= limits.maxConnections) return refuse(socket, TOO_MANY, 'too-many-connections');
    if (pending >= limits.maxPendingSockets) return refuse(socket, TOO_MANY_PENDING, 'too-many-pending-sockets');
    open++;
    pending++;
    socket[PENDING] = true;
    socket.once('close', onClose);
  });
  server.on('request', (req: { socket: GatedSocket }) => headersDone(req.socket));
  server.on('upgrade', (_req: unknown, socket: GatedSocket) => headersDone(socket));

  return {
    get open() {
      return open;
    },
    get pending() {
      return pending;
    },
  };
};

/** Node server options that bound header and request time (slowloris). */
export const serverTimeouts = (limits: RelayLimits) => ({
  headersTimeout: limits.headersTimeoutMs,
  requestTimeout: Math.max(30_000, limits.headersTimeoutMs),
  // Node checks both timeouts on this interval (30 s by default, which would let a slow socket stay that long).
  connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeoutMs / 2))),
});
