// The fan-out seam: how updates reach connections on other relay instances (none today, Redis pub/sub later).

/** What travels between instances: a Yjs update or an awareness update for one room. */
export type BusMessageKind = 'update' | 'awareness';

/** Called with messages other instances published for a room this instance serves. */
export type BusListener = (kind: BusMessageKind, payload: Uint8Array) => void;

/**
 * Cross-instance fan-out. Local connections are always served directly by the room; the bus only carries
 * what other instances must apply. The instance that accepts an update also persists it.
 */
export interface RoomBus {
  /** This instance starts serving `room`; `listener` receives other instances' messages until `leave`. */
  join(room: string, listener: BusListener): void;
  /** This instance stops serving `room`. */
  leave(room: string): void;
  /** Sends a locally accepted message to the other instances serving `room`. */
  publish(room: string, kind: BusMessageKind, payload: Uint8Array): void;
  /** Releases connections (shutdown). */
  close(): Promise<void>;
}

/** The single-instance bus: there is nobody else to tell. */
export const createLocalBus = (): RoomBus => ({
  join() {},
  leave() {},
  publish() {},
  async close() {},
});
