// What every benchmark client offers, whichever protocol it speaks: a document, sync state, and traffic counters.
import type * as Y from 'yjs';

/** Payload bytes of WebSocket frames (framing excluded), counted the same way for every client. */
export interface Traffic {
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
}

export interface BenchClient {
  readonly doc: Y.Doc;
  /** Resolves when the socket is open. */
  readonly opened: Promise<void>;
  /** Resolves when the other side answered our state vector (y-protocols sync step 2; Hocuspocus' `synced`). */
  readonly synced: Promise<void>;
  readonly traffic: Traffic;
  /** Set if the server closed the connection (code and reason), for error reports. */
  readonly closedBy: { code: number; reason: string } | undefined;
  close(): Promise<void>;
}

export const newTraffic = (): Traffic => ({ bytesIn: 0, bytesOut: 0, framesIn: 0 });
