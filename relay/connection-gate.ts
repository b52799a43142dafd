// Counts TCP connections as they arrive and refuses, at once and with a 503, those over the global, pre-header or per-address cap.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Metrics } from './metrics.js';
import type { RelayLimits } from './options.js';

/*
 * Before a request's headers are complete nothing is authenticated, so what an anonymous client can hold is
 * capped here: all open connections (`maxConnections`, HTTP and WebSocket alike, so file descriptors are never
 * exhausted), those still sending headers (`maxPendingSockets`, which slowloris clients fill) and those still
 * sending headers from one remote address (`maxPendingSocketsPerIp`, so that one address cannot take every
 * pre-header slot for a whole headers timeout and shut everyone else out). The address is the TCP peer's, never a
 * forwarded header (a client could write anything there): behind a reverse proxy every client shares the proxy's
 * address, so there the per-address cap must be raised or switched off (0). Node's own
 * `headersTimeout` (set by the relay, checked every second) closes a socket whose headers take too long. A
 * refused socket gets a complete HTTP 503 with a JSON reason and is closed as soon as that is written.
 */

/** Set on a socket until its first request's headers are complete. */
const PENDING = Symbol('parley.pendingHeaders');
/** The normalised remote address a pending socket is counted under (absent when per-address counting is off). */
const ADDRESS = Symbol('parley.pendingAddress');

type GatedSocket = Socket & { [PENDING]?: boolean; [ADDRESS]?: string };

/** The remote address as one key per host: an IPv4 peer seen through an IPv6 socket (`::ffff:a.b.c.d`) counts as `a.b.c.d`. */
export const normaliseAddress = (address: string): string => {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
};

/**
 * Slots per remote address, up to `cap` each (0 = uncapped, nothing held). Only addresses holding a slot are in the
 * map (an entry is deleted when its count reaches zero), so it is bounded by the slots held. Also used for upgrades
 * waiting for their token check (upgrade.ts).
 */
export class AddressSlots {
  private readonly counts = new Map<string, number>();

  constructor(private readonly cap: number) {}

  /** Addresses holding at least one slot. */
  get size(): number {
    return this.counts.size;
  }

  /** Takes a slot for `remoteAddress`: the key to release later, `undefined` when nothing is counted, `null` when the address is full. */
  take(remoteAddress: string | undefined): string | undefined | null {
    if (this.cap === 0 || remoteAddress === undefined) return undefined;
    const key = normaliseAddress(remoteAddress);
    const n = this.counts.get(key) ?? 0;
    if (n >= this.cap) return null;
    this.counts.set(key, n + 1);
    return key;
  }

  /** Gives back a slot taken with `take` (a no-op for `undefined`). */
  release(key: string | undefined): void {
    if (key === undefined) return;
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
}

/** What the gate reports. */
export interface ConnectionGate {
  /** Open TCP connections. */
  readonly open: number;
  /** Connections that have not finished their first request's headers. */
  readonly pending: number;
  /** Remote addresses with at least one such connection (the per-address map's size). */
  readonly pendingAddresses: number;
}

const refusal = (code: string, message: string): string => {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nRetry-After: 5\r\n\r\n${body}`;
};

const TOO_MANY = refusal('too-many-connections', 'the relay is at its connection limit; retry later');
const TOO_MANY_PENDING = refusal('too-many-pending-sockets', 'too many connections are still sending their headers; retry later');
const TOO_MANY_PENDING_FROM_ADDRESS = refusal(
  'too-many-pending-sockets-per-ip',
  'too many connections from your address are still sending their headers; retry later',
);

/** Installs the gate on `server` (before it listens). */
export const gateConnections = (server: Server, limits: RelayLimits, metrics: Metrics): ConnectionGate => {
  let open = 0;
  let pending = 0;
  const perAddress = new AddressSlots(limits.maxPendingSocketsPerIp);

  const releaseAddress = (socket: GatedSocket) => {
    perAddress.release(socket[ADDRESS]);
    socket[ADDRESS] = undefined;
  };

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
    if (this[PENDING] === true) {
      this[PENDING] = false;
      pending--;
      releaseAddress(this);
    }
  }
  const headersDone = (socket: GatedSocket) => {
    if (socket[PENDING] !== true) return;
    socket[PENDING] = false;
    pending--;
    releaseAddress(socket);
  };

  server.on('connection', (socket: GatedSocket) => {
    if (open >= limits.maxConnections) return refuse(socket, TOO_MANY, 'too-many-connections');
    if (pending >= limits.maxPendingSockets) return refuse(socket, TOO_MANY_PENDING, 'too-many-pending-sockets');
    const address = perAddress.take(socket.remoteAddress);
    if (address === null) return refuse(socket, TOO_MANY_PENDING_FROM_ADDRESS, 'too-many-pending-sockets-per-ip');
    open++;
    pending++;
    socket[PENDING] = true;
    if (address !== undefined) socket[ADDRESS] = address;
    socket.once('close', onClose);
  });
  // First in line, so that the handlers (metrics included) already see the socket as no longer pending.
  server.prependListener('request', (req: { socket: GatedSocket }) => headersDone(req.socket));
  server.prependListener('upgrade', (_req: unknown, socket: GatedSocket) => headersDone(socket));

  return {
    get open() {
      return open;
    },
    get pending() {
      return pending;
    },
    get pendingAddresses() {
      return perAddress.size;
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
