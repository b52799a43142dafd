// What a conversation sees of its relay connection, whichever transport carries it (a per-room socket or the shared one).
import type { TokenClaims } from '../token.js';

/**
 * - `connecting`: opening a socket (or fetching a token for it);
 * - `connected`: socket open (see `synced` for "caught up with the relay");
 * - `offline`: no socket: the relay or the network cannot be reached (also when `getToken` failed for a reason
 *   other than `TokenRefusedError`); retried at `retryAt`, or when the browser reports it is back online;
 * - `auth-expired`: the identity provider refused a token (`TokenRefusedError`) or the relay refused a fresh
 *   one (4401 twice in a row); retried with backoff, or at once by `reconnect()`;
 * - `forbidden` (4403) and `deleted` (4404): final; the relay's reason is in `reason`; no more retries;
 * - `closed`: `close()` was called.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'offline' | 'auth-expired' | 'forbidden' | 'deleted' | 'closed';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Whether this replica has caught up with the relay on the current socket (sync step 2 received). */
  synced: boolean;
  /** The last close code from the relay and its human reason, if any. */
  code?: number;
  reason?: string;
  /** Failed attempts since the last successful sync. */
  attempt: number;
  /** When the next retry is scheduled (ms since epoch), while offline or auth-expired (absent: waiting for `online`). */
  retryAt?: number;
}

/**
 * Asks the application for a relay token; `forceRefresh` is true when the last one was refused or is about to
 * expire. Throw `TokenRefusedError` when the identity provider refused; any other error counts as a network failure.
 */
export type GetToken = (request: { room: string; forceRefresh: boolean }) => Promise<string>;

/** Traffic counters, for diagnostics and the benchmark. `current*` count the socket in use only. */
export interface ConnectionStats {
  bytesIn: number;
  bytesOut: number;
  currentBytesIn: number;
  currentBytesOut: number;
  opens: number;
}

/** What the connection tells its conversation besides its state. */
export interface ConnectionEvents {
  /** The relay's durable state vector, each time it acknowledges persistence (message type 100) or opens a socket. */
  onDurable: (stateVector: Map<number, number>) => void;
  /** Each new token's claims (e.g. to learn the role in the room). */
  onToken?: (claims: TokenClaims | undefined) => void;
}

/** The relay connection of one conversation, as the conversation uses it. */
export interface SyncConnection {
  readonly state: ConnectionState;
  readonly stats: ConnectionStats;
  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onState(listener: (state: ConnectionState) => void): () => void;
  /**
   * Whether this replica holds everything the relay held when the socket opened. `synced` only says that a
   * sync-step-2 frame arrived; a large catch-up comes in several frames, and messages queued offline must wait
   * for all of them, or they would land before history that is still arriving.
   */
  isCaughtUp(): boolean;
  /** Whether a document update with this transaction origin came from the relay. */
  isRemoteOrigin(origin: unknown): boolean;
  /** Retries now (after `auth-expired` or while offline), unless forbidden, deleted or closed. */
  reconnect(): void;
  /** Closes for good and stops every timer; the Y.Doc is left to its owner. */
  close(): void;
}
