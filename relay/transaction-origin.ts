// Typed transaction origins of a room's document, and the one function deciding what each origin's changes cost.

/** A peer of a room, as an origin (the room's RoomPeer; kept opaque here so this module imports nothing). */
export interface OriginPeer {
  readonly userId: string;
}

/**
 * Who made a change to a room's document (after Hocuspocus's `TransactionOrigin`):
 *  - `connection`: an update a peer sent, accepted by the write check;
 *  - `relay`: the relay's own writes (client-id bindings);
 *  - `bus`: an update another relay instance accepted (and persists);
 *  - `load`: updates replayed from storage when the room is loaded.
 */
export type TransactionOrigin =
  | { readonly source: 'connection'; readonly peer: OriginPeer }
  | { readonly source: 'relay' }
  | { readonly source: 'bus' }
  | { readonly source: 'load' };

export const RELAY_ORIGIN: TransactionOrigin = Object.freeze({ source: 'relay' });
export const BUS_ORIGIN: TransactionOrigin = Object.freeze({ source: 'bus' });
export const LOAD_ORIGIN: TransactionOrigin = Object.freeze({ source: 'load' });

/** The origin of an update `peer` sent. */
export const connectionOrigin = (peer: OriginPeer): TransactionOrigin => ({ source: 'connection', peer });

/** What happens to a change, by origin. */
export interface ChangeEffects {
  /** Appended to this instance's log (the instance that accepted a change stores it). */
  persist: boolean;
  /** Published to other instances on the bus. */
  publish: boolean;
  /** Sent to this instance's peers. */
  broadcast: boolean;
}

/**
 * The one place that decides what a change costs: stored data is only replayed, changes from other instances
 * are only fanned out here (their instance stores them), and everything accepted here is stored, published
 * and fanned out.
 */
export function effectsOf(origin: TransactionOrigin): ChangeEffects {
  switch (origin.source) {
    case 'load':
      return { persist: false, publish: false, broadcast: false };
    case 'bus':
      return { persist: false, publish: false, broadcast: true };
    case 'connection':
    case 'relay':
      return { persist: true, publish: true, broadcast: true };
  }
}

/** The peer that sent a change, if a peer did. */
export const peerOf = (origin: TransactionOrigin): OriginPeer | undefined =>
  origin.source === 'connection' ? origin.peer : undefined;
